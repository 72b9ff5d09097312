"""Request and response bodies of grievances."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nigrani.core.phones import normalize_mobile

Resolution = Literal["resolved", "no_action", "not_ours", "duplicate"]


class ComplaintCreate(BaseModel):
    """A new complaint from any channel; the station is found from the place."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str = Field(min_length=1, max_length=40)
    text: str = Field(min_length=10, max_length=5000)
    mobile: str | None = None
    mobile_verified: bool = False
    name: str | None = Field(default=None, max_length=120)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    address: str = Field(default="", max_length=400)
    language: Literal["hi", "en"] = "hi"
    external_ref: str | None = Field(default=None, min_length=1, max_length=200)
    # Without a place: the station the complainant names (a walk-in's own desk, say).
    station_code: str | None = Field(default=None, max_length=60)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return normalize_mobile(value)

    @model_validator(mode="after")
    def _point(self) -> ComplaintCreate:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.mobile_verified and self.mobile is None:
            raise ValueError("a verified complaint needs its mobile number")
        return self


class TransferCreate(BaseModel):
    """Move a complaint to another station, with the reason on the timeline."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    station_code: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=5, max_length=1000)


class CloseCreate(BaseModel):
    """Close a complaint: how it ended and what the complainant is told."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resolution: Resolution
    message: str = Field(min_length=5, max_length=2000)
    duplicate_of: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _duplicate(self) -> CloseCreate:
        if self.resolution == "duplicate" and not self.duplicate_of:
            raise ValueError("name the complaint this one repeats")
        return self


class FeedbackCreate(BaseModel):
    """The complainant's verdict after closure."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    satisfied: bool
    comment: str = Field(default="", max_length=2000)


class CategoryRead(BaseModel):
    """A category as channels list it (the code doubles as an Open311 service code)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name_en: str
    name_hi: str
    sla_hours: int


class EventRead(BaseModel):
    """One line of the timeline."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    actor_label: str
    from_status: str | None
    to_status: str | None
    body: str
    public: bool


class ComplaintRead(BaseModel):
    """A complaint as the API returns it (the complainant masked)."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    status: str
    resolution: str | None
    channel: str
    category_code: str
    text: str
    lat: float | None
    lon: float | None
    address: str
    phone_masked: str | None
    mobile_verified: bool
    node_path: str
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None
