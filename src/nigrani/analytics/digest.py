"""A station's daily digest of analytics alerts: that IST day's alerts by rule, how many,
and how officers closed them (resolved, false alarm, still being handled)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.analytics import wall
from nigrani.analytics.models import AnalyticsEvent


@dataclass(slots=True)
class RuleDay:
    """One rule's alerts of the day."""

    kind: str
    raised: int = 0
    resolved: int = 0
    false_positive: int = 0
    active: int = 0


@dataclass(slots=True)
class Digest:
    station: JurisdictionNode
    day: date
    rules: list[RuleDay] = field(default_factory=list)
    lines: list[wall.AlertLine] = field(default_factory=list)

    @property
    def raised(self) -> int:
        return sum(r.raised for r in self.rules)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The IST day's midnight and the next, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def digest(session: Session, *, station: JurisdictionNode, day: date, tz: str) -> Digest:
    """The alerts of a station that started on the day (IST), by rule, oldest first."""
    start, end = day_bounds(day, tz)
    stmt = (
        select(AnalyticsEvent)
        .where(
            AnalyticsEvent.station_id == station.id,
            AnalyticsEvent.started_at >= start,
            AnalyticsEvent.started_at < end,
        )
        .order_by(AnalyticsEvent.started_at, AnalyticsEvent.id)
    )
    events = list(session.scalars(stmt))
    by_rule: dict[str, RuleDay] = {}
    for event in events:
        rule = by_rule.setdefault(event.kind, RuleDay(event.kind))
        rule.raised += 1
        if event.status == "resolved":
            rule.resolved += 1
        elif event.status == "false_positive":
            rule.false_positive += 1
        else:
            rule.active += 1
    found = Digest(station, day, sorted(by_rule.values(), key=lambda r: (-r.raised, r.kind)))
    found.lines = wall.feed_of(session, events=events, stations={station.id: station})
    return found
