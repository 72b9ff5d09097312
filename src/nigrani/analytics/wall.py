"""What the Commissioner's alert wall shows: each station under a node with its alerts still
being handled, its latest alert and its people now, the newest alerts, and one alert's page.

Reads only, inside the caller's node, in a fixed number of queries whatever the number of
stations (the change number, the tree, one grouped count, the latest alert of each, the
people now, the feed and its cameras)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.analytics import alert_feed, headcount, workflow
from nigrani.analytics.models import AnalyticsEvent, AnalyticsEventStep
from nigrani.stations.models import StationCamera

# An alert still being handled: nobody has resolved it or called it false.
ACTIVE = ("open", "acknowledged", "instructed")
FEED_SIZE = 30


@dataclass(frozen=True, slots=True)
class Tile:
    """One station on the wall."""

    station: JurisdictionNode
    active: int
    latest: AnalyticsEvent | None
    now: headcount.StationCount | None = None  # None: no camera of it is watched now


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert in the feed, with the names it is shown with."""

    event: AnalyticsEvent
    station: JurisdictionNode
    camera: StationCamera | None


@dataclass(slots=True)
class Wall:
    node: JurisdictionNode
    areas: list[JurisdictionNode]  # the zones and circles the wall may be narrowed to
    tiles: list[Tile] = field(default_factory=list)
    feed: list[AlertLine] = field(default_factory=list)
    # The latest change shown: the page's live feed starts after it (so nothing changed
    # between the page and its stream is missed).
    cursor: int = 0

    @property
    def active(self) -> int:
        return sum(t.active for t in self.tiles)


def active_count(session: Session, *, scope_path: str) -> int:
    """Alerts under a node that are still being handled (the home pages' figure)."""
    stmt = select(func.count(AnalyticsEvent.id)).where(
        AnalyticsEvent.status.in_(ACTIVE), jurisdiction.under(AnalyticsEvent.node_path, scope_path)
    )
    return int(session.scalar(stmt) or 0)


def active_at(session: Session, *, station_id: int) -> int:
    """Alerts of one station still being handled."""
    stmt = select(func.count(AnalyticsEvent.id)).where(
        AnalyticsEvent.status.in_(ACTIVE), AnalyticsEvent.station_id == station_id
    )
    return int(session.scalar(stmt) or 0)


def wall(
    session: Session, *, scope: JurisdictionNode, node: JurisdictionNode, now: datetime
) -> Wall:
    """The wall of the stations under `node` (a node inside the caller's `scope`)."""
    cursor = alert_feed.last_number(session)  # before the reads: a change after is replayed
    tree = jurisdiction.subtree(session, scope)
    areas = [n for n in tree if n.level in (Level.ZONE.value, Level.CIRCLE.value)]
    stations = [
        n for n in tree if n.level == Level.STATION.value and jurisdiction.within(n.path, node.path)
    ]
    active = dict(
        session.execute(
            select(AnalyticsEvent.station_id, func.count(AnalyticsEvent.id))
            .where(
                AnalyticsEvent.status.in_(ACTIVE),
                jurisdiction.under(AnalyticsEvent.node_path, node.path),
            )
            .group_by(AnalyticsEvent.station_id)
        ).all()
    )
    newest = (
        select(func.max(AnalyticsEvent.id))
        .where(jurisdiction.under(AnalyticsEvent.node_path, node.path))
        .group_by(AnalyticsEvent.station_id)
    )
    latest = {
        e.station_id: e
        for e in session.scalars(select(AnalyticsEvent).where(AnalyticsEvent.id.in_(newest)))
    }
    people = headcount.by_station(session, path=node.path, now=now)
    tiles = [
        Tile(s, int(active.get(s.id, 0)), latest.get(s.id), people.get(s.id)) for s in stations
    ]
    # busiest first, then the watched ones with most people waiting, then by name
    tiles.sort(key=lambda t: (-t.active, t.now is None, -(t.now.waiting if t.now else 0),
                              t.station.name_en))  # fmt: skip
    found = Wall(node, [scope, *areas], tiles, cursor=cursor)
    found.feed = feed(session, scope_path=node.path, stations={s.id: s for s in stations})
    return found


