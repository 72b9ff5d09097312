"""Hearings in figures: calls heard per day and per officer, the wait before a call (median
and 90th percentile), no-shows and outcomes over a period of IST days, and today's numbers
for the home pages — always of the windows inside the caller's charge.

Whose windows a caller sees (`visible`): their own, and those of officers posted inside
their charge (`jurisdiction.under`, the one jurisdiction check). A window's figures count
every ticket of its sittings whoever on its panel took the call.

What is counted, per ticket, in its final state: a *place* is any ticket not cancelled;
*heard* is a call held (done); a *no-show* is a citizen skipped who did not come back (one
who rejoined and was heard counts as heard); *open* are places still booked, waiting or in a
call. The *wait* is called_at − checked_in_at (walk-ins check in as they join) for every
citizen called, answered or not; percentiles interpolate linearly between the closest ranks
(the median of 2, 4, 6, 8 is 5; their 90th percentile 7.4).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _, to_ist
from nigrani.core.moments import parse_day
from nigrani.hearings.models import (
    OUTCOMES,
    HearingSitting,
    HearingTicket,
    HearingWindow,
    HearingWindowOfficer,
)

MAX_DAYS = 366  # a year, a leap one too
DEFAULT_DAYS = 30
SITTINGS_SHOWN = 100  # the newest sittings listed under the figures, each with its day list
OPEN_STATES = ("booked", "waiting", "called", "in_call")
NO_OUTCOME = "none"
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Period:
    """IST days from `first` to `last`, inclusive."""

    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1


def parse_date(raw: str | None, *, name: str) -> date | None:
    """A YYYY-MM-DD day from the query ("" or None: not given), or a clear refusal."""
    if raw is None or not raw.strip():
        return None
    try:
        return parse_day(raw)
    except ValueError:
        raise ValidationFailed(
            _("Give the day as YYYY-MM-DD, between 2000 and 2099 (got “{raw}”).").format(
                raw=raw[:20]
            ),
            field=name,
        ) from None


def period(*, first: str | None, last: str | None, today: date) -> Period:
    """The period asked for (default: the last 30 days up to today), refused when it ends
    before it starts or is longer than a year."""
    end = parse_date(last, name="to") or today
    start = parse_date(first, name="from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailed(_("The period must not end before it starts."), field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            _("A period can be at most {n} days long.").format(n=MAX_DAYS), field="from"
        )
    return Period(start, end)


def visible(*, scope_path: str, user_id: int) -> ColumnElement[bool]:
    """Windows the caller may see: their own, those whose panel they serve on, and those of
    officers posted in their charge."""
    inside = (
        select(User.id)
        .join(JurisdictionNode, User.node_id == JurisdictionNode.id)
        .where(jurisdiction.under(JurisdictionNode.path, scope_path))
    )
    serves = select(HearingWindowOfficer.window_id).where(HearingWindowOfficer.user_id == user_id)
    return or_(
        HearingWindow.owner_id == user_id,
        HearingWindow.id.in_(serves),
        HearingWindow.owner_id.in_(inside),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks; None if
    there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Line:
    """The figures of one group of tickets (a day, an officer, a sitting, all of them)."""

    key: str
    label: str
    places: int = 0
    heard: int = 0
    no_shows: int = 0
    cancelled: int = 0
    open: int = 0
    median_wait: float | None = None  # minutes
    p90_wait: float | None = None
    median_call: float | None = None  # minutes a heard call lasted
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Tally:
    """Tickets added one by one, then read as a `Line`."""

    states: dict[str, int] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys((*OUTCOMES, NO_OUTCOME), 0)
    )

    def add(self, row: Row[Any]) -> None:
        self.states[row.state] = self.states.get(row.state, 0) + 1
        arrived = row.checked_in_at or row.joined_at
        if row.called_at is not None and arrived is not None:
            self.waits.append(max(0.0, (row.called_at - arrived).total_seconds() / 60))
        if row.state == "done":
            self.outcomes[row.outcome if row.outcome in OUTCOMES else NO_OUTCOME] += 1
            if row.answered_at is not None and row.ended_at is not None:
                self.calls.append(max(0.0, (row.ended_at - row.answered_at).total_seconds() / 60))

    def line(self, key: str, label: str) -> Line:
        s = self.states
        return Line(
            key=key,
            label=label,
            places=sum(n for state, n in s.items() if state != "cancelled"),
            heard=s.get("done", 0),
            no_shows=s.get("no_show", 0),
            cancelled=s.get("cancelled", 0),
            open=sum(s.get(state, 0) for state in OPEN_STATES),
            median_wait=percentile(self.waits, 50),
            p90_wait=percentile(self.waits, 90),
            median_call=percentile(self.calls, 50),
            outcomes=dict(self.outcomes),
        )


@dataclass(frozen=True, slots=True)
class SittingLine:
    """One window's day in the period, with its figures (its day list is one click away)."""

    window_id: int
    day: date
    owner: str
    starts_at: datetime
    figures: Line


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A caller's hearings over a period: all together, per day, per officer, per sitting."""

    period: Period
    total: Line
    days: list[Line]
    officers: list[Line]
    sittings: list[SittingLine]
    more_sittings: int  # sittings in the period beyond those listed


