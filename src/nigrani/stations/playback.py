"""Recorded footage of a day: segments, the gaps between them, and the HLS VOD playlist
that plays them (MPEG-TS files as the recorder wrote them, nothing re-encoded)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import local_input, parse_moment
from nigrani.stations.models import RecordingGap, RecordingSegment, StationCamera

if TYPE_CHECKING:
    from nigrani.accounts.deps import Scope

# Recorder clocks jitter; a hole shorter than this between two files is no gap.
GAP_TOLERANCE_S = 1.0


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time: a run of recorded footage, or a gap with its reason if known."""

    start: datetime
    end: datetime
    reason: str = ""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True, slots=True)
class Day:
    """One camera's footage on one local day: files in order, runs drawn, gaps listed."""

    start: datetime
    end: datetime
    segments: list[RecordingSegment]
    runs: list[Span]
    gaps: list[Span]


def parse_at(value: str, tz: str) -> datetime:
    """An ISO time with an offset, or a wall-clock time in the city's zone, as aware UTC."""
    try:
        parsed = parse_moment(value, zone=ZoneInfo(tz))
    except ValueError as exc:
        raise ValidationFailed(
            _("Enter the date and time as shown, e.g. 2026-12-01 18:30."), field="at"
        ) from exc
    return parsed.astimezone(UTC)


def local_day(at: datetime, tz: str) -> date:
    """The calendar day (in the city's zone) a moment falls on."""
    return at.astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Local midnight to the next midnight, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
    return start.astimezone(UTC), end.astimezone(UTC)


def segments_between(
    session: Session, *, camera_id: int, start: datetime, end: datetime
) -> list[RecordingSegment]:
    """The camera's files that overlap [start, end), oldest first."""
    stmt = (
        select(RecordingSegment)
        .where(RecordingSegment.camera_id == camera_id)
        .where(RecordingSegment.start_at < end, RecordingSegment.end_at > start)
        .order_by(RecordingSegment.start_at)
    )
    return list(session.scalars(stmt))


def _stored_gaps(
    session: Session, *, camera_id: int, start: datetime, end: datetime
) -> list[RecordingGap]:
    stmt = (
        select(RecordingGap)
        .where(RecordingGap.camera_id == camera_id, RecordingGap.start_at < end)
        .where(or_(RecordingGap.end_at.is_(None), RecordingGap.end_at > start))
        .order_by(RecordingGap.start_at)
    )
    return list(session.scalars(stmt))


def runs_of(segments: Sequence[RecordingSegment]) -> list[Span]:
    """Consecutive files joined into runs of unbroken footage."""
    runs: list[Span] = []
    for seg in segments:
        if runs and (seg.start_at - runs[-1].end).total_seconds() <= GAP_TOLERANCE_S:
            runs[-1] = Span(runs[-1].start, max(runs[-1].end, seg.end_at))
        else:
            runs.append(Span(seg.start_at, seg.end_at))
    return runs


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Span(last.start, max(last.end, span.end), last.reason or span.reason)
        else:
            merged.append(span)
    return merged


def gaps_of(
    runs: Sequence[Span], stored: Sequence[RecordingGap], *, start: datetime, end: datetime
) -> list[Span]:
    """Holes between runs and the gaps the recorder wrote down, clipped to the day, merged."""
    holes = [Span(a.end, b.start) for a, b in pairwise(runs)]
    limit = min(end, utcnow())
    for gap in stored:
        gap_end = min(gap.end_at or limit, end)
        if gap_end > max(gap.start_at, start):
            holes.append(Span(max(gap.start_at, start), gap_end, gap.reason))
    return _merge(holes)


def day_of(session: Session, *, camera_id: int, day: date, tz: str) -> Day:
    """A camera's footage on one local day."""
    start, end = day_bounds(day, tz)
    segments = segments_between(session, camera_id=camera_id, start=start, end=end)
    runs = runs_of(segments)
    stored = _stored_gaps(session, camera_id=camera_id, start=start, end=end)
    return Day(start, end, segments, runs, gaps_of(runs, stored, start=start, end=end))


def _pdt(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def vod_playlist(
    segments: Sequence[RecordingSegment], *, segment_url: Callable[[RecordingSegment], str]
) -> str:
    """An HLS VOD playlist over the files; a discontinuity (and its clock time) at each gap."""
    longest = max((s.duration_s for s in segments), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    previous: RecordingSegment | None = None
    for seg in segments:
        if previous is not None and (
            (seg.start_at - previous.end_at).total_seconds() > GAP_TOLERANCE_S
        ):
            lines.append("#EXT-X-DISCONTINUITY")
        if previous is None or lines[-1] == "#EXT-X-DISCONTINUITY":
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_pdt(seg.start_at)}")
        lines += [f"#EXTINF:{seg.duration_s:.3f},", segment_url(seg)]
        previous = seg
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def get_segment(session: Session, *, camera_id: int, segment_id: int) -> RecordingSegment:
    """One recorded file of the camera, or NotFound."""
    seg = session.get(RecordingSegment, segment_id)
    if seg is None or seg.camera_id != camera_id:
        raise NotFound(_("No such recording"))
    return seg


def segment_file(settings: Settings, seg: RecordingSegment) -> Path:
    """Where a segment's file lies; never outside the recordings folder."""
    root = settings.recordings_path.resolve()
    path = (root / seg.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(_("The recording's file is missing."))
    return path


def newest_segment(session: Session, *, camera_id: int) -> RecordingSegment | None:
    """The camera's latest recorded file."""
    stmt = (
        select(RecordingSegment)
        .where(RecordingSegment.camera_id == camera_id)
        .order_by(RecordingSegment.start_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def reception_camera(session: Session, *, station_id: int, scope_path: str) -> StationCamera | None:
    """The station's front-desk camera, if it has one under the officer's node."""
    stmt = (
        select(StationCamera)
        .where(StationCamera.station_id == station_id, StationCamera.role == "reception")
        .where(under(StationCamera.node_path, scope_path))
        .order_by(StationCamera.enabled.desc(), StationCamera.id)
        .limit(1)
    )
    return session.scalar(stmt)


def visit_camera_link(
    session: Session, *, scope: Scope, station_id: int | None, visited_at: datetime
) -> str | None:
    """Playback of the station's reception camera at a visit, for an officer who may watch."""
    if station_id is None or not has_permission(Role(scope.user.role), Permission.STATION_VIDEO):
        return None
    camera = reception_camera(session, station_id=station_id, scope_path=scope.node.path)
    if camera is None:
        return None
    return f"/stations/playback?camera={camera.id}&at={local_input(visited_at)}"
