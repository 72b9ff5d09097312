"""An alert's clip on its page: the player's file, streamed in byte ranges from the evidence
store, and the page's clip-and-trace section, asked again while the clip is being cut."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from nigrani.accounts import service as accounts_service
from nigrani.analytics import alert_media
from nigrani.analytics.deps import AlertHandler, CurrentEvent
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/analytics/events/{event_id}/clip", response_model=None)
def clip_file(
    db: DbSession, settings: SettingsDep, scope: AlertHandler, event: CurrentEvent
) -> FileResponse:
    """The alert's clip (MP4) for the page's player; Range requests are answered in part,
    and the viewer's views are kept in the clip's custody."""
    path, item = alert_media.open_clip(
        db, settings=settings, event=event, actor=accounts_service.actor_of(scope.user)
    )
    headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
    return FileResponse(str(path), media_type=item.media_type or "video/mp4", headers=headers)


@router.get("/analytics/events/{event_id}/media")
def media_part(
    request: Request, db: DbSession, scope: AlertHandler, event: CurrentEvent
) -> HTMLResponse:
    """The alert page's clip and level trace (the page asks again while the clip is cut)."""
    del scope  # the permission check is the dependency's
    media = alert_media.alert_media(db, event=event)
    return render(request, "analytics/partials/alert_media.html", {"ev": event, "media": media})
