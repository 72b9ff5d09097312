"""Reading the audit log: rows filtered by person, action, object and IST dates, a page at a
time, and the filtered rows as a CSV export (formula-safe, streamed, itself audited)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _, to_ist
from nigrani.core.moments import parse_day
from nigrani.core.text import safe_cell

PAGE = 100
BATCH = 1000
Sessions = Callable[[], Session]
CSV_COLUMNS = (
    "id",
    "at_ist",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "reason",
    "reference",
    "detail",
    "row_hash",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the reader asked for: each field empty means "any"."""

    who: str = ""  # the actor's label (a username, a masked mobile, "system")
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None  # IST calendar days, both ends included
    until: date | None = None

    def query(self, **extra: str | int) -> str:
        """The filters (and `extra`) as a query string, empty ones left out."""
        fields = {k: "" if v is None else str(v) for k, v in asdict(self).items()}
        pairs = {**fields, **{k: str(v) for k, v in extra.items()}}
        return urlencode({k: v for k, v in pairs.items() if v})

    def detail(self) -> dict[str, str]:
        """The filters for the export's own audit row."""
        return {k: str(v) for k, v in asdict(self).items() if v}


def _day(raw: str, field: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return parse_day(raw)
    except ValueError:
        raise ValidationFailed(
            _("Enter the date as YYYY-MM-DD, between 2000 and 2099."), field=field
        ) from None


def make_filter(
    *, who: str, action: str, object_type: str, object_id: str, since: str, until: str
) -> AuditFilter:
    """The filter from the form's fields, or ValidationFailed naming a wrong date."""
    f = AuditFilter(
        who=who.strip(),
        action=action.strip(),
        object_type=object_type.strip(),
        object_id=object_id.strip(),
        since=_day(since, "since"),
        until=_day(until, "until"),
    )
    if f.since and f.until and f.until < f.since:
        raise ValidationFailed(_("The end date is before the start date."), field="until")
    return f


def _start_of(day: date, tz: str) -> datetime:
    """The moment an IST calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def conditions(f: AuditFilter, tz: str = "Asia/Kolkata") -> list[ColumnElement[bool]]:
    """The WHERE clauses for a filter (dates are whole IST days)."""
    where: list[ColumnElement[bool]] = []
    if f.who:
        where.append(func.lower(AuditEntry.actor_label) == f.who.lower())
    if f.action:
        where.append(AuditEntry.action == f.action)
    if f.object_type:
        where.append(AuditEntry.object_type == f.object_type)
    if f.object_id:
        where.append(AuditEntry.object_id == f.object_id)
    if f.since:
        where.append(AuditEntry.at >= _start_of(f.since, tz))
    if f.until:
        where.append(AuditEntry.at < _start_of(f.until + timedelta(days=1), tz))
    return where


def _filtered(f: AuditFilter) -> Select[AuditEntry]:
    return select(AuditEntry).where(*conditions(f))


def page_of(session: Session, f: AuditFilter, *, before: int | None) -> list[AuditEntry]:
    """A page of matching rows, newest first, older than row `before` if given."""
    stmt = _filtered(f).order_by(AuditEntry.id.desc()).limit(PAGE)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    return list(session.scalars(stmt))


def choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and the object types the log holds (for the filter's lists)."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    types = session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    )
    return list(actions), list(types)


def _batches(sessions: Sessions, f: AuditFilter) -> Iterator[list[list[str]]]:
    """The matching rows in id order as CSV cells, a short-lived session per batch."""
    after = 0
    while True:
        with sessions() as session:
            stmt = _filtered(f).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(BATCH)
            rows = [_cells(e) for e in session.scalars(stmt)]
        if not rows:
            return
        yield rows
        after = int(rows[-1][0])


def _cells(e: AuditEntry) -> list[str]:
    detail = "" if e.detail in ("", "{}") else json.dumps(json.loads(e.detail), ensure_ascii=False)
    values = (
        e.id,
        to_ist(e.at).isoformat(timespec="seconds"),
        e.actor_id,
        e.actor_label,
        e.action,
        e.object_type,
        e.object_id,
        e.reason,
        e.reference,
        detail,
        e.row_hash,
    )
    # Labels, reasons and details hold what people typed: never let a spreadsheet run them.
    return [safe_cell(v) for v in values]


def csv_chunks(sessions: Sessions, f: AuditFilter) -> Iterator[bytes]:
    """The filtered rows as CSV, UTF-8 with a BOM (so Excel shows Hindi), a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for batch in _batches(sessions, f):
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def record_export(session: Session, *, actor: audit.Actor, f: AuditFilter) -> None:
    """Audit the export: who took which part of the log."""
    audit.record(
        session,
        actor=actor,
        action="audit.export",
        object_type="audit_log",
        object_id="csv",
        detail={"filters": f.detail()},
    )
