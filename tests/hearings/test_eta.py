"""The waiting-time estimate: its band, the bookings it counts, officers, opening and closing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from nigrani.hearings import eta
from nigrani.hearings.queue import Queue
from nigrani.hearings.windows import Window, sitting_on

MIN = timedelta(minutes=1)
STATS = eta.CallStats(mean_s=300.0, var_s=180.0**2, calls=20, no_show_rate=0.1)


def queue(*officers: int) -> Queue:
    sitting = sitting_on(Window(owner_id=officers[0], panel=officers[1:]), date(2026, 12, 1))
    assert sitting is not None
    return Queue(sitting)


def width(shown: eta.Eta) -> timedelta:
    return shown.high - shown.low


def morning(q: Queue) -> datetime:
    return q.sitting.starts_at - timedelta(hours=4)


def test_the_band_widens_with_the_spread_of_calls_and_the_doubt_in_their_mean() -> None:
    steady = eta.CallStats(mean_s=300.0, var_s=60.0**2, calls=20, no_show_rate=0.1)
    unsure = eta.CallStats(mean_s=300.0, var_s=180.0**2, calls=6, no_show_rate=0.1)
    assert width(eta.estimate(8, [0.0], STATS)) > width(eta.estimate(8, [0.0], steady))
    assert width(eta.estimate(8, [0.0], unsure)) > width(eta.estimate(8, [0.0], STATS))
    shown = eta.estimate(8, [0.0], STATS)
    assert shown.low < shown.likely < shown.high
    assert abs(shown.likely - 8 * 5 * MIN) < 2 * MIN


def test_several_officers_share_the_wait() -> None:
    one = eta.estimate(12, [0.0], STATS)
    three = eta.estimate(12, [0.0, 0.0, 0.0], STATS)
    assert three.likely < one.likely * 0.45
    assert width(three) < width(one)


def test_a_booking_counts_only_if_it_arrives_before_the_turn() -> None:
    busy = [240.0]  # the officer is four minutes from free
    soon = eta.Ahead(bookings_s=[60.0], latest_s=[900.0], booked_show_rate=1.0)
    later = eta.Ahead(bookings_s=[3600.0], latest_s=[4200.0], booked_show_rate=1.0)
    alone = eta.project(eta.Ahead(), busy, STATS)
    assert eta.project(later, busy, STATS).likely == alone.likely
    assert eta.project(soon, busy, STATS).likely > alone.likely + 3 * MIN
    never = eta.Ahead(bookings_s=[60.0], latest_s=[900.0], booked_show_rate=0.0)
    assert eta.project(never, busy, STATS).likely == alone.likely


def test_a_walk_in_behind_a_full_day_of_bookings_waits_only_for_those_in_before_its_turn() -> None:
    q = queue(1)
    for slot in range(len(q.sitting.slots)):
        q.book(slot, now=morning(q))
    now = q.sitting.starts_at - 15 * MIN
    walk_in = q.join(now=now)
    assert walk_in.standby and q.booked_ahead(walk_in.id, now=now) == 12
    shown = eta.for_ticket(q, walk_in.id, now=now)
    assert shown.served_today
    # twelve bookings of five minutes would be an hour past the opening; few come in first
    assert shown.ahead < 4 and shown.likely < 15 * MIN + 30 * MIN


def test_nobody_is_called_before_the_sitting_opens() -> None:
    q = queue(1)
    now = q.sitting.starts_at - 20 * MIN
    first = q.join(now=now)
    shown = eta.for_ticket(q, first.id, now=now)
    assert shown.low == shown.likely == shown.high == 20 * MIN


def test_a_running_call_holds_the_officer_for_what_is_left_of_it() -> None:
    q = queue(1)
    t0 = q.sitting.starts_at
    talking, waiting = q.join(now=t0), q.join(now=t0)
    q.call_next(1, now=t0)
    q.answer(talking.id, now=t0)
    early = eta.for_ticket(q, waiting.id, now=t0 + MIN)
    overdue = eta.for_ticket(q, waiting.id, now=t0 + 30 * MIN)
    assert early.likely > overdue.likely > 0 * MIN  # long past the mean: a third of a call
    assert early.likely < 5 * MIN


def test_beyond_the_window_the_wait_is_not_today_rather_than_a_time() -> None:
    q = queue(1)
    now = q.sitting.ends_at - timedelta(hours=1)
    line = [q.join(now=now) for _ in range(40)]
    first, last = (eta.for_ticket(q, t.id, now=now) for t in (line[0], line[-1]))
    assert first.served_today and first.chance_today > 0.9
    assert not last.served_today and last.chance_today == 0.0
    assert last.likely == last.high == timedelta(hours=1)  # held to the close
    edge = eta.for_ticket(q, line[12].id, now=now)  # about an hour of calls ahead
    assert 0.0 < edge.chance_today < 1.0


def test_the_same_queue_shows_the_same_wait() -> None:
    q = queue(1, 2)
    now = q.sitting.starts_at
    tickets = [q.join(now=now) for _ in range(6)]
    assert eta.for_ticket(q, tickets[-1].id, now=now) == eta.for_ticket(q, tickets[-1].id, now=now)


def test_urgent_citizens_coming_in_ahead_lengthen_the_wait() -> None:
    calm = eta.project(eta.Ahead(line=6), [0.0], STATS)
    urgent = eta.project(eta.Ahead(line=6, out_of_turn_per_s=1 / 600), [0.0], STATS)
    # about three urgent calls come in the half hour before the turn
    assert urgent.likely > calm.likely + 8 * MIN
    assert urgent.ahead > calm.ahead + 2


def test_a_rejoining_no_show_passes_only_those_further_back_than_it_comes_in() -> None:
    front = eta.Ahead(line=2, rejoin_per_call=0.5, rejoin_behind=3)
    back = eta.Ahead(line=10, rejoin_per_call=0.5, rejoin_behind=3)
    alone = eta.Ahead(line=10, rejoin_behind=3)
    near = eta.project(eta.Ahead(line=2), [0.0], STATS)
    assert eta.project(front, [0.0], STATS).likely == near.likely
    far = eta.project(alone, [0.0], STATS)
    assert eta.project(back, [0.0], STATS).likely > far.likely + 10 * MIN


def test_the_days_rejoins_and_out_of_turn_calls_move_their_rates_from_the_prior() -> None:
    q = queue(1)
    now = q.sitting.starts_at
    prior = eta.Prior()
    first, second, third = (q.join(now=now) for _ in range(3))
    assert eta.rejoin_rate(q, prior=prior) == prior.rejoin_per_call
    assert eta.out_of_turn_rate(q, now=now, prior=prior) == prior.out_of_turn_per_hour / 3600
    q.call_next(1, now=now)
    q.skip_no_show(first.id, now=now + 3 * MIN)
    q.rejoin(first.id, now=now + 4 * MIN)
    assert eta.rejoin_rate(q, prior=prior) > prior.rejoin_per_call
    q.call_out_of_order(1, third.id, reason="urgent: a medical emergency", now=now + 5 * MIN)
    later = now + 10 * MIN
    assert eta.out_of_turn_rate(q, now=later, prior=prior) > prior.out_of_turn_per_hour / 3600
    assert second.state.value == "waiting"
