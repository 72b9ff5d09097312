"""Hearing windows: an officer's recurring hours (IST wall clock) made into concrete UTC sittings.

A `Window` is what an officer publishes: the weekdays, the hours in the city's zone (default
12:00-14:00 IST), the slot length and the panel of officers who serve it together. `sittings`
turns it into one `Sitting` per day of a date range, leaving out holidays and the days
everybody on the panel is on leave; an officer on leave is simply left off that day's panel.
A sitting's `slots` are the bookable intervals, each taking as many citizens as officers sit.

Pure values and functions: nothing here reads the clock or a database. Tables later:
- `hearing_window` (one row per `Window`): id, owner_id (FK users), weekdays (a 7-bit mask,
  bit 0 Monday), starts (TIME, local), ends (TIME, local), slot_minutes, valid_from,
  valid_until (NULL: open-ended), tz; `hearing_window_officer` (window_id, user_id,
  position) for the panel, the owner first.
- `hearing_closure` (day, window_id NULL for a city-wide holiday, reason) for `holidays`;
  `officer_leave` (user_id, day, reason) for `leave`.
- A `Sitting` is not stored: it is recomputed from the rows above for the day asked.
  The live queue (`queue.py`) keys its tickets by (window_id, day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.moments import in_bounds

DEFAULT_START = time(12, 0)
DEFAULT_END = time(14, 0)
DEFAULT_SLOT_MINUTES = 10
SLOT_MINUTES = (5, 60)  # shortest and longest slot a window may have
MAX_PANEL = 10  # officers serving one window together
MAX_RANGE_DAYS = 366  # sittings expanded in one call


@dataclass(frozen=True)
class Window:
    """A recurring hearing window, as an officer publishes it (times are local wall clock)."""

    owner_id: int
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday 0 … Sunday 6
    starts: time = DEFAULT_START
    ends: time = DEFAULT_END
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    panel: tuple[int, ...] = ()  # the officers serving together; empty: the owner alone
    valid_from: date | None = None
    valid_until: date | None = None
    tz: str = "Asia/Kolkata"

    @property
    def officers(self) -> tuple[int, ...]:
        """Who serves: the owner first, then the rest of the panel, each once."""
        return tuple(dict.fromkeys((self.owner_id, *self.panel)))

    @property
    def minutes(self) -> int:
        """The window's length in minutes."""
        return (self.ends.hour * 60 + self.ends.minute) - (
            self.starts.hour * 60 + self.starts.minute
        )


@dataclass(frozen=True)
class Slot:
    """One bookable interval of a sitting; `capacity` citizens (one per officer sitting)."""

    index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass(frozen=True)
class Sitting:
    """One day's occurrence of a window: UTC bounds and the officers present that day."""

    day: date  # the local (IST) calendar day
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int
    officers: tuple[int, ...]
    on_leave: tuple[int, ...] = field(default=())

    @property
    def slots(self) -> list[Slot]:
        """The bookable intervals, in order, each as wide as the window's slot length."""
        step = timedelta(minutes=self.slot_minutes)
        count = int((self.ends_at - self.starts_at) / step)
        return [
            Slot(i, self.starts_at + i * step, self.starts_at + (i + 1) * step, len(self.officers))
            for i in range(count)
        ]

    def slot_at(self, moment: datetime) -> Slot | None:
        """The slot a moment falls in, or None outside the sitting."""
        if not self.starts_at <= moment < self.ends_at:
            return None
        index = int((moment - self.starts_at) / timedelta(minutes=self.slot_minutes))
        return self.slots[index]


def validate(window: Window) -> Window:
    """The window itself, or ValidationFailed naming the field that is wrong."""
    if not window.weekdays or not window.weekdays <= set(range(7)):
        raise ValidationFailed(_("Choose at least one day of the week."), field="weekdays")
    if window.minutes <= 0:
        raise ValidationFailed(_("The window must end after it starts."), field="ends")
    low, high = SLOT_MINUTES
    if not low <= window.slot_minutes <= high:
        raise ValidationFailed(_("A slot lasts from 5 to 60 minutes."), field="slot_minutes")
    if window.minutes % window.slot_minutes:
        raise ValidationFailed(
            _("The slot length must divide the window into whole slots."), field="slot_minutes"
        )
    if len(window.officers) > MAX_PANEL:
        raise ValidationFailed(_("At most 10 officers can serve one window."), field="panel")
    bounds = (window.valid_from, window.valid_until)
    if any(day is not None and not in_bounds(day) for day in bounds):
        raise ValidationFailed(_("Use a date from 2000 to 2099."), field="valid_from")
    if window.valid_from and window.valid_until and window.valid_until < window.valid_from:
        raise ValidationFailed(_("The last day comes before the first."), field="valid_until")
    return window


def local_moment(day: date, at: time, tz: str) -> datetime:
    """A local wall-clock time on a local day, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def sittings(
    window: Window,
    *,
    first: date,
    last: date,
    holidays: Iterable[date] = (),
    leave: Mapping[int, Iterable[date]] | None = None,
) -> list[Sitting]:
    """The window's sittings from `first` to `last` (local days, both included): its
    weekdays within its validity, less holidays and days with nobody off leave."""
    validate(window)
    _check_range(first, last)
    closed = set(holidays)
    away = {officer: set(days) for officer, days in (leave or {}).items()}
    out = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if not _open_on(window, day) or day in closed:
            continue
        absent = tuple(o for o in window.officers if day in away.get(o, ()))
        present = tuple(o for o in window.officers if o not in absent)
        if present:
            out.append(_sitting(window, day, present, absent))
    return out


def sitting_on(
    window: Window,
    day: date,
    *,
    holidays: Iterable[date] = (),
    leave: Mapping[int, Iterable[date]] | None = None,
) -> Sitting | None:
    """The window's sitting on one local day, or None when it does not sit."""
    found = sittings(window, first=day, last=day, holidays=holidays, leave=leave)
    return found[0] if found else None


def _check_range(first: date, last: date) -> None:
    if not (in_bounds(first) and in_bounds(last)):
        raise ValidationFailed(_("Use a date from 2000 to 2099."), field="first")
    if last < first:
        raise ValidationFailed(_("The last day comes before the first."), field="last")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationFailed(_("Ask for at most a year of sittings at once."), field="last")


def _open_on(window: Window, day: date) -> bool:
    if day.weekday() not in window.weekdays:
        return False
    if window.valid_from and day < window.valid_from:
        return False
    return not (window.valid_until and day > window.valid_until)


def _sitting(
    window: Window, day: date, present: tuple[int, ...], absent: tuple[int, ...]
) -> Sitting:
    return Sitting(
        day=day,
        starts_at=local_moment(day, window.starts, window.tz),
        ends_at=local_moment(day, window.ends, window.tz),
        slot_minutes=window.slot_minutes,
        officers=present,
        on_leave=absent,
    )
