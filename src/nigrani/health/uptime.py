"""Uptime and time to repair over a period, by camera, category, station, zone or crossing.

Computed in SQL from the outages clipped to the period: three GROUP BY statements for any
number of cameras (current states and watched time; time down; repairs), none per camera.
- `uptime_pct` is the share of the watched time a camera was not offline: a degraded camera
  still streams (its footage exists, if spoiled), so it counts as up here, as in the
  availability % of the VMSs. `usable_pct` also counts degraded time as down (a covered or
  black camera is of no use to an investigation); `down_s` and `degraded_s` give both.
- A camera is watched from its target's creation (or the period's start), to the period's
  end or now, whichever comes first; an open outage runs to that end.
- Time to repair: from the moment a camera stopped working to its return to working, over
  the chain of touching outages (offline, then degraded, then working is one repair), for
  the repairs that ended in the period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras.models import CameraCategory, Site
from nigrani.core.db import UTCDateTime, utcnow
from nigrani.core.i18n import _
from nigrani.health import naming
from nigrani.health.models import HealthOutage, HealthTarget

GroupBy = Literal["camera", "category", "station", "zone", "crossing"]
GROUPS: tuple[GroupBy, ...] = ("camera", "category", "station", "zone", "crossing")


@dataclass(frozen=True)
class UptimeRow:
    """One group's cameras by state now, and its uptime and time to repair in the period."""

    key: str
    label: str
    cameras: int
    working: int
    degraded: int
    offline: int
    unknown: int
    uptime_pct: float | None  # not offline, of the watched time
    mttr_s: float | None  # mean time to repair, of the repairs that ended in the period
    down_s: float  # offline seconds in the period
    degraded_s: float = 0.0  # degraded seconds in the period
    usable_pct: float | None = None  # neither offline nor degraded, of the watched time
    repairs: int = 0


@dataclass(frozen=True)
class Broken:
    """A camera not working now: since when, and who must repair it."""

    target_id: int
    camera: str
    place: str  # where it is (health.naming)
    category: str
    state: str
    reason: str
    since: datetime | None
    days_down: float
    team: str


class _Sql:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, session: Session) -> None:
        self.pg = session.get_bind().dialect.name == "postgresql"

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        if self.pg:
            return cast(extract("epoch", later - earlier), Float)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def greatest(self, a: Any, b: Any) -> ColumnElement[Any]:
        return func.greatest(a, b) if self.pg else func.max(a, b)

    def least(self, a: Any, b: Any) -> ColumnElement[Any]:
        return func.least(a, b) if self.pg else func.min(a, b)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _scoped(scope_path: str, group_by: GroupBy) -> Subquery:
    """The enabled targets under a node, each with the key of its group."""
    t = HealthTarget
    keys: dict[str, Any] = {
        "camera": t.id,
        "category": t.category_code,
        "station": t.node_path,
        "crossing": t.site_id,
    }
    key = JurisdictionNode.id if group_by == "zone" else keys[group_by]
    stmt = select(t.id.label("tid"), cast(key, String).label("key"), t.state, t.created_at).where(
        t.enabled.is_(True), under(t.node_path, scope_path)
    )
    if group_by == "zone":
        zone = and_(
            JurisdictionNode.level == Level.ZONE.value,
            t.node_path.like(JurisdictionNode.path + "%"),
        )
        stmt = stmt.join(JurisdictionNode, zone)
    if group_by == "crossing":
        stmt = stmt.where(t.site_id.is_not(None))
    return stmt.subquery("scoped")


def _counts(sql: _Sql, scoped: Subquery, start: datetime, end: datetime) -> Select[Any]:
    def n(state: str) -> ColumnElement[int]:
        return func.sum(case((scoped.c.state == state, 1), else_=0))

    watched_from = sql.greatest(scoped.c.created_at, _at(start))
    watched = case((scoped.c.created_at < _at(end), sql.seconds(_at(end), watched_from)), else_=0.0)
    return select(
        scoped.c.key,
        func.count(),
        n("working"),
        n("degraded"),
        n("offline"),
        n("unknown"),
        func.sum(watched),
    ).group_by(scoped.c.key)


