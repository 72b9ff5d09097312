"""The officer's incident form: IST wall-clock times in, aware UTC datetimes out."""

from __future__ import annotations

from pydantic import ValidationError

from nigrani.canvass.schemas import IncidentCreate
from nigrani.core import validation
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import parse_local


def incident_from_form(
    *,
    tz: str,
    kind: str,
    description: str,
    lat: str,
    lon: str,
    address: str,
    window_start: str,
    window_end: str,
    fir_number: str,
) -> IncidentCreate:
    """The incident a submitted form describes, or a ValidationFailed naming the field."""
    try:
        point = (float(lat), float(lon))
    except ValueError as exc:
        raise ValidationFailed(
            _("Pick the place on the map or search for a locality."), field="location"
        ) from exc
    try:
        return IncidentCreate(
            kind=kind,
            description=description,
            lat=point[0],
            lon=point[1],
            address=address,
            window_start=parse_local(window_start, tz),
            window_end=parse_local(window_end, tz),
            fir_number=fir_number,
        )
    except ValidationError as exc:
        raise validation.failure(exc) from exc
