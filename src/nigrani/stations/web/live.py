"""The live wall and the full view with sound; the recorder's HLS files behind sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page
from nigrani.accounts.service import actor_of
from nigrani.core import audit
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.stations import live, service, views
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
) -> HTMLResponse:
    """Tiles of the cameras in the caller's charge (muted sub-streams), by station; audited."""
    stations = views.stations_under(db, scope.node.path)
    cameras = service.list_cameras(db, scope_path=scope.node.path, station_id=station)
    now = live.filesystem_now(settings)
    states = [live.state(settings, c, prefer_sub=True, now=now) for c in cameras if c.enabled]
    # Live feeds first when there are more than fit: a wall of offline tiles helps nobody.
    shown = sorted(states, key=lambda t: not t.online)[:WALL_MAX]
    tiles = {t.camera.id: t for t in shown}
    picked = [c for c in cameras if c.id in tiles]
    groups = [(s, cams) for s, cams in views.by_station(stations, picked) if cams]
    audit.record(
        db,
        actor=actor_of(scope.user),
        action="stations.live.wall",
        object_type="jurisdiction_node",
        object_id=station or scope.node.id,
        detail={"cameras": sorted(tiles)},
    )
    return page(
        request,
        "stations/wall.html",
        user=scope.user,
        groups=groups,
        tiles=tiles,
        stations=stations,
        station=station,
        hidden=len(states) - len(shown),
        **views.HELPERS,
    )


@router.get("/stations/live/{camera_id}")
def full_view_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    camera: CurrentStationCamera,
) -> HTMLResponse:
    """One camera's main stream with its sound and the delay behind real time; audited."""
    audit.record(
        db,
        actor=actor_of(scope.user),
        action="stations.live.view",
        object_type="station_camera",
        object_id=camera.id,
        detail={"stream": "main", "station": camera.node_path},
    )
    return page(
        request,
        "stations/live.html",
        user=scope.user,
        camera=camera,
        tile=live.state(settings, camera, prefer_sub=False),
        station=db.get(JurisdictionNode, camera.station_id),
        **views.HELPERS,
    )


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