def _down(sql: _Sql, scoped: Subquery, start: datetime, end: datetime) -> Select[Any]:
    o = HealthOutage
    lasted = sql.seconds(
        sql.least(func.coalesce(o.end_at, _at(end)), _at(end)),
        sql.greatest(o.start_at, _at(start)),
    )

    def of(state: str) -> ColumnElement[float]:
        return func.sum(case((o.state == state, lasted), else_=0.0))

    return (
        select(scoped.c.key, of("offline"), of("degraded"))
        .join(o, o.target_id == scoped.c.tid)
        .where(o.start_at < _at(end), or_(o.end_at.is_(None), o.end_at > _at(start)))
        .group_by(scoped.c.key)
    )


def _repairs(sql: _Sql, start: datetime, end: datetime) -> Select[Any]:
    """Repairs that ended in the period and how long each took, by group: outages that
    touch (one ends as the next starts) are one time broken (gaps and islands). The
    episodes are numbered over all outages, then joined to the scope once: joined to it
    inside as well, PostgreSQL re-ran the window for each camera (minutes at 6,720)."""
    o = HealthOutage
    order = (o.start_at, o.id)
    previous_end = func.lag(o.end_at).over(partition_by=o.target_id, order_by=order)
    flagged = (
        select(
            o.target_id,
            o.id,
            o.start_at,
            o.end_at,
            case((previous_end == o.start_at, 0), else_=1).label("fresh"),
        )
        .where(o.start_at < _at(end))
        .subquery("flagged")
    )
    f = flagged.c
    numbered = select(
        f.target_id,
        f.start_at,
        f.end_at,
        func.sum(f.fresh)
        .over(partition_by=f.target_id, order_by=(f.start_at, f.id), rows=(None, 0))
        .label("episode"),
    ).subquery("numbered")
    e = numbered.c
    episodes = (
        select(
            e.target_id,
            func.min(e.start_at).label("began"),
            func.max(e.end_at).label("ended"),
            (func.count(e.end_at) == func.count()).label("closed"),
        )
        .group_by(e.target_id, e.episode)
        .subquery("episodes")
    )
    p = episodes.c
    # By camera, not by group: the scope is applied in Python (`_by_group`).
    return (
        select(p.target_id, func.count(), func.sum(sql.seconds(p.ended, p.began)))
        .where(p.closed, p.ended >= _at(start), p.ended < _at(end))
        .group_by(p.target_id)
    )


def _by_group(
    session: Session, scoped: Subquery, per_camera: Iterable[Any]
) -> dict[Any, tuple[int, float | None]]:
    """Repairs and mean time to repair of each group, from each camera's."""
    key_of = dict(session.execute(select(scoped.c.tid, scoped.c.key)).all())
    sums: dict[Any, list[float]] = {}
    for tid, n, total in per_camera:
        if tid in key_of:
            acc = sums.setdefault(key_of[tid], [0, 0.0])
            acc[0] += int(n)
            acc[1] += float(total or 0.0)
    return {k: (int(n), total / n if n else None) for k, (n, total) in sums.items()}


def uptime(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    scope_path: str,
    group_by: GroupBy,
    lang: str = "en",
) -> list[UptimeRow]:
    """Each group's cameras, uptime % and time to repair in [start, end), by label."""
    if group_by not in GROUPS:
        raise ValueError(f"no grouping {group_by!r}")
    end = min(end, utcnow())
    sql, scoped = _Sql(session), _scoped(scope_path, group_by)
    counts = session.execute(_counts(sql, scoped, start, end)).all()
    down = {
        k: (off or 0.0, deg or 0.0)
        for k, off, deg in session.execute(_down(sql, scoped, start, end))
    }
    fixed = _by_group(session, scoped, session.execute(_repairs(sql, start, end)))
    labels = _labels(session, group_by, [str(row[0]) for row in counts], lang)
    rows = []
    for key, cameras, working, degraded, offline, unknown, watched in counts:
        off, deg = down.get(key, (0.0, 0.0))
        repairs, mttr = fixed.get(key, (0, None))
        watched = float(watched or 0.0)
        rows.append(
            UptimeRow(
                key=str(key),
                label=labels.get(str(key), str(key)),
                cameras=int(cameras),
                working=int(working or 0),
                degraded=int(degraded or 0),
                offline=int(offline or 0),
                unknown=int(unknown or 0),
                uptime_pct=_pct(watched, float(off)),
                mttr_s=float(mttr) if mttr is not None else None,
                down_s=float(off),
                degraded_s=float(deg),
                usable_pct=_pct(watched, float(off) + float(deg)),
                repairs=int(repairs),
            )
        )
    return sorted(rows, key=lambda r: (r.label, r.key))


