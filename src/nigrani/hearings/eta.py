"""An honest wait: a range (low, likely, high) for a place in the line, from the day's recent
calls and the officers serving, or "not reached today" when the turn falls after the close.

What one citizen ahead costs: a call's mean and spread come from the last `last` calls of the
sitting, timed from the ring (the officer is held while the citizen picks up), each held to
at most 3x their median (one call left open over lunch must not move everyone's wait), shrunk
toward a prior worth `Prior.weight` calls, and mixed with the grace an officer waits on a
no-show at the day's no-show rate.

Who is ahead: the citizens before this one in the line, and the booked citizens not yet
arrived whose slot comes before this ticket's. The line puts a booking ahead of a later-due
ticket when it checks in, so a booking gets ahead only if it arrives before this turn comes
(a race: a booking due soon may arrive just before the turn or just after it), and only if
it comes at all. Citizens in the line give up at the day's rate per minute waited. And the
line ahead grows as it is served: each call has the day's chance of a skipped no-show coming
back `rejoin_behind` places behind the head (ahead of a ticket further back), and urgent
citizens, called out of turn ahead of everyone, come at the day's rate per minute.

The wait is the line played forward `DRAWS` times (`project`), each draw with its own call
lengths (lognormal, the day's mean and spread, the mean itself drawn within its standard
error), booking arrivals (the day's check-in lead and its spread; a booking that does not
come, or comes too late to keep its slot, gets ahead of nobody), and who gives up: officers
free when their current call ends (never less than a third of a call more, however long it
has run, and never before the sitting opens) take whoever is next, until nobody is left
before this ticket. Likely is the median turn, low and high the 5th and 95th percentiles,
and `chance_today` the share of draws reached before the close; under `SURE_TODAY`, no
time is promised.
The draws are seeded, so one state of the queue always shows the same wait.
`bench/bench_hearing_queue.py` measures how often the real call falls inside the band.

Pure: times and counts come in as arguments (`for_ticket` reads them off a `Queue`).
Tables later: nothing of its own; the prior per officer may be kept on `hearing_window`
(prior_mean_s, prior_sd_s) and refreshed nightly from the last sittings' calls.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from nigrani.hearings.queue import Kind, Queue, State, Ticket

# the quantiles of the turn shown as low, likely, high: the draws leave out priority joiners
# and a sitting's drift in call lengths, and a 10-90 band of them held 63-70 % of the real
# calls in the bench (before rejoins and urgent calls were drawn); 5-95 holds about 80 %
BAND = (0.05, 0.5, 0.95)
DRAWS = 400
RESIDUAL_FLOOR = 1 / 3  # a running call has at least this share of a mean call to go
WINSOR = 3.0  # calls held to at most this many medians
LAST_CALLS = 30
SURE_TODAY = 0.8  # a time is shown only when at least this share of draws reach the turn


@dataclass(frozen=True)
class Prior:
    """What a day starts from, before its own calls: a call's mean and spread, a no-show
    rate, when booked citizens check in (how long before the slot, and how that varies),
    the share of bookings that come, and how often a waiting citizen gives up (per minute
    waited), each worth its weight in observations."""

    mean: timedelta = timedelta(minutes=5)
    sd: timedelta = timedelta(minutes=3)
    weight: int = 5
    no_show_rate: float = 0.1
    no_show_weight: int = 10
    booked_lead: timedelta = timedelta(minutes=5)
    booked_lead_sd: timedelta = timedelta(minutes=6)
    booked_show_rate: float = 0.9
    cancel_per_min: float = 0.001
    cancel_weight_min: float = 600.0  # minutes waited the prior's rate is worth
    rejoin_per_call: float = 0.05  # skipped no-shows who came back, per call made
    rejoin_weight: int = 20  # calls the prior's rate is worth
    out_of_turn_per_hour: float = 1.0  # urgent citizens called out of turn
    out_of_turn_weight_min: float = 60.0  # minutes of the sitting the prior's rate is worth


@dataclass(frozen=True)
class CallStats:
    """What one citizen ahead costs, in seconds: mean and variance, and how sure we are."""

    mean_s: float
    var_s: float
    calls: int  # observations behind the estimate, prior included
    no_show_rate: float

    @classmethod
    def estimate(
        cls,
        calls: Sequence[timedelta],
        *,
        answered: int,
        no_shows: int,
        grace: timedelta,
        prior: Prior | None = None,
    ) -> CallStats:
        """The cost of a place from recent call lengths and the day's answered/no-show counts."""
        prior = prior or Prior()
        mean, var = _shrunk([c.total_seconds() for c in calls], prior)
        rate = _toward(prior.no_show_rate, prior.no_show_weight, no_shows, answered + no_shows)
        g = grace.total_seconds()
        cost = (1 - rate) * mean + rate * g
        second = (1 - rate) * (var + mean**2) + rate * g**2
        return cls(cost, max(second - cost**2, 0.0), len(calls) + prior.weight, rate)


