"""The live wall and the full view with sound; the recorder's HLS files behind sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from nigrani.accounts.pages import page
from nigrani.accounts.service import actor_of
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.stations import live, views
from nigrani.stations.deps import CurrentStationCamera, StationChoice, Watcher
from nigrani.stations.live_access import LiveCameraId

router = APIRouter(include_in_schema=False)
WALL_MAX = 24  # tiles one browser decodes at once; more, and the officer picks a station
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/stations/live")
def wall_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    station: StationChoice,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    problems: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """A page of tiles of the cameras in the caller's charge (muted sub-streams), by station,
    all or only those with no picture, under a count of both; audited."""
    context = views.wall(
        db,
        settings=settings,
        actor=actor_of(scope.user),
        scope=scope.node,
        station_id=station,
        limit=WALL_MAX,
        page=page_no,
        problems_only=problems,
    )
    return page(request, "stations/wall.html", user=scope.user, **context)


@router.get("/stations/live/{camera_id}")
def full_view_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    camera: CurrentStationCamera,
) -> HTMLResponse:
    """One camera's main stream with its sound and the delay behind real time; audited."""
    context = views.full_view(db, settings=settings, actor=actor_of(scope.user), camera=camera)
    return page(request, "stations/live.html", user=scope.user, **context)


@router.get("/stations/live/{camera_id}/{stream}/{name}", response_model=None)
def live_file(settings: SettingsDep, camera_id: LiveCameraId, stream: str, name: str) -> Response:
    """A playlist (never cached) or media segment of a camera in the caller's charge."""
    path, media_type = live.live_file(settings, camera_id=camera_id, stream=stream, name=name)
    if name.endswith(".m3u8"):
        # Read whole: the recorder replaces the playlist every second.
        return Response(path.read_bytes(), media_type=media_type, headers=NO_STORE)
    return FileResponse(
        str(path), media_type=media_type, headers={"Cache-Control": "private, max-age=30"}
    )
