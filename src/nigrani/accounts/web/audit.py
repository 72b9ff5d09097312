"""The audit log's pages: rows filtered by person, action, object and IST dates, paged with
the filters kept, a check of the whole chain, and the filtered rows as CSV (VIEW_AUDIT)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

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
Day = Annotated[str, Query(max_length=10)]


def audit_filter(
    who: Text = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=64)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    since: Day = "",
    until: Day = "",
) -> audit_log.AuditFilter:
    """The filter from the query string (a wrong date: 422 with the reason)."""
    return audit_log.make_filter(
        who=who,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )


@router.get("/audit")
def audit_page(
    request: Request,
    db: DbSession,
    auditor: Auditor,
    verify: bool = False,
    before: QueryId = None,
    who: Text = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=64)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    since: Day = "",
    until: Day = "",
) -> HTMLResponse:
    """The latest audit rows matching the filters, and a check of the whole chain on request."""
    typed = audit_log.AuditFilter(who, action, object_type, object_id)
    actions, types = audit_log.choices(db)
    try:
        f = audit_filter(who, action, object_type, object_id, since, until)
    except ValidationFailed as exc:
        return page(
            request,
            "accounts/audit.html",
            user=auditor,
            rows=[],
            f=typed,
            since=since,
            until=until,
            actions=actions,
            types=types,
            labels=labels,
            error=exc.message,
            status_code=exc.status,
        )
    rows = audit_log.page_of(db, f, before=before)
    older = f.query(before=rows[-1].id) if len(rows) == audit_log.PAGE else None
    return page(
        request,
        "accounts/audit.html",
        user=auditor,
        rows=rows,
        f=f,
        since=since,
        until=until,
        actions=actions,
        types=types,
        labels=labels,
        filtered=f.query(),
        older=older,
        result=audit.verify(db) if verify else None,
    )


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    db: DbSession,
    auditor: Auditor,
    f: Annotated[audit_log.AuditFilter, Depends(audit_filter)],
) -> StreamingResponse:
    """The rows matching the filters as CSV, streamed; the export is itself audited."""
    audit_log.record_export(db, actor=service.actor_of(auditor), f=f)
    db.commit()  # the export's row is written before the first byte leaves
    body: Iterator[bytes] = audit_log.csv_chunks(request.app.state.sessions, f)
    name = f"nigrani-audit-{to_ist(utcnow()).date().isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=headers)
