"""Playback: a day's timeline per camera, a VOD playlist over the recorded files, clips."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import form_error, page, see_other
from nigrani.accounts.service import actor_of
from nigrani.core import moments
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import NigraniError, NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import local_input, parse_local
from nigrani.core.params import Id, PathBigId
from nigrani.evidence.deps import ShownClip
from nigrani.stations import clips, playback, service, views, watch_audit
from nigrani.stations.deps import CurrentStationCamera, Watcher
from nigrani.stations.models import RecordingSegment, StationCamera

router = APIRouter(include_in_schema=False)
MAX_CAMERAS = 4  # side by side on one screen
CLIP_HALF = timedelta(seconds=30)  # the export form's default: 30 s either side of the moment


def default_clip(moment: datetime, newest: datetime | None) -> dict[str, str]:
    """The export form's range: 30 s either side of the moment, ending by the newest recording."""
    start, end = moment - CLIP_HALF, moment + CLIP_HALF
    if newest is not None and end > newest:
        end = max(newest.replace(microsecond=0), start + timedelta(seconds=1))
        start = min(start, end - 2 * CLIP_HALF)
    return {"start": local_input(start), "end": local_input(end), "reason": "", "incident": ""}


def _cameras(db: DbSession, scope: Watcher, ids: list[int]) -> list[StationCamera]:
    cameras = [service.get_camera(db, camera_id=i, scope_path=scope.node.path) for i in ids]
    if len({c.station_id for c in cameras}) > 1:
        raise ValidationFailed(_("Pick cameras of one station to play them together."))
    return cameras[:MAX_CAMERAS]


def segment_url(seg: RecordingSegment) -> str:
    """Where the browser fetches one recorded file."""
    return f"/stations/playback/{seg.camera_id}/segments/{seg.id}.ts"


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _player(camera: StationCamera, day: playback.Day, on: date) -> dict[str, Any]:
    """What stations-playback.js needs: the playlist and each file's clock time."""
    return {
        "id": camera.id,
        "playlist": f"/stations/playback/{camera.id}/{on.isoformat()}.m3u8",
        "segments": [[_ms(s.start_at), s.duration_s] for s in day.segments],
    }


def _context(
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    cameras: list[StationCamera],
    moment: datetime,
    clip: dict[str, str] | None = None,
) -> dict[str, Any]:
    on = playback.local_day(moment, settings.timezone)
    days = {
        c.id: playback.day_of(db, camera_id=c.id, day=on, tz=settings.timezone) for c in cameras
    }
    path = scope.node.path
    first = cameras[0] if cameras else None
    return {
        "cameras": cameras,
        "days": days,
        "strips": {i: views.strips(d, moment, settings.timezone) for i, d in days.items()},
        "players": [_player(c, days[c.id], on) for c in cameras],
        "station": db.get(JurisdictionNode, first.station_id) if first else None,
        "siblings": service.list_cameras(db, scope_path=path, station_id=first.station_id)
        if first
        else [],
        "groups": views.by_station(
            views.stations_under(db, path), service.list_cameras(db, scope_path=path)
        ),
        "moment": moment,
        "on": on,
        "prev_day": on - timedelta(days=1),
        "next_day": on + timedelta(days=1),
        "at_ms": _ms(moment),
        "clip": clip
        or default_clip(moment, clips.newest_recorded(db, camera=first) if first else None),
        "local_input": local_input,
        **views.HELPERS,
    }


@router.get("/stations/playback")
def playback_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    now: Now,
    exported: ShownClip,
    camera: Annotated[list[Id], Query(max_length=MAX_CAMERAS * 2)] = [],  # noqa: B006
    at: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """Pick cameras of a station; for chosen ones, the day around `at` (IST) with gaps."""
    moment = playback.parse_at(at, settings.timezone) if at else now
    cameras = _cameras(db, scope, camera)
    if cameras:
        watch_audit.record_view(db, actor=actor_of(scope.user), cameras=cameras, at=moment)
    context = _context(db, settings, scope, cameras, moment)
    return page(request, "stations/playback.html", user=scope.user, exported=exported, **context)


