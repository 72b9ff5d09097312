"""Request and response bodies of station CCTV."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nigrani.core import urls
from nigrani.core.db import MAX_ID

Role = Literal[
    "entry_exit",
    "lockup",
    "corridor",
    "reception",
    "sho_room",
    "officers_room",
    "outside_washroom",
    "other",
]
# What a zone is for, as the analytics' rules read it (never guessed from its name).
ZoneKind = Literal["waiting", "desk", "staff", "other"]
STREAM_SCHEMES = ("rtsp://", "rtsps://")
MAC_PATTERN = r"^$|^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"


class Zone(BaseModel):
    """An area drawn on the camera's snapshot, in fractions of its width and height."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=60)
    points: list[tuple[float, float]] = Field(min_length=3, max_length=32)
    kind: ZoneKind = "other"  # zones saved before kinds existed read as "other"

    @field_validator("points")
    @classmethod
    def _inside_frame(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if any(not (0 <= x <= 1 and 0 <= y <= 1) for x, y in points):
            raise ValueError("zone points must lie inside the picture (0 to 1)")
        return points


def _check_stream(value: str | None) -> str | None:
    if value and (problem := urls.stream_problem(value, STREAM_SCHEMES)):
        raise ValueError(problem)
    return value or None


class StationCameraCreate(BaseModel):
    """A new station camera."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    station_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=120)
    role: Role
    main_url: str = Field(min_length=8, max_length=500)
    sub_url: str | None = Field(default=None, max_length=500)
    has_audio: bool = True
    night_vision: bool = True
    retention_days: int = Field(default=548, ge=1, le=3650)
    make: str = Field(default="", max_length=80)
    model: str = Field(default="", max_length=80)
    serial: str = Field(default="", max_length=80)
    mac: str = Field(default="", max_length=32, pattern=MAC_PATTERN)
    zones: list[Zone] = Field(default_factory=list, max_length=16)

    @field_validator("main_url", "sub_url")
    @classmethod
    def _stream_scheme(cls, value: str | None) -> str | None:
        return _check_stream(value)


class StationCameraUpdate(BaseModel):
    """Fields an administrator may change; a URL left out keeps its stored value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role | None = None
    main_url: str | None = Field(default=None, max_length=500)
    sub_url: str | None = Field(default=None, max_length=500)
    has_audio: bool | None = None
    night_vision: bool | None = None
    enabled: bool | None = None
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    make: str | None = Field(default=None, max_length=80)
    model: str | None = Field(default=None, max_length=80)
    serial: str | None = Field(default=None, max_length=80)
    mac: str | None = Field(default=None, max_length=32, pattern=MAC_PATTERN)
    zones: list[Zone] | None = Field(default=None, max_length=16)

    @field_validator("main_url", "sub_url")
    @classmethod
    def _stream_scheme(cls, value: str | None) -> str | None:
        return _check_stream(value)


class StationCameraRead(BaseModel):
    """A station camera as officers see it: URLs masked, never the password."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    station_id: int
    name: str
    role: Role
    url_masked: str
    has_audio: bool
    night_vision: bool
    enabled: bool
    retention_days: int
    last_segment_at: datetime | None
    last_error: str
