"""Camera health inside one's charge, read for pages: the home pages' numbers (one statement),
the list of cameras in a state, the open alerts, and one camera's panel.

A camera is named for people by health.naming (the same name the report and the alerts use).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.models import Camera, Site
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _, pick
from nigrani.health import naming
from nigrani.health.models import HealthAlert, HealthTarget
from nigrani.stations.models import StationCamera

ListState = Literal["offline", "degraded", "broken"]
LIST_LIMIT = 500  # a list page shows the longest-broken this many; the CSV has them all
DAY_S = 86400


@dataclass(frozen=True, slots=True)
class HealthFigures:
    """The home pages' numbers for one charge."""

    offline: int
    degraded: int
    alerts: int


def home_figures(session: Session, *, scope_path: str) -> HealthFigures:
    """Cameras offline and degraded, and open health alerts, under a node: one statement."""
    t = HealthTarget
    alerts = (
        select(func.count(HealthAlert.id))
        .where(
            HealthAlert.resolved_at.is_(None), jurisdiction.under(HealthAlert.node_path, scope_path)
        )
        .scalar_subquery()
    )
    stmt = select(
        func.coalesce(func.sum(case((t.state == "offline", 1), else_=0)), 0),
        func.coalesce(func.sum(case((t.state == "degraded", 1), else_=0)), 0),
        alerts,
    ).where(t.enabled.is_(True), jurisdiction.under(t.node_path, scope_path))
    offline, degraded, open_alerts = session.execute(stmt).one()
    return HealthFigures(int(offline or 0), int(degraded or 0), int(open_alerts or 0))


@dataclass(frozen=True, slots=True)
class CameraLine:
    """One probed camera as a list shows it."""

    target_id: int
    camera: str
    place: str
    station: str
    category_code: str
    team: str
    state: str
    reason: str
    since: datetime | None
    days_down: float | None
    node_path: str


def _named() -> Select[HealthTarget, str, str]:
    """Targets with the station each sits in (a station camera's, or its site's)."""
    t = HealthTarget
    station_id = func.coalesce(StationCamera.station_id, Site.station_id)
    return (
        select(t, JurisdictionNode.name_en, JurisdictionNode.name_hi)
        .outerjoin(Camera, Camera.id == t.registry_camera_id)
        .outerjoin(Site, Site.id == func.coalesce(t.site_id, Camera.site_id))
        .outerjoin(StationCamera, StationCamera.id == t.station_camera_id)
        .outerjoin(JurisdictionNode, JurisdictionNode.id == station_id)
    )


def _line(row: Any, name: naming.CameraName, now: datetime, lang: str) -> CameraLine:
    target: HealthTarget = row[0]
    station_en, station_hi = row[1:]
    station = pick((station_en, station_hi), lang) if station_en else ""
    down = target.state in ("offline", "degraded") and target.since is not None
    days = max(0.0, (now - target.since).total_seconds() / DAY_S) if down and target.since else None
    return CameraLine(
        target.id, name.title, name.place, station, target.category_code, target.team, target.state,
        target.reason, target.since, None if days is None else round(days, 1), target.node_path,
    )  # fmt: skip


def cameras(
    session: Session, *, scope_path: str, state: ListState, now: datetime, lang: str,
    limit: int | None = LIST_LIMIT,
) -> tuple[list[CameraLine], int]:  # fmt: skip
    """Cameras under a node in a state (broken: offline or degraded), the longest down first,
    and how many there are in all."""
    t = HealthTarget
    states = ("offline", "degraded") if state == "broken" else (state,)
    where = (t.enabled.is_(True), t.state.in_(states), jurisdiction.under(t.node_path, scope_path))
    total = session.scalar(select(func.count(t.id)).where(*where)) or 0
    stmt = _named().where(*where).order_by(t.since.asc().nulls_last(), t.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    found = naming.names(session, (row[0].id for row in rows), lang=lang)
    return [_line(row, found[row[0].id], now, lang) for row in rows], int(total)


def camera_line(session: Session, *, target: HealthTarget, now: datetime, lang: str) -> CameraLine:
    """One target's line (for its panel)."""
    row = session.execute(_named().where(HealthTarget.id == target.id)).one()
    return _line(row, naming.name_of(session, target.id, lang=lang), now, lang)


def get_target(session: Session, *, target_id: int, scope_path: str) -> HealthTarget:
    """A probed camera inside the caller's charge (404 as if absent otherwise)."""
    target = session.get(HealthTarget, target_id)
    if target is None or not jurisdiction.within(target.node_path, scope_path):
        raise NotFound(_("No such camera"))
    return target


def last_result(target: HealthTarget) -> dict[str, Any]:
    """The last probe's measurements (JSON), or an empty dict when unreadable."""
    try:
        found = json.loads(target.last_result or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One open health alert as the list shows it."""

    id: int
    kind: str
    team: str
    cameras: int
    target_id: int | None
    place: str
    created_at: datetime


def open_alerts(session: Session, *, scope_path: str, lang: str) -> list[AlertLine]:
    """Open health alerts under a node, the newest first."""
    a = HealthAlert
    stmt = (
        select(a, Site.name, JurisdictionNode.name_en, JurisdictionNode.name_hi)
        .outerjoin(Site, Site.id == a.site_id)
        .outerjoin(JurisdictionNode, JurisdictionNode.path == a.node_path)
        .where(a.resolved_at.is_(None), jurisdiction.under(a.node_path, scope_path))
        .order_by(a.created_at.desc(), a.id.desc())
        .limit(LIST_LIMIT)
    )
    lines = []
    for alert, site, node_en, node_hi in session.execute(stmt):
        place = site or (pick((node_en, node_hi), lang) if node_en else "")
        lines.append(
            AlertLine(alert.id, alert.kind, alert.team, alert.cameras, alert.target_id, place,
                      alert.created_at)
        )  # fmt: skip
    return lines
