"""Request and response bodies of the incident canvass."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nigrani.canvass.kinds import KINDS
from nigrani.core.db import MAX_ID
from nigrani.core.i18n import _
from nigrani.core.moments import Moment

MAX_WINDOW = timedelta(days=7)
DEFAULT_RADIUS_M = 300.0
MAX_RADIUS_M = 2000.0


class IncidentCreate(BaseModel):
    """A new incident: what, where, when; the station is found from the point."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(max_length=40)
    description: str = Field(default="", max_length=2000)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = Field(default="", max_length=400)
    window_start: Moment
    window_end: Moment
    fir_number: str = Field(default="", max_length=60)
    officer_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(
                _("Unknown incident type; use one of: {kinds}").format(kinds=", ".join(KINDS))
            )
        return value

    @model_validator(mode="after")
    def _window(self) -> IncidentCreate:
        if self.window_end <= self.window_start:
            raise ValueError(_("The time window must end after it starts."))
        if self.window_end - self.window_start > MAX_WINDOW:
            raise ValueError(_("The time window may be at most 7 days."))
        return self


class FootageRequestCreate(BaseModel):
    """Ask a site's owner for footage of the incident window (or a part of it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site_id: int
    note: str = Field(default="", max_length=500)
    window_start: Moment | None = None
    window_end: Moment | None = None


class IncidentRead(BaseModel):
    """An incident as the API returns it."""

    id: int
    number: str
    kind: str
    description: str
    lat: float
    lon: float
    address: str
    window_start: datetime
    window_end: datetime
    fir_number: str
    station_code: str
    officer_id: int
    status: str
    created_at: datetime


class CanvassHitRead(BaseModel):
    """One site that could have seen the place, with why it ranks where it does."""

    site_id: int
    name: str
    category: str
    is_public: bool
    distance_m: float
    bearing_deg: float
    view: str
    footage: str
    retention_days: int | None
    cameras: int
    linked: int
    owner_name_masked: str | None
    owner_phone_masked: str | None
    request_status: str | None


class CanvassRead(BaseModel):
    """The canvass of an incident at a radius."""

    incident: str
    radius_m: float
    hits: list[CanvassHitRead]
