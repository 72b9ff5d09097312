"""Delivery reports: the gateway tells which of our messages reached the phone, or not."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, PermissionDenied
from nigrani.core.i18n import _
from nigrani.core.security import same
from nigrani.core.sms.gateway import backend_for, dig, hide_numbers, profile_for
from nigrani.core.sms.models import DELIVERED, FINAL, UNDELIVERED, SmsMessage
from nigrani.core.sms.profile import Reports

MAX_REPORTS = 500  # one delivery carries at most this many reports


@dataclass(frozen=True, slots=True)
class Report:
    """One report, read from whatever shape the provider posts."""

    provider_id: str
    status: str
    error: str


def require_secret(settings: Settings, *, backend: str, given: str) -> Reports:
    """The report format, once the caller has shown the shared secret (constant time)."""
    secret = settings.sms_webhook_secret.get_secret_value()
    profile = profile_for(settings)
    if settings.sms_backend != backend or not secret or profile is None:
        raise NotFound(_("Not found"))
    if not given or not same(given, secret):
        # 403, not 401: a 401 to a GET would redirect the gateway to the sign-in page.
        raise PermissionDenied(_("A wrong or missing webhook secret."))
    return profile.reports


def _items(body: bytes, content_type: str, query: Mapping[str, str]) -> list[Any]:
    if "json" in content_type:
        try:
            data = json.loads(body or b"null")
        except (ValueError, RecursionError):
            return []
        return (data if isinstance(data, list) else [data])[:MAX_REPORTS]
    fields = dict(query)
    fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return [fields]


def parse(body: bytes, content_type: str, query: Mapping[str, str], fmt: Reports) -> list[Report]:
    """Reports from a JSON object or list, a form, or the query string; junk is skipped."""
    found = []
    for item in _items(body, content_type, query):
        provider_id, status = dig(item, fmt.id), dig(item, fmt.status)
        if provider_id is None or status is None or isinstance(provider_id, (dict, list)):
            continue
        error = dig(item, fmt.error) if fmt.error else None
        error_text = hide_numbers(str(error or ""))[:500]
        found.append(Report(str(provider_id)[:100], str(status)[:40], error_text))
    return found


def _final_state(status: str, fmt: Reports) -> str | None:
    word = status.strip().lower()
    if word in {w.lower() for w in fmt.delivered}:
        return DELIVERED
    if word in {w.lower() for w in fmt.failed}:
        return UNDELIVERED
    return None  # "submitted", "queued"...: nothing to record


def apply(session: Session, *, settings: Settings, reports: list[Report], fmt: Reports) -> int:
    """Record each final report once: a late or repeated one changes nothing. How many did."""
    backend = backend_for(settings).name
    changed = 0
    for report in reports:
        state = _final_state(report.status, fmt)
        if state is None:
            continue
        row = session.scalar(
            select(SmsMessage)
            .where(SmsMessage.backend == backend, SmsMessage.provider_id == report.provider_id)
            .with_for_update()
        )
        if row is None or row.status in FINAL:
            continue
        row.status, row.status_at = state, utcnow()
        row.error = f"{report.status}: {report.error}".strip(": ") if state == UNDELIVERED else None
        changed += 1
    session.flush()
    return changed
