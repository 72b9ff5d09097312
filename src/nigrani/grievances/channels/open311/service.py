"""Open311 GeoReport v2 over the grievances core: services, filing, following.

Requests are followed only if they were filed through Open311; the full text and address
go only to the API key that filed them (see docs/decisions.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts
from nigrani.accounts.models import ApiToken
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import AuthenticationFailed, NotFound, PermissionDenied, ValidationFailed
from nigrani.core.i18n import _, current_language, pick, to_ist
from nigrani.grievances import service as grievances
from nigrani.grievances.channels.models import Open311Request
from nigrani.grievances.channels.open311.form import RequestForm, RequestQuery
from nigrani.grievances.models import Complaint, ComplaintEvent, GrievanceCategory
from nigrani.grievances.schemas import ComplaintCreate

CHANNEL = "open311"
SCOPE = "open311"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-01T00:00:00+05:30"
MAX_RESULTS = 1000
LANDMARK = "landmark"


@dataclass(frozen=True, slots=True)
class Row:
    """A complaint as Open311 shows it, with who filed it."""

    complaint: Complaint
    api_token_id: int
    updated_at: datetime | None


def _iso(value: datetime | None) -> str | None:
    return to_ist(value).isoformat(timespec="seconds") if value else None


def _name(category: GrievanceCategory) -> str:
    return pick((category.name_en, category.name_hi))


def discovery(settings: Settings) -> dict[str, object]:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    return {
        "changeset": CHANGESET,
        "contact": settings.public_url,
        "key_service": _("API keys are issued by the administrator (scope open311)."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{settings.public_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def services(session: Session) -> list[dict[str, object]]:
    """Every complaint category as a service."""
    return [
        {
            "service_code": c.code,
            "service_name": _name(c),
            "description": _name(c),
            "metadata": True,
            "type": "realtime",
            "keywords": [c.code],
            "group": _("Police"),
        }
        for c in grievances.categories(session)
    ]


def _category(session: Session, code: str) -> GrievanceCategory:
    found = session.scalar(grievances.CATEGORY_BY_CODE, {"code": code})
    if found is None or not found.is_active:
        raise NotFound(_("No service with this service_code."), field="service_code")
    return found


def definition(session: Session, code: str) -> dict[str, object]:
    """The service's one extra field: a nearby landmark (Indian addresses lean on them)."""
    landmark = {
        "variable": True,
        "code": LANDMARK,
        "datatype": "string",
        "required": False,
        "datatype_description": _("A landmark near the place, for example a temple or shop."),
        "order": 1,
        "description": _("Nearby landmark"),
        "values": [],
    }
    return {"service_code": _category(session, code).code, "attributes": [landmark]}


def authorize(session: Session, api_key: str) -> ApiToken:
    """The API key's token if it is live and carries the open311 scope (403 otherwise)."""
    if not api_key:
        raise PermissionDenied(_("api_key is required."), field="api_key")
    try:
        token = accounts.token_for(session, api_key)
    except AuthenticationFailed as exc:
        raise PermissionDenied(_("Invalid api_key."), field="api_key") from exc
    if SCOPE not in token.scopes.split() or not token.user.is_active:
        raise PermissionDenied(_("This api_key may not use Open311."), field="api_key")
    return token


def _complaint_data(form: RequestForm, token: str) -> ComplaintCreate:
    address = form.address_string or form.address_id
    if landmark := form.attributes.get(LANDMARK, ""):
        address = f"{address} ({landmark})" if address else landmark
    name = " ".join(p for p in (form.first_name, form.last_name) if p)
    try:
        return ComplaintCreate(
            category=form.service_code,
            text=form.description,
            mobile=form.phone or None,
            name=name or None,
            lat=form.lat,
            lon=form.long,
            address=address[:400],
            language="en" if current_language.get() == "en" else "hi",
            external_ref=token,
        )
    except ValueError as exc:  # pydantic's ValidationError, or a bad phone number
        raise ValidationFailed(_first_problem(exc), field="description") from exc


def _first_problem(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors) and (found := errors()):
        where = ".".join(str(p) for p in found[0].get("loc", ()))
        names = {"text": "description", "lon": "long", "mobile": "phone"}
        return f"{names.get(where, where) or 'request'}: {found[0].get('msg', 'invalid')}"
    return str(exc)


