"""Request and response bodies of station analytics: an event change posted by a worker,
an officer's step on an alert, and what the API answers."""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from PIL import Image, UnidentifiedImageError
from pydantic import (
    AliasChoices,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from nigrani.analytics.level_trace import LevelTrace
from nigrani.analytics.rule_config import RuleKind
from nigrani.core.db import MAX_ID
from nigrani.core.i18n import _

Step = Literal["acknowledge", "instruct", "resolve", "false_positive"]
MAX_PEAK_NUMBER = 10**9  # people, seconds, decibels: far past any real peak
# One value of a peak: bounded numbers (no NaN or infinity), a short text, a flag; or a
# short list of those or of flat records (long_wait's people with their dwell,
# camera_tamper's reasons). Nothing nested deeper.
PeakScalar = (
    Annotated[int, Field(ge=-MAX_PEAK_NUMBER, le=MAX_PEAK_NUMBER)]
    | Annotated[float, Field(ge=-MAX_PEAK_NUMBER, le=MAX_PEAK_NUMBER, allow_inf_nan=False)]
    | Annotated[str, Field(max_length=200)]
    | bool
    | None
)
PeakValue = (
    PeakScalar
    | Annotated[list[PeakScalar], Field(max_length=64)]
    | Annotated[list[Annotated[dict[str, PeakScalar], Field(max_length=8)]], Field(max_length=64)]
)

MAX_SNAPSHOT_BYTES = 512 * 1024  # a sub-stream frame with boxes is ~30-80 KB as JPEG
MAX_SNAPSHOT_B64 = 4 * math.ceil(MAX_SNAPSHOT_BYTES / 3)
MAX_PEAK_KEYS = 16
MAX_PEAK_BYTES = 1024  # the peak as compact JSON
MAX_NOTE = 2000


def decode_jpeg(value: str) -> bytes:
    """The bytes of a base64 JPEG, or ValueError (not base64, too large, not a JPEG)."""
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(_("The snapshot is not valid base64")) from None
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise ValueError(
            _("The snapshot is larger than {n} KB").format(n=MAX_SNAPSHOT_BYTES // 1024)
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG":
                raise ValueError(_("The snapshot is not a JPEG picture"))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValueError(_("The snapshot is not a JPEG picture")) from None
    return data


class EventPost(BaseModel):
    """A rule event's start, new peak or end, as a worker posts it: rules.RuleEvent's JSON
    (its `camera_id` is the station camera's) and an optional snapshot."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    uuid: UUID
    station_camera_id: int = Field(
        ge=1, le=MAX_ID, validation_alias=AliasChoices("station_camera_id", "camera_id")
    )
    kind: RuleKind
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    peak: dict[str, PeakValue] = Field(default_factory=dict)
    snapshot_jpeg_b64: bytes | None = Field(
        default=None, description="The snapshot with its boxes: a JPEG, base64, at most 512 KB"
    )
    trace: LevelTrace | None = Field(
        default=None, description="A raised voice's room level around it, in dBFS"
    )

    @field_validator("snapshot_jpeg_b64", mode="before")
    @classmethod
    def _snapshot(cls, value: object) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(_("The snapshot must be a base64 string"))
        if len(value) > MAX_SNAPSHOT_B64:
            raise ValueError(
                _("The snapshot is larger than {n} KB").format(n=MAX_SNAPSHOT_BYTES // 1024)
            )
        return decode_jpeg(value)

    @field_validator("peak")
    @classmethod
    def _small_peak(cls, peak: dict[str, PeakValue]) -> dict[str, PeakValue]:
        compact = json.dumps(peak, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        if len(peak) > MAX_PEAK_KEYS or len(compact.encode()) > MAX_PEAK_BYTES:
            raise ValueError(
                _("The peak holds at most {keys} values in {size} bytes").format(
                    keys=MAX_PEAK_KEYS, size=MAX_PEAK_BYTES
                )
            )
        return peak

    @model_validator(mode="after")
    def _ends_after_start(self) -> EventPost:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError(_("The event cannot end before it started"))
        return self


class StepCreate(BaseModel):
    """An officer's step on an alert, with the note it needs."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    step: Step
    note: str = Field(default="", max_length=MAX_NOTE)


class EventRead(BaseModel):
    id: int
    uuid: str
    station_camera_id: int
    station_id: int
    kind: str
    started_at: datetime
    ended_at: datetime | None
    peak: dict[str, PeakValue]
    snapshot_sha256: str | None
    status: str
    updated_at: datetime
    created: bool = False  # this post made the event (a retry of it answers False)


class StepRead(BaseModel):
    at: datetime
    actor: str
    step: str
    status: str
    note: str
