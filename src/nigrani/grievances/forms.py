"""Complaint forms (citizen and walk-in) to a ComplaintCreate, with the field to blame."""

from __future__ import annotations

from pydantic import ValidationError

from nigrani.core import validation
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.grievances.schemas import ComplaintCreate


def _point(lat: str, lon: str) -> tuple[float | None, float | None]:
    if not lat.strip() and not lon.strip():
        return None, None
    try:
        return float(lat), float(lon)
    except ValueError as exc:
        raise ValidationFailed(
            _("Pick the place on the map, or leave it empty."), field="location"
        ) from exc


def complaint_from_form(
    values: dict[str, str], *, mobile: str | None, verified: bool, language: str
) -> ComplaintCreate:
    """The complaint a submitted form describes, or a ValidationFailed naming the field."""
    lat, lon = _point(values.get("lat", ""), values.get("lon", ""))
    try:
        return ComplaintCreate(
            category=values.get("category", ""),
            text=values.get("text", ""),
            mobile=mobile,
            mobile_verified=verified,
            name=values.get("name") or None,
            address=values.get("address", ""),
            lat=lat,
            lon=lon,
            language="en" if language == "en" else "hi",
            station_code=values.get("station_code") or None,
        )
    except ValidationError as exc:
        refused = validation.failure(exc)
        if refused.field == "text":
            refused = ValidationFailed(
                _("Describe the complaint in at least 10 characters."), field="text"
            )
        raise refused from exc