def _pct(watched: float, down: float) -> float | None:
    if watched <= 0:
        return None
    return round(max(0.0, 100.0 * (watched - down) / watched), 3)


def _labels(session: Session, group_by: GroupBy, keys: list[str], lang: str) -> dict[str, str]:
    """What each group is called (the keys are ids, codes or paths)."""
    if not keys:
        return {}
    match group_by:
        case "category":
            cats = session.scalars(select(CameraCategory).where(CameraCategory.code.in_(keys)))
            found = {c.code: c.name(lang) for c in cats}
            return found | {"station": str(_("Station cameras"))}
        case "station" | "zone":
            column = JurisdictionNode.path if group_by == "station" else JurisdictionNode.id
            wanted = keys if group_by == "station" else [int(k) for k in keys]
            nodes = session.scalars(select(JurisdictionNode).where(column.in_(wanted)))
            return {str(getattr(n, column.key)): n.name(lang) for n in nodes}
        case "crossing":
            sites = session.execute(
                select(Site.id, Site.name).where(Site.id.in_([int(k) for k in keys]))
            )
            return {str(i): name for i, name in sites}
        case _:
            return _camera_labels(session, [int(k) for k in keys], lang)


def _camera_labels(session: Session, ids: list[int], lang: str) -> dict[str, str]:
    return {str(tid): name.title for tid, name in naming.names(session, ids, lang=lang).items()}


def daily_uptime(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    scope_path: str,
    tz: str = "Asia/Kolkata",
) -> list[tuple[date, float | None]]:
    """Uptime % (not offline) of all cameras under a node for each local day of the period."""
    zone = ZoneInfo(tz)
    end = min(end, utcnow())
    days = _days(start, end, zone)
    if not days:
        return []
    sql, scoped = _Sql(session), _scoped(scope_path, "camera")
    spans = union_all(
        *(
            select(literal(i).label("day"), _at(a).label("a"), _at(b).label("b"))
            for i, (_d, a, b) in enumerate(days)
        )
    ).subquery("days")
    d = spans.c
    watched_from = sql.greatest(scoped.c.created_at, d.a)
    watched = (
        select(d.day, func.sum(sql.seconds(d.b, watched_from)))
        .select_from(spans)
        .join(scoped, scoped.c.created_at < d.b)
    )
    o = HealthOutage
    lasted = sql.seconds(
        sql.least(func.coalesce(o.end_at, d.b), d.b), sql.greatest(o.start_at, d.a)
    )
    down = (
        select(d.day, func.sum(lasted))
        .select_from(spans)
        .join(o, and_(o.start_at < d.b, or_(o.end_at.is_(None), o.end_at > d.a)))
        .join(scoped, scoped.c.tid == o.target_id)
        .where(o.state == "offline")
    )
    seen: dict[int, Any] = dict(session.execute(watched.group_by(d.day)).all())
    lost: dict[int, Any] = dict(session.execute(down.group_by(d.day)).all())
    return [
        (day, _pct(float(seen.get(i) or 0.0), float(lost.get(i) or 0.0)))
        for i, (day, _a, _b) in enumerate(days)
    ]


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """The local days the period touches, each clipped to the period."""
    out: list[tuple[date, datetime, datetime]] = []
    day = start.astimezone(zone).date()
    while True:
        a = datetime.combine(day, time(), zone)
        b = datetime.combine(day + timedelta(days=1), time(), zone)
        lo, hi = max(a, start), min(b, end)
        if lo >= end:
            return out
        if lo < hi:
            out.append((day, lo, hi))
        day += timedelta(days=1)


def longest_broken(
    session: Session, *, now: datetime, scope_path: str, limit: int = 20, lang: str = "en"
) -> list[Broken]:
    """The cameras under a node not working now, broken longest first."""
    t = HealthTarget
    stmt = (
        select(t)
        .where(t.enabled.is_(True), t.state.in_(("offline", "degraded")))
        .where(under(t.node_path, scope_path))
        .order_by(t.since, t.id)
        .limit(max(0, limit))
    )
    targets = session.scalars(stmt).all()
    found = naming.names(session, (target.id for target in targets), lang=lang)
    out = []
    for target in targets:
        since, name = target.since, found[target.id]
        out.append(
            Broken(
                target_id=target.id,
                camera=name.title,
                place=name.place,
                category=target.category_code,
                state=target.state,
                reason=target.reason,
                since=since,
                days_down=round((now - since).total_seconds() / 86400, 2) if since else 0.0,
                team=target.team,
            )
        )
    return out