def _clip_refused(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    camera: StationCamera,
    clip: dict[str, str],
    exc: NigraniError,
) -> HTMLResponse:
    """The playback page again, at the asked time, with the form as filled in, saying why no
    clip was made, or (ShortFootage) what is missing, to save only once the officer agrees."""
    moment = utcnow()
    with contextlib.suppress(NigraniError):
        moment = parse_local(clip["start"], settings.timezone).astimezone(UTC)
    context = _context(db, settings, scope, [camera], moment, clip)
    short = exc if isinstance(exc, clips.ShortFootage) else None
    refusal = form_error(exc, key="export_error")
    if short:  # said by its own box, with the gaps and the button to save what there is
        refusal["export_error"] = None
    return page(
        request,
        "stations/playback.html",
        user=scope.user,
        short=short,
        confirm=_confirm_token(clip, short.covered_s) if short else "",
        **refusal,
        **context,
    )


def _confirm_token(clip: dict[str, str], covered_s: float) -> str:
    """What the warning's "save anyway" sends back: the range it was shown for, and the
    seconds it said were covered."""
    return f"{clip['start']}|{clip['end']}|{covered_s:.1f}"


def _accepted(confirm: str, clip: dict[str, str]) -> float | None:
    """The covered seconds the officer accepted for exactly this range, if any."""
    start, _sep, rest = confirm.partition("|")
    end, _sep, seconds = rest.partition("|")
    if (start, end) != (clip["start"], clip["end"]):
        return None
    try:
        return float(seconds)
    except ValueError:
        return None


@router.post("/stations/playback/{camera_id}/clips", response_model=None)
def export_clip(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    camera: CurrentStationCamera,
    start: Annotated[str, Form(max_length=40)] = "",
    end: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
    incident: Annotated[str, Form(max_length=40)] = "",
    confirm: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Copy [start, end) IST of the camera into the evidence store; back to the page with it.

    Footage that covers less than asked is saved only after the officer saw the gaps."""
    clip = {"start": start, "end": end, "reason": reason, "incident": incident}
    try:
        begin, until = parse_local(start, settings.timezone), parse_local(end, settings.timezone)
        item = clips.export_clip(
            db,
            settings=settings,
            actor=actor_of(scope.user),
            camera=camera,
            start=begin.astimezone(UTC),
            end=until.astimezone(UTC),
            reason=reason.strip(),
            incident_id=clips.incident_for_clip(db, number=incident, scope_path=scope.node.path),
            accept_covered_s=_accepted(confirm, clip),
        )
    except NigraniError as exc:
        db.rollback()
        return _clip_refused(request, db, settings, scope, camera, clip, exc)
    at = begin.strftime("%Y-%m-%dT%H:%M:%S")
    return see_other(f"/stations/playback?camera={camera.id}&at={at}&clip={item.id}#export")


@router.get("/stations/playback/{camera_id}/{day}.m3u8")
def vod_playlist(
    db: DbSession, settings: SettingsDep, scope: Watcher, camera: CurrentStationCamera, day: str
) -> Response:
    """An HLS VOD playlist of the camera's files on a local day (IST); audited."""
    try:
        on = moments.parse_day(day)
    except ValueError as exc:
        raise NotFound(_("No such day")) from exc
    found = playback.day_of(db, camera_id=camera.id, day=on, tz=settings.timezone)
    watch_audit.record_playlist(db, actor=actor_of(scope.user), camera_id=camera.id, day=on)
    body = playback.vod_playlist(found.segments, segment_url=segment_url)
    return Response(
        body, media_type="application/vnd.apple.mpegurl", headers={"Cache-Control": "no-store"}
    )


@router.get("/stations/playback/{camera_id}/segments/{segment_id}.ts")
def segment_file(
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    camera: CurrentStationCamera,
    segment_id: PathBigId,
) -> FileResponse:
    """One recorded MPEG-TS file of a camera in the caller's charge; audited by window."""
    seg = playback.get_segment(db, camera_id=camera.id, segment_id=segment_id)
    watch_audit.record_watch(db, actor=actor_of(scope.user), segment=seg)
    return FileResponse(
        str(playback.segment_file(settings, seg)),
        media_type="video/mp2t",
        headers={"Cache-Control": "private, max-age=3600"},
    )
