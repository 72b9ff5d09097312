"""The Supreme Court compliance board (Paramvir Singh Saini, 2020): for each police station,
for each place a camera must see, whether one exists, works, hears, sees at night, and how
much footage is really on disk, against 18 months.

Score of a station, 0–100: each of the 7 required places earns up to 5 points — one each
for an enabled camera, a working one (see `is_working`), audio
(configured, and heard in what it recorded lately), night vision, and the fifth in
proportion to its days of footage on disk over the retention target (capped at 1) —
so score = 100 × points ÷ 35. A circle's or zone's score is the mean of its stations'.

Days of footage count back to a place's oldest segment not on hold (a clip's source kept
for years is not years of footage); hours are from there to the last segment, less the
gaps the recorder logged. Every figure comes from index lookups per camera — never from
summing millions of segment rows — so the board of a city costs the same after 18 months.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.core.config import Settings
from nigrani.stations.holds import segment_is_held
from nigrani.stations.models import REQUIRED_ROLES, RecordingGap, RecordingSegment, StationCamera

CHECKS = ("exists", "working", "audio", "night_vision")
POINTS_PER_ROLE = len(CHECKS) + 1  # the four checks and the footage share
# StationCamera.health (the health checks) that says a camera cannot be used.
UNHEALTHY = frozenset({"offline", "degraded"})


def is_working(*, enabled: bool, health: str, recorded: bool) -> bool:
    """Whether a camera counts as working: once the health checks have judged it, their
    state (a covered camera still records, but black); until then, the recorder's signal
    (it recorded within `compliance_working_minutes`)."""
    if not enabled:
        return False
    if health == "working":
        return True
    return recorded and health not in UNHEALTHY


@dataclass(frozen=True, slots=True)
class CameraFacts:
    """One camera as the board sees it."""

    role: str
    enabled: bool
    has_audio: bool
    night_vision: bool
    working: bool
    heard: bool  # its recent segments carry sound (True when it recorded nothing lately)
    oldest: datetime | None
    hours: float
    health: str = "unknown"  # StationCamera.health, from the health checks


@dataclass(frozen=True, slots=True)
class RoleCheck:
    """One required place of one station: the four checks and the footage on disk."""

    role: str
    cameras: int
    exists: bool
    working: bool
    audio: bool
    night_vision: bool
    days: float
    hours: float
    unhealthy: int = 0  # enabled cameras here that the health checks find offline or degraded

    def met(self) -> int:
        """How many of the four checks are met."""
        return sum((self.exists, self.working, self.audio, self.night_vision))

    def footage_share(self, target_days: int) -> float:
        """Days of footage on disk as a share of the target, at most 1."""
        return min(1.0, self.days / target_days) if target_days > 0 else 1.0

    def points(self, target_days: int) -> float:
        """0 to 5: the checks met plus the footage share."""
        return self.met() + self.footage_share(target_days)


def station_score(roles: list[RoleCheck], target_days: int) -> float:
    """A station's score, 0–100 (see the module's docstring)."""
    possible = POINTS_PER_ROLE * len(REQUIRED_ROLES)
    return round(100 * sum(r.points(target_days) for r in roles) / possible, 1)


@dataclass(frozen=True, slots=True)
class StationBoard:
    """One station's line of the board."""

    station: JurisdictionNode
    roles: list[RoleCheck]
    other_cameras: int
    days: float
    hours: float
    score: float

    @property
    def checks_met(self) -> int:
        """Checks met over all required places (of 28)."""
        return sum(r.met() for r in self.roles)

    @property
    def cameras(self) -> int:
        """Enabled cameras at required places."""
        return sum(r.cameras for r in self.roles)

    @property
    def working(self) -> int:
        """Required places with a working camera."""
        return sum(r.working for r in self.roles)


@dataclass(slots=True)
class AreaLine:
    """A roll-up of stations: a circle, a zone, or the whole board."""

    node: JurisdictionNode | None
    stations: list[StationBoard] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        """Mean of the stations' scores; None without stations."""
        if not self.stations:
            return None
        return round(sum(s.score for s in self.stations) / len(self.stations), 1)

    @property
    def checks_met(self) -> int:
        return sum(s.checks_met for s in self.stations)

    @property
    def checks_total(self) -> int:
        return len(CHECKS) * len(REQUIRED_ROLES) * len(self.stations)

    @property
    def places_working(self) -> int:
        return sum(s.working for s in self.stations)

    @property
    def places_total(self) -> int:
        return len(REQUIRED_ROLES) * len(self.stations)

    @property
    def min_days(self) -> float | None:
        """The shortest footage on disk among the stations, in days."""
        return min((s.days for s in self.stations), default=None)


@dataclass(frozen=True, slots=True)
class Board:
    """The board for one node: its stations, and its children rolled up for drill-down."""

    node: JurisdictionNode
    generated_at: datetime
    target_days: int
    working_minutes: int
    stations: list[StationBoard]
    areas: list[AreaLine]
    total: AreaLine


# A segment is at most a few recording_segment_seconds long (600 s at most, cut late when
# keyframes are missing): segments ending in the last minutes start within this margin.
SEGMENT_MARGIN = timedelta(hours=1)


