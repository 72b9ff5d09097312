"""Administration: the SMS that did not reach their number, with a button to send again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import service
from nigrani.accounts.deps import Admin
from nigrani.accounts.pages import page, see_other
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.params import PathId, QueryId
from nigrani.core.sms import dead_letters

router = APIRouter(include_in_schema=False)


@router.get("/admin/sms")
def failed_sms_page(
    request: Request, db: DbSession, settings: SettingsDep, admin: Admin, retried: QueryId = None
) -> HTMLResponse:
    """Failed SMS (refused, undelivered, or out of retries), newest first."""
    return page(
        request,
        "accounts/sms_failed.html",
        user=admin,
        letters=dead_letters.dead_letters(db, settings=settings),
        backend=settings.sms_backend,
        retried=retried,
    )


@router.post("/admin/sms/{job_id}/retry", response_model=None)
def retry_sms(db: DbSession, admin: Admin, job_id: PathId) -> Response:
    """Queue a failed SMS again (audited)."""
    dead_letters.retry(db, job_id=job_id, actor=service.actor_of(admin))
    return see_other(f"/admin/sms?retried={job_id}")