_COLUMNS = (
    HearingSitting.id.label("sitting_id"),
    HearingSitting.day,
    HearingTicket.state,
    HearingTicket.officer_id,
    HearingTicket.outcome,
    HearingTicket.joined_at,
    HearingTicket.checked_in_at,
    HearingTicket.called_at,
    HearingTicket.answered_at,
    HearingTicket.ended_at,
)


def _rows(
    session: Session, *, scope_path: str, user_id: int, first: date, last: date
) -> list[Row[Any]]:
    stmt = (
        select(*_COLUMNS)
        .join(HearingSitting, HearingTicket.sitting_id == HearingSitting.id)
        .join(HearingWindow, HearingSitting.window_id == HearingWindow.id)
        .where(
            visible(scope_path=scope_path, user_id=user_id),
            HearingSitting.day >= first,
            HearingSitting.day <= last,
        )
    )
    return list(session.execute(stmt))


def _grouped(rows: Iterable[Row[Any]], key: Callable[[Row[Any]], K | None]) -> dict[K, _Tally]:
    tallies: dict[K, _Tally] = {}
    for row in rows:
        value = key(row)
        if value is not None:
            tallies.setdefault(value, _Tally()).add(row)
    return tallies


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    found = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {uid: name or f"#{uid}" for uid, name in found}


def _sittings(
    session: Session, *, scope_path: str, user_id: int, period: Period
) -> tuple[list[Row[Any]], int]:
    """The newest sittings of the period (window, day, owner's name, start), and how many."""
    where = (
        visible(scope_path=scope_path, user_id=user_id),
        HearingSitting.day >= period.first,
        HearingSitting.day <= period.last,
    )
    base = select(HearingSitting).join(HearingWindow, HearingSitting.window_id == HearingWindow.id)
    count = session.scalar(select(func.count()).select_from(base.where(*where).subquery()))
    stmt = (
        select(
            HearingSitting.id,
            HearingSitting.window_id,
            HearingSitting.day,
            HearingSitting.starts_at,
            User.full_name,
        )
        .join(HearingWindow, HearingSitting.window_id == HearingWindow.id)
        .join(User, HearingWindow.owner_id == User.id)
        .where(*where)
        .order_by(HearingSitting.day.desc(), HearingSitting.starts_at, HearingSitting.id)
        .limit(SITTINGS_SHOWN)
    )
    return list(session.execute(stmt)), int(count or 0)


def dashboard(session: Session, *, scope_path: str, user_id: int, period: Period) -> Dashboard:
    """The figures of the caller's windows over the period (three queries whatever its
    length: the tickets, the sittings listed, the officers' names)."""
    rows = _rows(
        session, scope_path=scope_path, user_id=user_id, first=period.first, last=period.last
    )
    total = _Tally()
    for row in rows:
        total.add(row)
    by_day: dict[date, _Tally] = _grouped(rows, lambda r: r.day)
    by_officer: dict[int, _Tally] = _grouped(rows, lambda r: r.officer_id)
    by_sitting: dict[int, _Tally] = _grouped(rows, lambda r: r.sitting_id)
    names = _names(session, by_officer)
    sittings, count = _sittings(session, scope_path=scope_path, user_id=user_id, period=period)
    officers = [t.line(str(k), names.get(k, f"#{k}")) for k, t in by_officer.items()]
    officers.sort(key=lambda line: (-line.heard, line.label))
    return Dashboard(
        period=period,
        total=total.line("total", _("All")),
        days=[
            by_day[d].line(d.isoformat(), d.strftime("%d.%m.%Y"))
            for d in sorted(by_day, reverse=True)
        ],
        officers=officers,
        sittings=[
            SittingLine(
                window_id=s.window_id,
                day=s.day,
                owner=s.full_name or f"#{s.window_id}",
                starts_at=s.starts_at,
                figures=by_sitting.get(s.id, _Tally()).line(str(s.id), ""),
            )
            for s in sittings
        ],
        more_sittings=max(0, count - len(sittings)),
    )


@dataclass(frozen=True, slots=True)
class Today:
    """Today's hearings in one's charge, for the home page."""

    waiting: int  # in the line now, or called and not yet answered
    heard: int
    no_shows: int


def today(session: Session, *, scope_path: str, user_id: int, now: datetime) -> Today:
    """Citizens waiting, heard and not come today in the caller's windows (one query)."""
    stmt = (
        select(HearingTicket.state, func.count(HearingTicket.id))
        .join(HearingSitting, HearingTicket.sitting_id == HearingSitting.id)
        .join(HearingWindow, HearingSitting.window_id == HearingWindow.id)
        .where(
            visible(scope_path=scope_path, user_id=user_id),
            HearingSitting.day == to_ist(now).date(),
        )
        .group_by(HearingTicket.state)
    )
    counts: dict[str, int] = {state: int(n) for state, n in session.execute(stmt)}
    return Today(
        waiting=counts.get("waiting", 0) + counts.get("called", 0),
        heard=counts.get("done", 0),
        no_shows=counts.get("no_show", 0),
    )