@dataclass(frozen=True)
class Eta:
    """A wait from now: the likely value and a band meant to hold the call 4 times in 5.

    `served_today` False: fewer than `SURE_TODAY` of the draws reach this turn before the
    close (nobody is called after it); show "may not be reached today", not a time (a time
    shown and never kept is the worst error); times past the close are held to it.
    `chance_today`: the chance of a call before the close. `ahead`: citizens expected to be
    called first (the line ahead and bookings that get in first, less those who give up)."""

    low: timedelta
    likely: timedelta
    high: timedelta
    served_today: bool = True
    chance_today: float = 1.0
    ahead: float = 0.0

    def at(self, now: datetime) -> tuple[datetime, datetime]:
        """The band as times of day (UTC; pages show them in IST)."""
        return now + self.low, now + self.high


@dataclass(frozen=True)
class Ahead:
    """Who may be called before a ticket, and when, in seconds from now: the citizens ahead
    in the line; for each booking due before it, when it is expected in and the latest it
    may come and still keep its place; the day's rates; when the ticket itself can first be
    called (a booked citizen not in yet), and when the officers may first call and stop;
    and who comes in ahead: a rejoining no-show per call (ahead of a ticket with more than
    `rejoin_behind` before it), an urgent citizen per second."""

    line: int = 0
    bookings_s: Sequence[float] = ()
    latest_s: Sequence[float] = ()
    lead_sd_s: float = 0.0
    booked_show_rate: float = 1.0
    cancel_per_s: float = 0.0
    not_before_s: float = 0.0
    opens_in_s: float = 0.0
    closes_in_s: float = math.inf
    rejoin_per_call: float = 0.0
    rejoin_behind: int = 0
    out_of_turn_per_s: float = 0.0


@dataclass
class _Draws:
    """The state of every draw of `project` as the line is played forward."""

    free: np.ndarray  # (draws, officers): when each officer is next free
    line: np.ndarray  # citizens ahead still to be called
    arrivals: np.ndarray  # (draws, bookings + 1): sorted arrival times, inf-padded
    seen: np.ndarray  # up to when urgent arrivals are drawn
    taken: np.ndarray = field(init=False)
    turn: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.line)
        self.taken = np.zeros(n)
        self.turn = np.full(n, np.inf)


def estimate(ahead: int, remaining: Sequence[float], stats: CallStats) -> Eta:
    """The wait of a citizen with `ahead` people before them, when the officers' current calls
    have `remaining` seconds to go (0: free)."""
    return project(Ahead(line=ahead), remaining, stats)


def project(
    ahead: Ahead, remaining: Sequence[float], stats: CallStats, *, draws: int = DRAWS
) -> Eta:
    """The line played forward `draws` times: officers take the citizens ahead, and each
    booking once it has arrived, until nobody is left before this ticket; its turn is then
    the first free officer's (or the close, if that comes first)."""
    if not remaining:
        raise ValueError("nobody serves this queue")
    if _past_close(ahead, remaining, stats):
        close = timedelta(seconds=ahead.closes_in_s)
        return Eta(close, close, close, served_today=False, chance_today=0.0, ahead=ahead.line)
    rng = np.random.default_rng(18)
    comes = np.random.default_rng(19)  # who comes in ahead: its own stream, so a line without
    # rejoins or urgent citizens draws exactly what it drew before they were modelled
    mean = stats.mean_s * np.clip(1 + rng.standard_normal(draws) * _rel_se(stats), 0.5, 2.0)
    sigma = math.sqrt(math.log1p(stats.var_s / stats.mean_s**2)) if stats.mean_s else 0.0
    state = _Draws(
        free=_free_at(remaining, stats, ahead.opens_in_s, rng, draws, sigma),
        line=np.full(draws, ahead.line),
        arrivals=_arrivals(ahead, rng, draws),
        seen=np.full(draws, ahead.opens_in_s),  # urgent citizens count from the opening
    )
    done = False
    while not done:  # each step takes one citizen, idles to an arrival, or ends each draw
        factor = np.exp(rng.standard_normal(draws) * sigma - sigma**2 / 2)
        done = _step(state, ahead, mean * factor, rng.random(draws), comes)
    return _summary(state, ahead)


