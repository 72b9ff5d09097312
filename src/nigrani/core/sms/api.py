"""The delivery-report webhook the SMS gateway calls: POST (or GET) /webhooks/sms/{backend}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from nigrani.core import edge
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.i18n import _
from nigrani.core.sms import reports

router = APIRouter(prefix="/webhooks/sms", tags=["sms"])
MAX_BODY = 256 * 1024  # a batch of a few hundred reports


@router.api_route("/{backend}", methods=["GET", "POST"], include_in_schema=False)
async def delivery_report(
    request: Request,
    backend: str,
    db: DbSession,
    settings: SettingsDep,
    token: Annotated[str, Query(max_length=200)] = "",
    header_token: Annotated[str, Header(alias="X-Webhook-Secret", max_length=200)] = "",
) -> dict[str, int]:
    """Delivery reports for sent messages; repeats and late ones change nothing."""
    fmt = reports.require_secret(settings, backend=backend, given=header_token or token)
    body = await edge.read_body(
        request, limit=MAX_BODY, refusal=_("The webhook body is too large.")
    )
    query = {k: v for k, v in request.query_params.items() if k != "token"}
    found = reports.parse(body, request.headers.get("content-type", ""), query, fmt)
    changed = await run_in_threadpool(reports.apply, db, settings=settings, reports=found, fmt=fmt)
    return {"received": len(found), "updated": changed}
