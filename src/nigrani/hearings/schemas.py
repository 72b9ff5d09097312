"""Request and response bodies of hearings: windows, places in a queue, outcomes, the
waiting room's status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nigrani.core import validation
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import in_bounds
from nigrani.core.params import Id

Priority = Literal["elderly", "disability"]
Outcome = Literal["complaint", "linked", "resolved"]
M = TypeVar("M", bound=BaseModel)
MAX_DAYS = 60  # holidays or leave days given in one form


def _days(values: list[date]) -> list[date]:
    if any(not in_bounds(day) for day in values):
        raise ValueError(_("Use a date from 2000 to 2099."))
    return sorted(set(values))


class WindowCreate(BaseModel):
    """An officer's hearing hours as the form gives them (times are IST wall clock)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    owner_id: Id | None = None  # None: the publisher
    weekdays: list[int] = Field(min_length=1, max_length=7)
    starts: time
    ends: time
    slot_minutes: int = Field(ge=5, le=60)
    panel: list[Id] = Field(default_factory=list, max_length=10)
    valid_from: date | None = None
    valid_until: date | None = None
    holidays: list[date] = Field(default_factory=list, max_length=MAX_DAYS)

    @model_validator(mode="after")
    def _check(self) -> WindowCreate:
        if not set(self.weekdays) <= set(range(7)):
            raise ValueError(_("Choose at least one day of the week."))
        self.holidays = _days(self.holidays)
        return self


class LeaveCreate(BaseModel):
    """Days an officer is away from every panel."""

    model_config = ConfigDict(extra="forbid")

    days: list[date] = Field(min_length=1, max_length=MAX_DAYS)

    @model_validator(mode="after")
    def _check(self) -> LeaveCreate:
        self.days = _days(self.days)
        return self


class PlaceCreate(BaseModel):
    """A citizen's place: a booked slot (slot given) or today's live queue (slot None)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    window_id: Id
    day: date | None = None  # a booking's day; joining is for today
    slot: int | None = Field(default=None, ge=0, le=1000)
    topic: str = Field(min_length=5, max_length=1000)
    complaint_number: str | None = Field(default=None, max_length=40)
    priority: Priority | None = None

    @model_validator(mode="after")
    def _check(self) -> PlaceCreate:
        if (self.slot is None) != (self.day is None):
            raise ValueError(_("Choose a day and a slot to book."))
        if self.day is not None and not in_bounds(self.day):
            raise ValueError(_("Use a date from 2000 to 2099."))
        return self


class OutcomeCreate(BaseModel):
    """How a hearing ended: notes, and a new complaint, a linked one, or resolved."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Outcome
    notes: str = Field(min_length=5, max_length=5000)
    category: str | None = Field(default=None, max_length=40)
    station_code: str | None = Field(default=None, max_length=60)
    complaint_number: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _check(self) -> OutcomeCreate:
        if self.outcome == "complaint" and not (self.category and self.station_code):
            raise ValueError(
                _("A new complaint needs its category and the police station it goes to.")
            )
        if self.outcome == "linked" and not self.complaint_number:
            raise ValueError(_("Give the number of the complaint this hearing was about."))
        return self


class RecordingOffer(BaseModel):
    """A page's offer to the server's recording peer (its RTCSessionDescription)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["offer"]
    sdp: str = Field(min_length=10, max_length=60_000)


class TicketStatus(BaseModel):
    """What the waiting room polls: the place, the wait and what to do now."""

    state: str
    number: int
    position: int | None
    eta_from: datetime | None
    eta_to: datetime | None
    eta_text: str
    message: str
    complaint_number: str | None = None


def _DATES() -> str:  # noqa: N802
    return _("Give dates as YYYY-MM-DD, from 2000 to 2099.")


def _TIMES() -> str:  # noqa: N802
    return _("Give times as HH:MM (IST).")


FIELD_MESSAGES: dict[str, Callable[[], str]] = {
    "topic": lambda: _("Say in a few words what you want to raise (at least 5 characters)."),
    "notes": lambda: _("Write what was heard and said (at least 5 characters)."),
    "slot_minutes": lambda: _("A slot lasts from 5 to 60 minutes."),
    "weekdays": lambda: _("Choose at least one day of the week."),
    "starts": _TIMES,
    "ends": _TIMES,
    "valid_from": _DATES,
    "valid_until": _DATES,
    "holidays": _DATES,
    "days": _DATES,
    "day": _DATES,
    "slot": lambda: _("Choose a slot from the list."),
    "window_id": lambda: _("Choose a hearing from the list."),
    "owner_id": lambda: _("Choose an officer from the list."),
    "panel": lambda: _("Choose at most 10 officers from the list."),
    "priority": lambda: _("Choose a priority from the list."),
    "outcome": lambda: _("Choose how the hearing ended."),
}


def parse(model: type[M], values: dict[str, Any]) -> M:
    """A form's values as the model, or ValidationFailed naming the first wrong field."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int)) or None
        if field in FIELD_MESSAGES:
            raise ValidationFailed(FIELD_MESSAGES[field](), field=field) from exc
        raise ValidationFailed(validation.describe(error), field=field) from exc