def _step(
    state: _Draws, ahead: Ahead, cost: np.ndarray, stays: np.ndarray, comes: np.random.Generator
) -> bool:
    """One officer-free moment in every draw still running; True when all have ended.
    `comes` draws who comes in ahead (rejoins, urgent citizens)."""
    rows = np.flatnonzero(np.isinf(state.turn))
    if not len(rows):
        return True
    free = state.free[rows]
    officer = free.argmin(axis=1)
    now = free[np.arange(len(rows)), officer]
    # urgent citizens who came since the last look go ahead of everyone (none after the close)
    until = np.minimum(now, ahead.closes_in_s)
    gap = np.maximum(until - state.seen[rows], 0.0)
    state.line[rows] += comes.poisson(ahead.out_of_turn_per_s * gap)
    state.seen[rows] = np.maximum(state.seen[rows], until)
    booked = state.arrivals[rows, 0]
    from_line = state.line[rows] > 0
    from_booked = ~from_line & (booked <= now)
    take = from_line | from_booked
    closed = now >= ahead.closes_in_s
    waits = ~take & (now < ahead.not_before_s)  # a booked ticket not in yet: idle until then
    ends = ~take & ~waits | closed
    state.turn[rows[ends]] = np.minimum(now[ends], ahead.closes_in_s)
    # a call that ends in a skip may bring its citizen back behind the head, ahead of a
    # ticket further back
    rejoins = comes.random(len(rows))
    back = (state.line[rows] > ahead.rejoin_behind) & (rejoins < ahead.rejoin_per_call)
    state.line[rows[from_line & ~closed]] -= 1
    state.line[rows[back & take & ~closed]] += 1
    shifted = rows[from_booked & ~closed]
    state.arrivals[shifted] = np.roll(state.arrivals[shifted], -1, axis=1)
    state.arrivals[shifted, -1] = np.inf
    there = stays[rows] < np.exp(-ahead.cancel_per_s * now)  # has not given up by now
    busy = take & ~closed
    state.taken[rows[busy]] += there[busy]
    state.free[rows[busy], officer[busy]] = now[busy] + cost[rows[busy]] * there[busy]
    idle = waits & ~closed
    state.free[rows[idle], officer[idle]] = np.minimum(ahead.not_before_s, booked[idle])
    return False


def _summary(state: _Draws, ahead: Ahead) -> Eta:
    low, likely, high = (float(x) for x in np.quantile(state.turn, BAND))
    chance = float(np.mean(state.turn < ahead.closes_in_s))  # reached: a turn before the close
    return Eta(
        timedelta(seconds=low),
        timedelta(seconds=likely),
        timedelta(seconds=high),
        served_today=chance >= SURE_TODAY,
        chance_today=chance,
        ahead=float(np.mean(state.taken)),
    )


def _free_at(
    remaining: Sequence[float],
    stats: CallStats,
    opens_in: float,
    rng: np.random.Generator,
    draws: int,
    sigma: float,
) -> np.ndarray:
    """When each officer is first free, per draw: a running call's rest varies as calls do."""
    rest = np.asarray([max(r, 0.0) for r in remaining])
    factor = np.exp(rng.standard_normal((draws, len(rest))) * sigma - sigma**2 / 2)
    floor = RESIDUAL_FLOOR * stats.mean_s * (rest > 0)
    out: np.ndarray = np.maximum(np.maximum(rest * factor, floor), opens_in)
    return out


def _arrivals(ahead: Ahead, rng: np.random.Generator, draws: int) -> np.ndarray:
    """When each booking arrives, per draw, sorted; inf: it does not come in time, or at all."""
    expected = np.asarray(ahead.bookings_s, dtype=float)
    latest = np.asarray(ahead.latest_s, dtype=float)
    at = expected + rng.standard_normal((draws, len(expected))) * ahead.lead_sd_s
    comes = rng.random((draws, len(expected))) < ahead.booked_show_rate
    at = np.where(comes & (at <= latest), np.maximum(at, 0.0), np.inf)
    return np.sort(np.hstack([at, np.full((draws, 1), np.inf)]), axis=1)


