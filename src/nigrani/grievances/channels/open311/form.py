"""GeoReport v2 inputs: the form-encoded POST and the query of GET requests, checked."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import parse_moment

ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_.-]{1,60})\]$")
TEXT_FIELDS = {
    "service_code": 40,
    "address_string": 400,
    "address_id": 100,
    "email": 200,
    "device_id": 200,
    "account_id": 200,
    "first_name": 60,
    "last_name": 60,
    "phone": 20,
    "description": 4000,
    "media_url": 2000,
    "jurisdiction_id": 100,
    "api_key": 200,
}
STATUSES = frozenset({"open", "closed"})
# GeoReport v2: a query without dates covers the last 90 days, and none may cover more.
WINDOW = timedelta(days=90)


@dataclass(slots=True)
class RequestForm:
    """A POST requests body; a place is lat/long, address_string or address_id."""

    service_code: str = ""
    lat: float | None = None
    long: float | None = None
    address_string: str = ""
    address_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    api_key: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """GET requests: ids (which override the rest), or code, a window of dates, statuses."""

    start_date: datetime
    end_date: datetime
    ids: tuple[str, ...] = ()
    service_code: str = ""
    statuses: frozenset[str] = frozenset()


def _coordinate(name: str, raw: str, limit: float) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise ValidationFailed(
            _("{name} must be a number of degrees.").format(name=name), field=name
        )
    return value


def _values(items: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    plain: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for key, value in items:
        if match := ATTRIBUTE.match(key):
            attributes[match.group(1)] = value.strip()[:400]
        elif key in TEXT_FIELDS or key in ("lat", "long"):
            if len(value) > TEXT_FIELDS.get(key, 40):
                raise ValidationFailed(_("{name} is too long.").format(name=key), field=key)
            plain[key] = value.strip()
        else:  # a field GeoReport v2 does not define is a client's mistake, not data
            raise ValidationFailed(_("Unknown field: {name}").format(name=key[:60]), field=key[:60])
    return plain, attributes


def parse_form(items: Iterable[tuple[str, str]], *, known_attributes: set[str]) -> RequestForm:
    """The POST fields, or a clear error naming the first wrong one."""
    plain, attributes = _values(items)
    if unknown := sorted(set(attributes) - known_attributes):
        raise ValidationFailed(
            _("Unknown attribute: {code}").format(code=unknown[0]), field="attribute"
        )
    form = RequestForm(
        service_code=plain.get("service_code", ""),
        lat=_coordinate("lat", plain.get("lat", ""), 90),
        long=_coordinate("long", plain.get("long", ""), 180),
        address_string=plain.get("address_string", ""),
        address_id=plain.get("address_id", ""),
        first_name=plain.get("first_name", ""),
        last_name=plain.get("last_name", ""),
        phone=plain.get("phone", ""),
        description=plain.get("description", ""),
        api_key=plain.get("api_key", ""),
        attributes=attributes,
    )
    if not form.service_code:
        raise ValidationFailed(_("service_code is required."), field="service_code")
    if (form.lat is None) != (form.long is None):
        raise ValidationFailed(_("Give both lat and long."), field="lat")
    if form.lat is None and not (form.address_string or form.address_id):
        raise ValidationFailed(
            _("A location is required: lat and long, address_string or address_id."),
            field="lat",
        )
    return form


def _date(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_moment(raw)  # naive is UTC; only years 2000-2099
    except ValueError as exc:
        raise ValidationFailed(
            _(
                "{name} must be a W3C date and time from 2000 to 2099, "
                "for example 2026-12-01T10:00:00+05:30."
            ).format(name=name),
            field=name,
        ) from exc


def _window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, ...]:
    """The dates asked for; a missing end is WINDOW after start_date (or now), a missing
    start WINDOW before the end."""
    end = end or (start + WINDOW if start else now)
    start = start or end - WINDOW
    if start > end:
        raise ValidationFailed(_("start_date must not be after end_date."), field="start_date")
    if end - start > WINDOW:
        raise ValidationFailed(
            _("start_date and end_date must span at most 90 days."), field="start_date"
        )
    return start, end


def parse_query(
    *,
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    now: datetime,
) -> RequestQuery:
    """The GET requests filters, or a clear error naming the wrong one."""
    ids = tuple(i.strip().upper() for i in (service_request_id or "").split(",") if i.strip())
    statuses = frozenset(s.strip().lower() for s in (status or "").split(",") if s.strip())
    if statuses - STATUSES:
        raise ValidationFailed(_("status must be open or closed."), field="status")
    start, end = _window(_date("start_date", start_date), _date("end_date", end_date), now)
    return RequestQuery(
        start_date=start,
        end_date=end,
        ids=ids[:100],
        service_code=(service_code or "").strip(),
        statuses=statuses,
    )