def _columns(since: datetime) -> list[Any]:
    """Per-camera facts as correlated subqueries, each served by (camera_id, start_at)."""
    seg, camera = RecordingSegment, StationCamera.id
    mine = seg.camera_id == camera
    window = (mine, seg.start_at >= since - SEGMENT_MARGIN, seg.end_at >= since)
    return [
        select(func.min(seg.start_at)).where(mine).scalar_subquery().label("oldest"),
        select(seg.start_at)  # ORDER BY + LIMIT walks the index (MIN() with NOT EXISTS scans)
        .where(mine, ~segment_is_held())
        .order_by(seg.start_at)
        .limit(1)
        .scalar_subquery()
        .label("oldest_kept"),
        select(seg.end_at)
        .where(mine)
        .order_by(seg.start_at.desc())
        .limit(1)
        .scalar_subquery()
        .label("latest"),
        select(func.count(seg.id)).where(*window).scalar_subquery().label("recent"),
        select(func.count(seg.audio_codec)).where(*window).scalar_subquery().label("heard"),
    ]


def _gaps(session: Session, path: str) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """The recorder's logged gaps of every camera under a node."""
    stmt = (
        select(RecordingGap.camera_id, RecordingGap.start_at, RecordingGap.end_at)
        .join(StationCamera, StationCamera.id == RecordingGap.camera_id)
        .where(jurisdiction.under(StationCamera.node_path, path))
    )
    found: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for camera_id, start, end in session.execute(stmt).all():
        found[int(camera_id)].append((start, end))
    return found


def recorded_hours(
    first: datetime | None,
    last: datetime | None,
    gaps: Sequence[tuple[datetime, datetime | None]],
) -> float:
    """Hours from the first footage kept to the last, less the gaps logged in between."""
    if first is None or last is None or last <= first:
        return 0.0
    lost = sum(
        max(0.0, (min(end or last, last) - max(start, first)).total_seconds())
        for start, end in gaps
    )
    return max(0.0, (last - first).total_seconds() - lost) / 3600


def _facts(
    session: Session, path: str, now: datetime, minutes: int
) -> dict[int, list[CameraFacts]]:
    """Every camera under a node with what its segments say, by station id."""
    since = now - timedelta(minutes=minutes)
    stmt = select(StationCamera, *_columns(since)).where(
        jurisdiction.under(StationCamera.node_path, path)
    )
    gaps = _gaps(session, path)
    found: dict[int, list[CameraFacts]] = defaultdict(list)
    for row in session.execute(stmt).all():
        camera: StationCamera = row[0]
        times = (row.latest, camera.last_segment_at)
        latest = max((t for t in times if t is not None), default=None)
        first = row.oldest_kept or row.oldest  # held islands left by cleanup do not count
        found[camera.station_id].append(
            CameraFacts(
                role=camera.role, enabled=camera.enabled, has_audio=camera.has_audio,
                night_vision=camera.night_vision,
                working=is_working(
                    enabled=camera.enabled, health=camera.health,
                    recorded=latest is not None and latest >= since,
                ),
                heard=int(row.recent or 0) == 0 or int(row.heard or 0) > 0, oldest=first,
                hours=recorded_hours(first, row.latest, gaps.get(camera.id, [])),
                health=camera.health,
            )
        )  # fmt: skip
    return found


def _days(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds() / 86400) if oldest else 0.0


def role_check(role: str, cameras: list[CameraFacts], now: datetime) -> RoleCheck:
    """One required place from the enabled cameras that watch it."""
    live = [c for c in cameras if c.role == role and c.enabled]
    oldest = min((c.oldest for c in live if c.oldest is not None), default=None)
    return RoleCheck(
        role=role,
        cameras=len(live),
        exists=bool(live),
        working=any(c.working for c in live),
        audio=any(c.has_audio and c.heard for c in live),
        night_vision=any(c.night_vision for c in live),
        days=round(_days(oldest, now), 2),
        hours=round(sum(c.hours for c in live), 2),
        unhealthy=sum(c.health in UNHEALTHY for c in live),
    )


def _station_board(
    station: JurisdictionNode, cameras: list[CameraFacts], now: datetime, target: int
) -> StationBoard:
    roles = [role_check(role, cameras, now) for role in REQUIRED_ROLES]
    oldest = min((c.oldest for c in cameras if c.oldest is not None and c.enabled), default=None)
    return StationBoard(
        station=station,
        roles=roles,
        other_cameras=sum(c.enabled and c.role not in REQUIRED_ROLES for c in cameras),
        days=round(_days(oldest, now), 2),
        hours=round(sum(c.hours for c in cameras if c.enabled), 2),
        score=station_score(roles, target),
    )


def _areas(
    session: Session, node: JurisdictionNode, stations: list[StationBoard]
) -> list[AreaLine]:
    """The node's children, each with the stations under it (none below a station)."""
    if node.level in (Level.STATION.value, Level.POST.value):
        return []
    lines = []
    for child in jurisdiction.children(session, node):
        if child.level == Level.POST.value:
            continue
        inside = [s for s in stations if jurisdiction.within(s.station.path, child.path)]
        lines.append(AreaLine(child, inside))
    return lines


def board(session: Session, *, node: JurisdictionNode, settings: Settings, now: datetime) -> Board:
    """The compliance board of a station, circle, zone or the commissionerate."""
    target, minutes = settings.recording_retention_days, settings.compliance_working_minutes
    facts = _facts(session, node.path, now, minutes)
    nodes = jurisdiction.subtree(session, node)
    stations = sorted(
        (n for n in nodes if n.level == Level.STATION.value), key=lambda n: (n.path, n.name_en)
    )
    boards = [_station_board(s, facts.get(s.id, []), now, target) for s in stations]
    boards.sort(key=lambda b: (b.score, b.station.name_en))  # the worst first: act on those
    return Board(
        node=node,
        generated_at=now,
        target_days=target,
        working_minutes=minutes,
        stations=boards,
        areas=_areas(session, node, boards),
        total=AreaLine(node, boards),
    )