def _past_close(ahead: Ahead, remaining: Sequence[float], stats: CallStats) -> bool:
    """Plainly not today: even at half the usual call, everyone staying, the line ahead
    alone runs past the close (spares the draws for the back of a long line)."""
    if not math.isfinite(ahead.closes_in_s) or ahead.line < 10:
        return False
    first = max(min(remaining), ahead.opens_in_s)
    return first + ahead.line * stats.mean_s / 2 / len(remaining) > ahead.closes_in_s


def _rel_se(stats: CallStats) -> float:
    return math.sqrt(stats.var_s / stats.calls) / stats.mean_s if stats.mean_s else 0.0


def remaining_of(elapsed: Sequence[float | None], stats: CallStats) -> list[float]:
    """Seconds left on each officer's call, from how long it has run (None: free)."""
    return [
        0.0 if e is None else max(stats.mean_s - e, RESIDUAL_FLOOR * stats.mean_s) for e in elapsed
    ]


def stats_of(queue: Queue, *, prior: Prior | None = None, last: int = LAST_CALLS) -> CallStats:
    """The cost of a place from a sitting's own calls so far."""
    done = queue.finished()
    # from the ring: the officer is held while the citizen picks up, as `remaining_of` counts
    calls = [t.ended_at - t.called_at for t in done if t.ended_at and t.called_at]
    return CallStats.estimate(
        calls[-last:],
        answered=len(done),
        no_shows=queue.no_shows(),
        grace=queue.rules.grace,
        prior=prior,
    )


def for_ticket(
    queue: Queue,
    ticket_id: int,
    *,
    now: datetime,
    stats: CallStats | None = None,
    prior: Prior | None = None,
) -> Eta:
    """A waiting (or booked) ticket's wait from now: those ahead in the line, plus the booked
    citizens due before it who arrive before its turn comes."""
    prior = prior or Prior()
    stats = stats or stats_of(queue, prior=prior)
    elapsed = [
        None if held is None else (now - (held.called_at or now)).total_seconds()
        for held in queue.serving().values()
    ]
    ahead = _ahead_of(queue, ticket_id, now=now, prior=prior)
    return project(ahead, remaining_of(elapsed, stats), stats)


def booked_show_rate(queue: Queue, *, now: datetime, prior: Prior | None = None) -> float:
    """The share of today's bookings still held that came, among those whose slot (and the
    lateness allowed) has passed, shrunk toward the prior's. A booking cancelled beforehand
    is left out: the bookings still held when this is asked have come through most of the
    time to cancel in."""
    prior = prior or Prior()
    late = queue.rules.late_after
    # one who came counts from the check-in; one who did not, once too late to come
    past = [
        t
        for t in _bookings(queue)
        if t.checked_in_at is not None or (t.state == State.BOOKED and now > t.due + late)
    ]
    came = sum(1 for t in past if t.checked_in_at is not None)
    return _toward(prior.booked_show_rate, prior.no_show_weight, came, len(past))


def booked_lead(queue: Queue, *, prior: Prior | None = None) -> tuple[float, float]:
    """How long before their slot today's booked citizens checked in, and its spread
    (seconds; late ones count as negative), shrunk toward the prior's, worth `Prior.weight`
    check-ins. One who came too late and was moved to a later slot reads as on time (the
    ticket keeps only its new slot), so each lead is held to the lateness allowed and the
    opening before the sitting."""
    prior = prior or Prior()
    low, high = -queue.rules.late_after.total_seconds(), queue.rules.opens_before.total_seconds()
    leads = [
        min(max((t.due - t.checked_in_at).total_seconds(), low), high)
        for t in _bookings(queue)
        if t.checked_in_at is not None
    ]
    w, n = prior.weight, len(leads)
    m0, v0 = prior.booked_lead.total_seconds(), prior.booked_lead_sd.total_seconds() ** 2
    if n < 2:
        return (w * m0 + sum(leads)) / (w + n), math.sqrt(v0)
    mean, var = statistics.fmean(leads), statistics.variance(leads)
    return (w * m0 + n * mean) / (w + n), math.sqrt((w * v0 + n * var) / (w + n))


