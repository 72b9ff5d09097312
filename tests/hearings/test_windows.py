"""Hearing windows: IST hours made into UTC sittings, holidays and leave, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from nigrani.core.errors import ValidationFailed
from nigrani.hearings.windows import Window, sitting_on, sittings, validate

SSP, ACP1, ACP2 = 1, 2, 3


def test_the_default_window_is_noon_to_two_ist_on_weekdays_in_utc() -> None:
    # Mon 30 Nov 2026 to Sun 6 Dec: five working days
    found = sittings(Window(owner_id=SSP), first=date(2026, 11, 30), last=date(2026, 12, 6))
    assert [s.day for s in found] == [date(2026, 11, 30) + timedelta(days=i) for i in range(5)]
    first = found[0]
    assert first.starts_at == datetime(2026, 11, 30, 6, 30, tzinfo=UTC)
    assert first.ends_at == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    assert first.officers == (SSP,)
    assert len(first.slots) == 12 and first.slots[-1].ends_at == first.ends_at


def test_an_early_window_falls_on_the_previous_utc_day() -> None:
    window = Window(owner_id=SSP, starts=time(0, 30), ends=time(2, 30), slot_minutes=30)
    sitting = sitting_on(window, date(2026, 12, 1))
    assert sitting is not None
    assert sitting.starts_at == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert sitting.ends_at == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert sitting.day == date(2026, 12, 1)
    slot = sitting.slot_at(datetime(2026, 11, 30, 20, 10, tzinfo=UTC))
    assert slot is not None and slot.index == 2
    assert sitting.slot_at(sitting.ends_at) is None


def test_holidays_close_the_window_and_leave_thins_the_panel() -> None:
    window = Window(owner_id=SSP, panel=(ACP1, ACP2), weekdays=frozenset({1, 3}))
    days = sittings(
        window,
        first=date(2026, 12, 1),
        last=date(2026, 12, 10),
        holidays={date(2026, 12, 3)},
        leave={ACP1: {date(2026, 12, 8)}, SSP: {date(2026, 12, 10)}, ACP2: {date(2026, 12, 10)}},
    )
    by_day = {s.day: s for s in days}
    assert sorted(by_day) == [date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 10)]
    assert by_day[date(2026, 12, 1)].officers == (SSP, ACP1, ACP2)
    assert by_day[date(2026, 12, 8)].officers == (SSP, ACP2)
    assert by_day[date(2026, 12, 8)].slots[0].capacity == 2
    assert by_day[date(2026, 12, 10)].officers == (ACP1,)
    assert by_day[date(2026, 12, 10)].on_leave == (SSP, ACP2)
    everyone_away = {o: {date(2026, 12, 1)} for o in window.officers}
    assert sitting_on(window, date(2026, 12, 1), leave=everyone_away) is None


def test_validity_bounds_the_days() -> None:
    window = Window(owner_id=SSP, valid_from=date(2026, 12, 2), valid_until=date(2026, 12, 3))
    found = sittings(window, first=date(2026, 11, 30), last=date(2026, 12, 31))
    assert [s.day for s in found] == [date(2026, 12, 2), date(2026, 12, 3)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"ends": time(12, 0)}, "ends"),
        ({"ends": time(11, 0)}, "ends"),
        ({"slot_minutes": 4}, "slot_minutes"),
        ({"slot_minutes": 7}, "slot_minutes"),
        ({"panel": tuple(range(2, 12))}, "panel"),
        ({"valid_from": date(1999, 1, 1)}, "valid_from"),
        ({"valid_from": date(2026, 2, 1), "valid_until": date(2026, 1, 1)}, "valid_until"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {"owner_id": SSP, **changes}
    with pytest.raises(ValidationFailed) as caught:
        validate(Window(**values))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_range_must_be_ordered_and_bounded() -> None:
    window = Window(owner_id=SSP)
    with pytest.raises(ValidationFailed, match="before"):
        sittings(window, first=date(2026, 12, 2), last=date(2026, 12, 1))
    with pytest.raises(ValidationFailed, match="year"):
        sittings(window, first=date(2026, 1, 1), last=date(2027, 1, 2))
    assert len(sittings(window, first=date(2026, 1, 1), last=date(2026, 12, 31))) == 261
    assert validate(Window(owner_id=SSP, panel=(SSP, ACP1))).officers == (SSP, ACP1)
