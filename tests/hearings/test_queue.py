"""The live queue's rules: order, several officers, out of turn, no-show, cancel, priority."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.hearings import eta
from nigrani.hearings.queue import Queue, State
from nigrani.hearings.windows import Window, sitting_on

MIN = timedelta(minutes=1)


def queue(*officers: int) -> Queue:
    sitting = sitting_on(Window(owner_id=officers[0], panel=officers[1:]), date(2026, 12, 1))
    assert sitting is not None
    return Queue(sitting)


def test_several_officers_draw_from_one_line_in_order() -> None:
    q = queue(1, 2)
    t0 = q.sitting.starts_at
    ids = [q.join(now=t0 + i * MIN).id for i in range(4)]
    assert [q.position(i) for i in ids] == [1, 2, 3, 4]
    first = q.call_next(1, now=t0 + 5 * MIN)
    second = q.call_next(2, now=t0 + 5 * MIN)
    assert first and second and (first.id, second.id) == (ids[0], ids[1])
    with pytest.raises(Conflict):
        q.call_next(1, now=t0 + 6 * MIN)
    assert q.position(ids[2]) == 1


def test_out_of_turn_needs_a_reason_and_logs_whom_it_passed() -> None:
    q = queue(1)
    t0 = q.sitting.starts_at
    a, b = q.join(now=t0), q.join(now=t0 + MIN)
    with pytest.raises(ValidationFailed):
        q.call_out_of_order(1, b.id, reason="  ", now=t0 + 2 * MIN)
    q.call_out_of_order(1, b.id, reason="medical emergency", now=t0 + 2 * MIN)
    assert q.events[-1].kind == "called_out_of_order"
    assert q.events[-1].passed == (a.id,) and q.events[-1].reason == "medical emergency"


def test_a_no_show_is_skipped_after_grace_and_rejoins_behind_the_head() -> None:
    q = queue(1)
    t0 = q.sitting.starts_at
    tickets = [q.join(now=t0 + i * MIN) for i in range(6)]
    called = q.call_next(1, now=t0 + 10 * MIN)
    assert called is tickets[0]
    with pytest.raises(Conflict):
        q.skip_no_show(called.id, now=t0 + 11 * MIN)
    q.skip_no_show(called.id, now=t0 + 12 * MIN)
    q.rejoin(called.id, now=t0 + 13 * MIN)
    assert q.position(called.id) == 4
    q.cancel(tickets[1].id, now=t0 + 14 * MIN)
    assert tickets[1].state == State.CANCELLED and q.position(called.id) == 3


def test_priority_jumps_at_most_k_and_nobody_is_passed_too_often() -> None:
    q = queue(1)
    t0 = q.sitting.starts_at
    normal = [q.join(now=t0 + i * MIN) for i in range(15)]
    elder = q.join(now=t0 + 20 * MIN, priority="elderly")
    assert elder.jumped == 10 and q.position(elder.id) == 6
    for i in range(5):
        q.join(now=t0 + (21 + i) * MIN, priority="disability")
    assert max(t.passed for t in normal) <= q.rules.max_passed


def test_the_wait_grows_with_place_and_shrinks_with_officers() -> None:
    stats = eta.CallStats.estimate([4 * MIN] * 10, answered=10, no_shows=1, grace=2 * MIN)
    one = [eta.estimate(p, [0.0], stats) for p in range(30)]
    three = [eta.estimate(p, [0.0, 0.0, 0.0], stats) for p in range(30)]
    assert all(
        a.likely <= b.likely and a.high - a.low <= b.high - b.low
        for a, b in itertools.pairwise(one)
    )
    assert all(t.high <= o.high for t, o in zip(three, one, strict=True))
    assert three[20].high < one[20].high
