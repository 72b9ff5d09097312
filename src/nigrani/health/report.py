"""The review report (the Divisional Commissioner's meeting, seed 001): how many cameras work,
how many are degraded or offline, by category, station, zone or crossing; uptime over a
chosen period; the longest-broken cameras with days down and who must repair them; a daily
trend; as CSV.

Uptime is the share of the watched time a camera was not offline (a degraded camera still
streams, as in the VMSs' availability %); usable also counts degraded time as lost.

The period is chosen in IST days (what people say: "from 1 to 7 December"); it is stored
and queried in UTC, from the first day's midnight IST to the last day's end (or now, for
today). The numbers come from health.uptime, over the outages' intervals.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.text import safe_cell
from nigrani.health import labels, uptime
from nigrani.health.uptime import UptimeRow

GroupBy = Literal["category", "station", "zone", "crossing"]
GROUPS: tuple[GroupBy, ...] = get_args(GroupBy)
DEFAULT_DAYS = 7
MAX_DAYS = 366  # a year (a leap one too): the longest period one report covers
BROKEN_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Period:
    """IST days from `first` to `last`, inclusive, and the UTC interval they cover."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1


def _midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC"))


def period(*, first: date | None, last: date | None, now: datetime, tz: str) -> Period:
    """The period asked for (default: the last seven days up to today), refused when it ends
    before it starts, ends in the future or is longer than a year."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last = last or today
    first = first or min(last, today) - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed(_("The period must not end before it starts."), field="from")
    if last > today:
        raise ValidationFailed(_("The period cannot end after today."), field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            _("A period can be at most {n} days long.").format(n=MAX_DAYS), field="from"
        )
    end = min(_midnight(last + timedelta(days=1), tz), now)
    return Period(first, last, _midnight(first, tz), end)


@dataclass(frozen=True, slots=True)
class Review:
    """The review report of one node for one period."""

    node: JurisdictionNode
    lang: str
    generated_at: datetime
    period: Period
    group_by: GroupBy
    rows: list[UptimeRow]
    total: UptimeRow
    daily: list[tuple[date, float | None]]
    broken: list[uptime.Broken]

    @property
    def node_name(self) -> str:
        """The node's name in the report's language."""
        return self.node.name(self.lang)


def _weighted(values: Sequence[tuple[float | None, int]]) -> float | None:
    """The mean of the values that exist, each weighted by its count."""
    known = [(v, n) for v, n in values if v is not None and n > 0]
    weight = sum(n for _v, n in known)
    return sum(v * n for v, n in known) / weight if weight else None


def total_row(rows: Sequence[UptimeRow]) -> UptimeRow:
    """The rows added up; uptime weighted by the cameras, time to repair by the repairs."""
    pct = _weighted([(r.uptime_pct, r.cameras) for r in rows])
    usable = _weighted([(r.usable_pct, r.cameras) for r in rows])
    mttr = _weighted([(r.mttr_s, r.repairs) for r in rows])
    return UptimeRow(
        key="",
        label=_("Total"),
        cameras=sum(r.cameras for r in rows),
        working=sum(r.working for r in rows),
        degraded=sum(r.degraded for r in rows),
        offline=sum(r.offline for r in rows),
        unknown=sum(r.unknown for r in rows),
        uptime_pct=None if pct is None else round(pct, 2),
        mttr_s=mttr,
        down_s=sum(r.down_s for r in rows),
        degraded_s=sum(r.degraded_s for r in rows),
        usable_pct=None if usable is None else round(usable, 2),
        repairs=sum(r.repairs for r in rows),
    )


def review(
    session: Session,
    *,
    node: JurisdictionNode,
    group_by: GroupBy,
    period: Period,
    now: datetime,
    lang: str,
    tz: str = "Asia/Kolkata",
) -> Review:
    """The review report for everything under a node."""
    if group_by not in GROUPS:
        raise ValidationFailed(_("Group by one of: {valid}").format(valid=", ".join(GROUPS)))
    start, end, path = period.start, period.end, node.path
    rows = uptime.uptime(
        session, start=start, end=end, scope_path=path, group_by=group_by, lang=lang
    )
    daily = uptime.daily_uptime(session, start=start, end=end, scope_path=path, tz=tz)
    broken = uptime.longest_broken(
        session, now=now, scope_path=node.path, limit=BROKEN_LIMIT, lang=lang
    )
    return Review(
        node=node,
        lang=lang,
        generated_at=now,
        period=period,
        group_by=group_by,
        rows=list(rows),
        total=total_row(rows),
        daily=list(daily),
        broken=list(broken),
    )


def hours(seconds: float | None) -> str:
    """A duration in hours with one decimal, or a dash."""
    return "—" if seconds is None else f"{seconds / 3600:.1f}"


def percent(value: float | None, *, none: str = "—") -> str:
    """An uptime figure as printed: one decimal, or a dash when nothing was measured."""
    return none if value is None else f"{value:.1f}"


def group_headers(group_by: GroupBy) -> list[str]:
    """Column names of the counts table, in the current language."""
    return [
        labels.group_label(group_by),
        _("Cameras"),
        _("Working"),
        _("Degraded"),
        _("Offline"),
        _("Not checked yet"),
        _("Uptime (%)"),
        _("Usable (%)"),
        _("Time to repair (hours)"),
    ]


def group_cells(row: UptimeRow, *, none: str = "—") -> list[str | int]:
    """One row of the counts table, as exported."""
    return [
        row.label,
        row.cameras,
        row.working,
        row.degraded,
        row.offline,
        row.unknown,
        percent(row.uptime_pct, none=none),
        percent(row.usable_pct, none=none),
        none if row.mttr_s is None else hours(row.mttr_s),
    ]


def broken_headers() -> list[str]:
    """Column names of the longest-broken list, in the current language."""
    return [
        _("Camera"),
        _("Place"),
        _("Category"),
        _("State"),
        _("Reason"),
        _("Days down"),
        _("Responsible"),
    ]


def broken_cells(item: uptime.Broken, categories: dict[str, str]) -> list[str | int]:
    """One camera of the longest-broken list, as exported."""
    return [
        item.camera,
        item.place,
        categories.get(item.category, item.category),
        labels.state_label(item.state),
        labels.reason_label(item.reason),
        f"{item.days_down:.1f}",
        labels.team_label(item.team),
    ]


def to_csv(report: Review, categories: dict[str, str]) -> str:
    """The report as CSV: the counts table, then the daily uptime, then the longest broken."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows: list[Sequence[str | int]] = [
        group_headers(report.group_by),
        *(group_cells(r, none="") for r in report.rows),
        group_cells(report.total, none=""),
        [],
        [_("Day"), _("Uptime (%)")],
        *([d.isoformat(), percent(p, none="")] for d, p in report.daily),
        [],
        broken_headers(),
        *(broken_cells(b, categories) for b in report.broken),
    ]
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()
