"""The signed-in user's notifications: the list, opening one (marks it read), all read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from nigrani.accounts import notifications
from nigrani.accounts.deps import require
from nigrani.accounts.models import User
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Permission
from nigrani.core.deps import DbSession
from nigrani.core.params import PageNo, PathId

router = APIRouter(include_in_schema=False)
# Every staff role may see its own notifications; nobody else's are ever reached.
Reader = Annotated[User, Depends(require(Permission.VIEW_DASHBOARD))]


@router.get("/notifications")
def notifications_page(
    request: Request, db: DbSession, user: Reader, page_no: PageNo = 1
) -> HTMLResponse:
    """The user's notifications, newest first, a page at a time."""
    found = notifications.page_for(db, user, page=page_no)
    return page(
        request,
        "accounts/notifications.html",
        user=user,
        found=found,
        text_of=notifications.text,
    )


@router.post("/notifications/{notification_id}/open")
def open_notification(db: DbSession, user: Reader, notification_id: PathId) -> RedirectResponse:
    """Mark one of the user's notifications read and go to what it is about."""
    return see_other(notifications.open_one(db, user=user, notification_id=notification_id))


@router.post("/notifications/read")
def read_all(db: DbSession, user: Reader) -> RedirectResponse:
    """Mark every notification of the user read."""
    notifications.mark_all_read(db, user=user)
    return see_other("/notifications")