def feed(
    session: Session, *, scope_path: str, stations: dict[int, JurisdictionNode]
) -> list[AlertLine]:
    """The newest alerts under a node, newest first."""
    stmt = (
        select(AnalyticsEvent)
        .where(jurisdiction.under(AnalyticsEvent.node_path, scope_path))
        .order_by(AnalyticsEvent.id.desc())
        .limit(FEED_SIZE)
    )
    return feed_of(session, events=list(session.scalars(stmt)), stations=stations)


def feed_of(
    session: Session, *, events: list[AnalyticsEvent], stations: dict[int, JurisdictionNode]
) -> list[AlertLine]:
    """These alerts with their stations and cameras."""
    cameras = _cameras(session, {e.station_camera_id for e in events})
    return [
        AlertLine(
            e, stations.get(e.station_id) or _station(session, e), cameras.get(e.station_camera_id)
        )
        for e in events
    ]


def _cameras(session: Session, ids: set[int]) -> dict[int, StationCamera]:
    if not ids:
        return {}
    return {
        c.id: c for c in session.scalars(select(StationCamera).where(StationCamera.id.in_(ids)))
    }


def _station(session: Session, event: AnalyticsEvent) -> JurisdictionNode:
    return session.get_one(JurisdictionNode, event.station_id)


@dataclass(frozen=True, slots=True)
class Changes:
    """The alerts under a node changed after one change number, in the order they changed,
    and the number the feed has reached."""

    events: list[AnalyticsEvent]
    upto: int  # every change numbered up to this is committed and was looked at
    complete: bool  # False: more changed than `limit` (or too long ago); the page reloads


def changes(
    session: Session, *, after: int, scope_path: str, limit: int, since: datetime | None = None
) -> Changes:
    """The newest `limit` alerts under a node changed after change number `after` (and at
    or after `since`), oldest change first."""
    upto = alert_feed.last_number(session)  # read first: every number up to it is committed
    stmt = (
        select(AnalyticsEvent)
        .where(
            AnalyticsEvent.change_seq > after,
            AnalyticsEvent.change_seq <= upto,
            jurisdiction.under(AnalyticsEvent.node_path, scope_path),
        )
        .order_by(AnalyticsEvent.change_seq.desc())
        .limit(limit + 1)
    )
    found = list(session.scalars(stmt))
    kept = [e for e in found[:limit] if since is None or e.updated_at >= since]
    return Changes(kept[::-1], upto, complete=len(kept) == len(found))


def line(session: Session, *, event: AnalyticsEvent) -> AlertLine:
    """One alert with its station and camera (the live feed's new line)."""
    return AlertLine(
        event, _station(session, event), session.get(StationCamera, event.station_camera_id)
    )


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One alert's page: the alert, where it was seen, its peak, its timeline, and the steps
    it may take now."""

    line: AlertLine
    peak: dict[str, Any]
    steps: list[AnalyticsEventStep]
    next_steps: list[str]

    @property
    def event(self) -> AnalyticsEvent:
        return self.line.event

    @property
    def lasted_s(self) -> float | None:
        ended: datetime | None = self.event.ended_at
        return (ended - self.event.started_at).total_seconds() if ended else None


def alert_page(session: Session, *, event: AnalyticsEvent) -> AlertPage:
    """Everything the alert's page shows."""
    steps = workflow.timeline(session, event=event)
    allowed = [name for name, t in workflow.TRANSITIONS.items() if event.status in t.start]
    peak: dict[str, Any] = json.loads(event.peak_json or "{}")
    return AlertPage(line(session, event=event), peak, steps, allowed)
