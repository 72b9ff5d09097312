"""The audit log's pages: rows filtered by person, action, object and IST dates, paged with
the filters kept, a check of the whole chain, and the filtered rows as CSV (VIEW_AUDIT)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from nigrani.accounts import audit_log, labels, service
from nigrani.accounts.deps import Auditor
from nigrani.accounts.pages import page
from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import to_ist
from nigrani.core.params import QueryId

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Query(max_length=120)]
Code = Annotated[str, Query(max_length=64)]
Day = Annotated[str, Query(max_length=10)]


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The audit log's filter as typed in the query string: one dependency for the page
    and its CSV, so both take the same parameters."""

    who: Text = ""
    action: Code = ""
    object_type: Code = ""
    object_id: Code = ""
    since: Day = ""
    until: Day = ""

    def typed(self) -> audit_log.AuditFilter:
        """The text fields as typed, to show again on the form beside a refusal."""
        return audit_log.AuditFilter(self.who, self.action, self.object_type, self.object_id)

    def parsed(self) -> audit_log.AuditFilter:
        """The filter, or ValidationFailed naming a wrong date (422 with the reason)."""
        return audit_log.make_filter(**asdict(self))


Filters = Annotated[AuditQuery, Depends()]


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    auditor: Auditor,
    q: Filters,
    verify: bool = False,
    before: QueryId = None,
) -> HTMLResponse:
    """The latest audit rows matching the filters, and a check of the whole chain on request."""
    actions, types = audit_log.choices(db)
    shown: dict[str, Any] = {"since": q.since, "until": q.until, "actions": actions, "types": types}
    try:
        f = q.parsed()
    except ValidationFailed as exc:
        return page(
            request,
            "accounts/audit.html",
            user=auditor,
            rows=[],
            f=q.typed(),
            labels=labels,
            error=exc.message,
            status_code=exc.status,
            **shown,
        )
    rows = audit_log.page_of(db, f, before=before)
    older = f.query(before=rows[-1].id) if len(rows) == audit_log.PAGE else None
    return page(
        request,
        "accounts/audit.html",
        user=auditor,
        rows=rows,
        f=f,
        labels=labels,
        filtered=f.query(),
        older=older,
        result=audit.verify(db) if verify else None,
        **shown,
    )


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    db: DbSession,
    auditor: Auditor,
    q: Filters,
) -> StreamingResponse:
    """The rows matching the filters as CSV, streamed; the export is itself audited."""
    f = q.parsed()
    audit_log.record_export(db, actor=service.actor_of(auditor), f=f)
    db.commit()  # the export's row is written before the first byte leaves
    body: Iterator[bytes] = audit_log.csv_chunks(request.app.state.sessions, f)
    name = f"nigrani-audit-{to_ist(utcnow()).date().isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=headers)
