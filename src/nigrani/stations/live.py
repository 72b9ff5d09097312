"""The recorder's rolling live HLS folders: which stream a tile plays, whether it is fresh,
and which files of it may be served."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.stations import service
from nigrani.stations.models import StationCamera

STREAMS = ("main", "sub")
PLAYLIST = "index.m3u8"
# Only the names a recorder writes: no folders, no dot-files.
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}\.(m3u8|m4s|mp4|ts)$")
MEDIA_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
    "ts": "video/mp2t",
}


@dataclass(frozen=True, slots=True)
class LiveState:
    """What a tile shows: the stream it plays and whether the recorder is feeding it."""

    camera: StationCamera
    stream: str
    online: bool

    @property
    def url(self) -> str:
        return f"/stations/live/{self.camera.id}/{self.stream}/{PLAYLIST}"


def stream_dir(settings: Settings, camera_id: int, stream: str) -> Path:
    """The folder of one camera's live stream."""
    return settings.live_path / str(camera_id) / stream


def stale_after(settings: Settings) -> float:
    """Seconds after which an unchanged playlist means the feed stopped."""
    return max(10.0, 6 * settings.live_segment_seconds)


def filesystem_now(settings: Settings) -> float:
    """The time by the clock that stamps the live files (a network share has its own).

    The playlist's age is read in the same clock that wrote its mtime: touching a probe
    file asks the filesystem for its "now". Falls back to this machine's clock when the
    live folder cannot be written."""
    probe = settings.live_path / ".now"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.touch()
        return probe.stat().st_mtime
    except OSError:
        return time.time()


def is_fresh(settings: Settings, camera_id: int, stream: str, now: float | None = None) -> bool:
    """Whether the stream's playlist exists and was rewritten lately."""
    try:
        mtime = (stream_dir(settings, camera_id, stream) / PLAYLIST).stat().st_mtime
    except OSError:
        return False
    now = filesystem_now(settings) if now is None else now
    return now - mtime <= stale_after(settings)


def state(
    settings: Settings, camera: StationCamera, *, prefer_sub: bool, now: float | None = None
) -> LiveState:
    """The tile's stream (sub if asked for and live, else main) and whether it is live.

    A wall passes one `filesystem_now` for all its tiles rather than a probe per tile."""
    now = filesystem_now(settings) if now is None else now
    if prefer_sub and camera.sub_url_enc and is_fresh(settings, camera.id, "sub", now):
        return LiveState(camera, "sub", True)
    return LiveState(camera, "main", is_fresh(settings, camera.id, "main", now))


def live_file(settings: Settings, *, camera_id: int, stream: str, name: str) -> tuple[Path, str]:
    """A file of a live stream with its media type, or NotFound."""
    match = FILE_NAME.match(name)
    if stream not in STREAMS or match is None:
        raise NotFound(_("No such live stream file"))
    path = stream_dir(settings, camera_id, stream) / name
    if not path.is_file():
        raise NotFound(_("No live picture from this camera right now."))
    return path, MEDIA_TYPES[match.group(1)]


@dataclass(frozen=True, slots=True)
class Wall:
    """One page of a wall: the cameras it plays (in the listing's order) and their tiles, how
    many of all the wall's cameras have a picture and how many have none, and the paging."""

    cameras: list[StationCamera]
    tiles: dict[int, LiveState]
    live: int
    down: int
    page: int
    pages: int


def open_wall(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    scope: JurisdictionNode,
    station_id: int | None,
    limit: int,
    page: int = 1,
    problems_only: bool = False,
) -> Wall:
    """A page of the enabled cameras under the caller's node (or one station), in station
    order, as sub-stream tiles (only those with no picture if asked); audited."""
    cameras = service.list_cameras(session, scope_path=scope.path, station_id=station_id)
    now = filesystem_now(settings)
    states = [state(settings, c, prefer_sub=True, now=now) for c in cameras if c.enabled]
    live_count = sum(t.online for t in states)
    listed = [t for t in states if not t.online] if problems_only else states
    pages = max(1, math.ceil(len(listed) / limit))
    page = min(max(page, 1), pages)
    tiles = {t.camera.id: t for t in listed[(page - 1) * limit : page * limit]}
    audit.record(
        session,
        actor=actor,
        action="stations.live.wall",
        object_type="jurisdiction_node",
        object_id=station_id or scope.id,
        detail={"cameras": sorted(tiles)},
    )
    shown = [c for c in cameras if c.id in tiles]
    return Wall(shown, tiles, live_count, len(states) - live_count, page, pages)


def open_view(
    session: Session, *, settings: Settings, actor: audit.Actor, camera: StationCamera
) -> LiveState:
    """One camera's main stream, with its sound, for the full view; audited."""
    audit.record(
        session,
        actor=actor,
        action="stations.live.view",
        object_type="station_camera",
        object_id=camera.id,
        detail={"stream": "main", "station": camera.node_path},
    )
    return state(settings, camera, prefer_sub=False)