def file_request(
    session: Session, *, settings: Settings, key: ApiToken, form: RequestForm
) -> dict[str, object]:
    """Register a complaint for a civic app; the answer carries its number and a token."""
    category = _category(session, form.service_code)
    token = secrets.token_hex(16)
    actor = audit.Actor(id=key.user_id, label=f"Open311 {key.name}"[:120])
    complaint = grievances.create_complaint(
        session,
        settings=settings,
        data=_complaint_data(form, token),
        channel=CHANNEL,
        actor=actor,
        category=category,
    )
    row = {"token": token, "complaint_id": complaint.id, "api_token_id": key.id}
    session.connection().execute(insert(Open311Request), {**row, "created_at": utcnow()})
    notice = _("The police will act on it within {hours} hours.").format(hours=category.sla_hours)
    return {
        "service_request_id": complaint.number,
        "token": token,
        "service_notice": notice,
        "account_id": None,
    }


def _rows(session: Session, stmt: Select[Complaint, int]) -> list[Row]:
    latest = (
        select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.at).label("at"))
        .group_by(ComplaintEvent.complaint_id)
        .subquery()
    )
    joined = stmt.add_columns(latest.c.at).outerjoin(latest, latest.c.complaint_id == Complaint.id)
    return [Row(c, k, at) for c, k, at in session.execute(joined).all()]


def _base() -> Select[Complaint, int]:
    return select(Complaint, Open311Request.api_token_id).join(
        Open311Request, Open311Request.complaint_id == Complaint.id
    )


def _filtered(stmt: Select[Complaint, int], query: RequestQuery) -> Select[Complaint, int]:
    if query.ids:
        return stmt.where(Complaint.number.in_(query.ids))
    stmt = stmt.where(
        Complaint.received_at >= query.start_date, Complaint.received_at <= query.end_date
    )
    if query.service_code:
        stmt = stmt.where(Complaint.category_code == query.service_code)
    if query.statuses == {"open"}:
        stmt = stmt.where(Complaint.status != "closed")
    elif query.statuses == {"closed"}:
        stmt = stmt.where(Complaint.status == "closed")
    return stmt


def find(session: Session, *, query: RequestQuery, key: ApiToken | None) -> list[dict[str, object]]:
    """Requests filed through Open311 that match the query, newest first, at most 1000."""
    stmt = _filtered(_base(), query).order_by(Complaint.received_at.desc()).limit(MAX_RESULTS)
    return [show(row, key) for row in _rows(session, stmt)]


def one(session: Session, *, number: str, key: ApiToken | None) -> list[dict[str, object]]:
    """One request by its number, as a list of one (GeoReport's shape)."""
    rows = _rows(session, _base().where(Complaint.number == number.strip().upper()))
    if not rows:
        raise NotFound(_("No service request with this id."), field="service_request_id")
    return [show(rows[0], key)]


def by_token(session: Session, token: str) -> list[dict[str, object]]:
    """The request id behind a token from a POST."""
    found = session.scalar(select(Open311Request).where(Open311Request.token == token))
    if found is None:
        raise NotFound(_("No service request with this token."), field="token")
    number = session.get_one(Complaint, found.complaint_id).number
    return [{"service_request_id": number, "token": token}]


def show(row: Row, key: ApiToken | None) -> dict[str, object]:
    """A request as GeoReport v2 lists it; others than its filer see no text or address."""
    complaint, mine = row.complaint, key is not None and key.id == row.api_token_id
    station = complaint.station
    station_name = pick((station.name_en, station.name_hi)) if station else ""
    coarse = 2 if not mine else 6  # about a kilometre for everyone else
    return {
        "service_request_id": complaint.number,
        "status": "closed" if complaint.status == "closed" else "open",
        "status_notes": complaint.status,
        "service_name": _name(complaint.category),
        "service_code": complaint.category_code,
        "description": complaint.text if mine else "",
        "agency_responsible": station_name,
        "service_notice": "",
        "requested_datetime": _iso(complaint.received_at),
        "updated_datetime": _iso(complaint.closed_at or row.updated_at or complaint.created_at),
        "expected_datetime": _iso(complaint.due_at),
        "address": complaint.address if mine else "",
        "address_id": "",
        "zipcode": "",
        "lat": round(complaint.lat, coarse) if complaint.lat is not None else None,
        "long": round(complaint.lon, coarse) if complaint.lon is not None else None,
        "media_url": "",
    }
