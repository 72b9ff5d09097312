"""Evidence downloads and legal hold: every copy leaves a custody record; nothing inline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import FileResponse, RedirectResponse

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Investigator
from nigrani.accounts.pages import see_other
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.downloads import download
from nigrani.evidence import store
from nigrani.evidence.deps import CurrentItem

router = APIRouter(include_in_schema=False)


# A downloaded file is never run nor rendered by the browser: attachment, no sniffing, and a
# sandbox should anything try.
@router.get("/evidence/{item_id}/download")
def download_item(
    db: DbSession, settings: SettingsDep, scope: Investigator, item: CurrentItem
) -> FileResponse:
    """The item's file, recorded in its chain of custody as a copy."""
    path = store.open_for_copy(
        db, settings=settings, item=item, actor=accounts_service.actor_of(scope.user)
    )
    return download(path, f"{item.id}-{item.original_name}")


@router.post("/evidence/{item_id}/hold")
def hold_item(
    db: DbSession,
    scope: Investigator,
    item: CurrentItem,
    hold: Annotated[bool, Form()],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Put an item on legal hold (never purged) or release it, with a reason."""
    store.set_hold(
        db, item=item, hold=hold, actor=accounts_service.actor_of(scope.user), reason=reason
    )
    target = f"/incidents/{item.incident_id}#evidence" if item.incident_id else "/incidents"
    return see_other(target)
