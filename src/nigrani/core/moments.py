"""Dates and times typed or sent from outside: ISO 8601, and only within the years we serve.

Python's datetimes stop at years 1 and 9999, so `0001-01-01` minus a day (or a time zone)
overflows; bounding what comes in keeps every later step of arithmetic inside."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def in_bounds(day: date) -> bool:
    """Whether the calendar day is one this system can have records of."""
    return EARLIEST <= day <= LATEST


def parse_day(raw: str) -> date:
    """A YYYY-MM-DD day within the bounds; ValueError for anything else."""
    day = date.fromisoformat(raw.strip())
    if not in_bounds(day):
        raise ValueError(f"{raw!r} is outside {EARLIEST.year}-{LATEST.year}")
    return day


def parse_moment(raw: str, *, zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 date and time within the bounds, aware (a naive one is wall-clock time
    in `zone`, its own offset kept); ValueError for anything else."""
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if not in_bounds(value.date()):  # its own wall-clock day: no offset applied yet
        raise ValueError(f"{raw!r} is outside {EARLIEST.year}-{LATEST.year}")
    return value if value.tzinfo else value.replace(tzinfo=zone)


def parse_local(value: str, tz: str) -> datetime:
    """A `datetime-local` value (wall clock in the city's zone) as an aware datetime."""
    try:
        return parse_moment(value, zone=ZoneInfo(tz))
    except ValueError as exc:
        raise ValidationFailed(
            _("Enter the date and time as shown, e.g. 2026-12-01 18:30."), field="window"
        ) from exc


def _bounded(value: datetime) -> datetime:
    if not in_bounds(value.date()):
        raise ValueError(f"use a date from {EARLIEST.year} to {LATEST.year}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_bounded)]
"""An aware date and time in a request body (JSON), within the bounds."""


def local_input(value: datetime, tz: str = "Asia/Kolkata") -> str:
    """A time as a datetime-local field's value (IST wall clock, to the second)."""
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S")