def cancel_rate(queue: Queue, *, now: datetime, prior: Prior | None = None) -> float:
    """How often a citizen in the line gives up, per second waited, shrunk toward the prior's."""
    prior = prior or Prior()
    gave_up = {e.ticket_id: e.at for e in queue.events if e.kind == "cancelled"}
    entered = [t for t in queue.tickets.values() if t.checked_in_at is not None]
    left = sum(1 for t in entered if t.id in gave_up)
    waited = sum(_waited(t, gave_up.get(t.id), now) for t in entered)
    return _toward(prior.cancel_per_min / 60, prior.cancel_weight_min * 60, left, waited)


def rejoin_rate(queue: Queue, *, prior: Prior | None = None) -> float:
    """How often a call today brought a skipped no-show back into the line, per call made,
    shrunk toward the prior's."""
    prior = prior or Prior()
    calls = sum(1 for e in queue.events if e.kind in ("called", "called_out_of_order"))
    back = sum(1 for e in queue.events if e.kind == "rejoined")
    return _toward(prior.rejoin_per_call, prior.rejoin_weight, back, calls)


def out_of_turn_rate(queue: Queue, *, now: datetime, prior: Prior | None = None) -> float:
    """Urgent citizens called out of turn today, per second of the sitting so far, shrunk
    toward the prior's."""
    prior = prior or Prior()
    calls = sum(1 for e in queue.events if e.kind == "called_out_of_order")
    open_s = max((now - queue.sitting.starts_at).total_seconds(), 0.0)
    weight = prior.out_of_turn_weight_min * 60
    return _toward(prior.out_of_turn_per_hour / 3600, weight, calls, open_s)


def _toward(prior_rate: float, weight: float, seen: float, exposure: float) -> float:
    """Today's rate, `seen` in `exposure` (calls, seconds waited...), shrunk toward the
    prior's rate as if the prior had been seen over `weight` of the same exposure."""
    return (prior_rate * weight + seen) / (weight + exposure)


def _ahead_of(queue: Queue, ticket_id: int, *, now: datetime, prior: Prior) -> Ahead:
    ticket = queue.tickets[ticket_id]
    lead, lead_sd = booked_lead(queue, prior=prior)
    if ticket.state == State.WAITING:
        line, not_before = (ticket.place or 1) - 1, 0.0
    else:  # booked, not in the line yet: the waiting citizens due before it
        line = sum(1 for t in queue.waiting() if t.due <= ticket.due)
        not_before = max((ticket.due - now).total_seconds() - lead, 0.0)
    late = queue.rules.late_after
    due = [
        (other.due - now).total_seconds()
        for other in queue.tickets.values()
        if other.state == State.BOOKED and other.due < ticket.due and now <= other.due + late
    ]
    return Ahead(
        line=line,
        bookings_s=[d - lead for d in due],
        latest_s=[d + late.total_seconds() for d in due],
        lead_sd_s=lead_sd,
        booked_show_rate=booked_show_rate(queue, now=now, prior=prior),
        cancel_per_s=cancel_rate(queue, now=now, prior=prior),
        not_before_s=not_before,
        opens_in_s=max((queue.sitting.starts_at - now).total_seconds(), 0.0),
        closes_in_s=(queue.sitting.ends_at - now).total_seconds(),
        rejoin_per_call=rejoin_rate(queue, prior=prior),
        rejoin_behind=queue.rules.rejoin_behind,
        out_of_turn_per_s=out_of_turn_rate(queue, now=now, prior=prior),
    )


def _bookings(queue: Queue) -> list[Ticket]:
    return [t for t in queue.tickets.values() if t.kind == Kind.BOOKED]


def _waited(ticket: Ticket, gave_up: datetime | None, now: datetime) -> float:
    """Seconds a ticket has spent in the line: from entering to its call, giving up or now."""
    assert ticket.checked_in_at is not None
    end = gave_up or (ticket.called_at if ticket.state != State.WAITING else None) or now
    return max((min(end, now) - ticket.checked_in_at).total_seconds(), 0.0)


def _shrunk(seconds: Sequence[float], prior: Prior) -> tuple[float, float]:
    """Mean and variance of the calls (each held to WINSOR medians), shrunk toward the prior."""
    w, m0 = prior.weight, prior.mean.total_seconds()
    v0 = prior.sd.total_seconds() ** 2
    if not seconds:
        return m0, v0
    cap = WINSOR * statistics.median(seconds)
    held = [min(s, cap) for s in seconds]
    n, mean = len(held), statistics.fmean(held)
    var = statistics.variance(held, xbar=mean) if n > 1 else v0
    return (w * m0 + n * mean) / (w + n), (w * v0 + n * var) / (w + n)
