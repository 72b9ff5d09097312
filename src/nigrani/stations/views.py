"""What the station pages show: stations in charge, the live wall and full view, times to the
second in IST, labels, timelines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.models import JurisdictionNode
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.i18n import _, current_language, to_ist
from nigrani.stations import live, playback
from nigrani.stations.labels import role_label
from nigrani.stations.models import ROLES, StationCamera


def stations_under(session: Session, scope_path: str) -> list[JurisdictionNode]:
    """Police stations at or under a node, by English name."""
    stmt = (
        select(JurisdictionNode)
        .where(under(JurisdictionNode.path, scope_path), JurisdictionNode.level == "station")
        .order_by(JurisdictionNode.name_en)
    )
    return list(session.scalars(stmt))


def by_station(
    stations: list[JurisdictionNode], cameras: list[StationCamera]
) -> list[tuple[JurisdictionNode, list[StationCamera]]]:
    """Cameras grouped under their station, stations in the given order."""
    groups: dict[int, list[StationCamera]] = {s.id: [] for s in stations}
    for camera in cameras:
        groups.setdefault(camera.station_id, []).append(camera)
    return [(s, groups[s.id]) for s in stations]


def wall(
    session: Session,
    *,
    settings: Settings,
    actor: audit.Actor,
    scope: JurisdictionNode,
    station_id: int | None,
    limit: int,
    page: int = 1,
    problems_only: bool = False,
) -> dict[str, Any]:
    """The live wall's context: a page of tiles opened (and audited), grouped by station,
    each tile with no picture saying since when, and the wall's summary."""
    stations = stations_under(session, scope.path)
    shown = live.open_wall(
        session, settings=settings, actor=actor, scope=scope, station_id=station_id,
        limit=limit, page=page, problems_only=problems_only,
    )  # fmt: skip
    groups = [(s, cams) for s, cams in by_station(stations, shown.cameras) if cams]
    today = to_ist(utcnow(), settings.timezone).date()
    return {
        "groups": groups,
        "tiles": shown.tiles,
        "down_text": {c.id: no_picture(c, today, settings.timezone) for c in shown.cameras},
        "wall": shown,
        "stations": stations,
        "station": station_id,
        "problems": problems_only,
        **HELPERS,
    }


def no_picture(camera: StationCamera, today: date, tz: str = "Asia/Kolkata") -> str:
    """What an officer reads on a tile with no picture: since when (IST) nothing came in."""
    if camera.last_segment_at is None:
        return _("No picture: nothing has been recorded from this camera yet.")
    local = to_ist(camera.last_segment_at, tz)
    pattern = "HH:mm" if local.date() == today else "d MMM, HH:mm"
    since = format_datetime(local, pattern, locale=current_language.get())
    return _("No picture: the camera or its recorder has been down since {time} IST.").format(
        time=since
    )


def full_view(
    session: Session, *, settings: Settings, actor: audit.Actor, camera: StationCamera
) -> dict[str, Any]:
    """The full view's context: the camera, its main stream opened (and audited), its station."""
    tile = live.open_view(session, settings=settings, actor=actor, camera=camera)
    station = session.get(JurisdictionNode, camera.station_id)
    today = to_ist(utcnow(), settings.timezone).date()
    down_text = no_picture(camera, today, settings.timezone)
    return {"camera": camera, "tile": tile, "station": station, "down_text": down_text, **HELPERS}


@dataclass(frozen=True, slots=True)
class StationSummary:
    """One station's line in the cameras list: how many, how many recorded lately."""

    station: JurisdictionNode
    cameras: int
    recording: int
    latest: datetime | None


def camera_summary(
    groups: list[tuple[JurisdictionNode, list[StationCamera]]], settings: Settings, now: datetime
) -> list[StationSummary]:
    """Per station: cameras, those that recorded within the working window, the newest."""
    since = now - timedelta(minutes=settings.compliance_working_minutes)
    rows = []
    for station, cameras in groups:
        times = [c.last_segment_at for c in cameras if c.last_segment_at and c.enabled]
        recent = sum(t >= since for t in times)
        rows.append(StationSummary(station, len(cameras), recent, max(times, default=None)))
    return rows


def role_choices() -> list[tuple[str, str]]:
    """Location roles for a select, labelled in the current language."""
    return [(r, role_label(r)) for r in ROLES]


def clock(value: datetime | None, tz: str = "Asia/Kolkata") -> str:
    """A time of day to the second, in IST."""
    return value.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S") if value else "—"


def camera_values(camera: StationCamera) -> dict[str, Any]:
    """The edit form's fields of a stored camera (never its URLs)."""
    return {
        "name": camera.name,
        "role": camera.role,
        "has_audio": camera.has_audio,
        "night_vision": camera.night_vision,
        "enabled": camera.enabled,
        "retention_days": camera.retention_days,
        "make": camera.make,
        "model": camera.model,
        "serial": camera.serial,
        "mac": camera.mac,
    }


def zones_of(camera: StationCamera) -> list[dict[str, Any]]:
    """The camera's stored zones."""
    zones: list[dict[str, Any]] = json.loads(camera.zones_json or "[]")
    return zones


@dataclass(frozen=True, slots=True)
class Strip:
    """A timeline between two times: recorded runs and gaps as bars, ticks with IST labels."""

    start_ms: int
    end_ms: int
    runs: list[dict[str, float]]
    gaps: list[dict[str, float]]
    ticks: list[tuple[str, float]]


def _bar(span: playback.Span, start: datetime, end: datetime) -> dict[str, float] | None:
    total = (end - start).total_seconds()
    left = max(0.0, (span.start - start).total_seconds() / total)
    right = min(1.0, (span.end - start).total_seconds() / total)
    if right <= left:
        return None
    return {"left": round(100 * left, 3), "width": round(100 * (right - left), 3)}


def _ticks(start: datetime, end: datetime, step: timedelta, tz: str) -> list[tuple[str, float]]:
    local = start.astimezone(ZoneInfo(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    at = midnight + step * -(-(local - midnight) // step)  # the first tick at or after start
    total, ticks = (end - start).total_seconds(), []
    while at < end:
        label = at.strftime("%H") if step >= timedelta(hours=1) else at.strftime("%H:%M")
        ticks.append((label, round(100 * (at - start).total_seconds() / total, 3)))
        at += step
    return ticks


def strip(day: playback.Day, start: datetime, end: datetime, *, step: timedelta, tz: str) -> Strip:
    """The day's footage drawn between start and end."""
    runs = [b for r in day.runs if (b := _bar(r, start, end))]
    gaps = [b for g in day.gaps if (b := _bar(g, start, end))]
    ms = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    return Strip(ms[0], ms[1], runs, gaps, _ticks(start, end, step, tz))


def strips(day: playback.Day, moment: datetime, tz: str) -> list[Strip]:
    """The whole day, and the hour around the moment (where a few minutes can be seen)."""
    half = timedelta(minutes=30)
    return [
        strip(day, day.start, day.end, step=timedelta(hours=3), tz=tz),
        strip(day, moment - half, moment + half, step=timedelta(minutes=10), tz=tz),
    ]


HELPERS: dict[str, Any] = {"place_label": role_label, "clock": clock}
