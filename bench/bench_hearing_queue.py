"""Video hearings: one day of the Jansunwai queue, simulated, next to a plain first-come line.

A seeded day (issue 18): `--requests` citizens for one 12:00-14:00 IST window, served by 1, 2
or 3 officers from one line. About 40 % try to book a slot in the morning (when the slots are
full they join the live queue instead), the rest walk in from 11:30, when the waiting room
opens (a third before 12:00). A call lasts a lognormal of median 4.5 min (sigma 0.5: mean
5.1 min, p90 8.5 min, at least 1 min; Prayagraj's first day heard 72 calls in the two
hours). A call goes unanswered with probability 0.10 and is skipped after the 2-minute
grace; half of those rejoin 3-15 min later. 3 % are priority citizens (elderly, disability),
1 % urgent ones are called out of turn with a reason, 8 % cancel and 5 % of the bookings
never come. Officers stop calling at 14:00 and finish the call they hold.

The real `hearings.queue.Queue` runs the day, with "now" passed in; the real
`hearings.eta.for_ticket` is shown to each citizen on joining, checking in or rejoining and
every `--every` minutes, and is compared with the moment that citizen was next called. Its
prior is what a deployment keeps from earlier sittings: the calls of another seeded day
(`yesterday`). The reference runs the same citizens (same arrival and check-in times, call
lengths, answers, cancellations) through a first-come first-served line without booking or
priority, whose shown wait is the token-board kind: the people ahead times 5 minutes over
the officers. Medians over `--seeds` seeds.

How a shown wait is judged, the same for both lines: one told "not reached today", or shown
a time past the close (which says as much), is not a time shown: the table gives their share
and how many of them were called after all. A time shown is judged against the next call;
never called though still waiting at the close, its error is at least the time from the
shown call to the close (and the band held it only if it reached the close); a citizen who
gave up first is left out (nobody knows when they would have been called). "floor" is the
error p90 an estimate knowing the exact mean call would still make on the same samples, from
the spread of the calls before each turn alone (sd sqrt(k) * sd / m).

    .venv/bin/python -m bench.bench_hearing_queue                  # 5 seeds, 300 requests
    .venv/bin/python -m bench.bench_hearing_queue --seeds 1 --requests 100   # a quick look
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial

from rich.console import Console
from rich.table import Table

from nigrani.core.errors import Conflict
from nigrani.hearings import eta
from nigrani.hearings.queue import Queue, Rules, State
from nigrani.hearings.windows import Sitting, Window, local_moment, sitting_on

DAY = date(2026, 12, 1)  # a Tuesday
TZ = "Asia/Kolkata"
MIN = 60.0
NAIVE_CALL_S = 5 * MIN  # the token board's "5 minutes a person"
GOAL_S = 5 * MIN  # ETA error p90 for 30 ahead or fewer (issue 18)
NEAR = 30
GRACE = Rules().grace
URGENT = "urgent: a medical emergency"
console = Console(width=max(Console().width, 128))  # the table's width even when piped


@dataclass(frozen=True)
class Params:
    """What a day's citizens are drawn from (the module docstring says why)."""

    requests: int = 300
    booked_share: float = 0.4
    call_median_min: float = 4.5
    call_sigma: float = 0.5
    no_answer: float = 0.10
    rejoin: float = 0.5
    priority: float = 0.03
    urgent: float = 0.01
    cancel: float = 0.08
    never_came: float = 0.05
    early_share: float = 0.3  # walk-ins joining 11:30-12:00


@dataclass(frozen=True)
class Citizen:
    """One request and everything the citizen will do, drawn before either line runs."""

    n: int
    books: bool
    asked_at: datetime  # booking time (bookers) or joining time (walk-ins)
    wanted: int  # the slot a booker asks for
    fallback_at: datetime  # when a booker who found no slot joins live
    check_in_s: float  # a booker's arrival relative to the slot start
    never_comes: bool
    call_s: float
    answer_s: float
    answers: tuple[bool, ...]  # answers the first, second, third call
    rejoin_s: float | None
    cancel: float | None  # when they give up: a share of the time to their slot, or of 5-60 min
    priority: str | None
    urgent: bool


def citizens(rng: random.Random, p: Params, sitting: Sitting) -> list[Citizen]:
    """The day's requests, in no particular order."""

    def at(hour: int, minute: int) -> datetime:
        return local_moment(DAY, time(hour, minute), TZ)

    opens, starts, last = at(11, 30), sitting.starts_at, at(13, 50)
    out = []
    for n in range(p.requests):
        books = rng.random() < p.booked_share
        wanted = rng.randrange(len(sitting.slots))
        if books:
            asked = at(8, 0) + timedelta(seconds=rng.uniform(0, 225 * MIN))
        elif rng.random() < p.early_share:
            asked = opens + (starts - opens) * rng.random()
        else:
            asked = starts + (last - starts) * rng.random()
        slot_at = sitting.slots[wanted].starts_at
        fallback = max(opens, slot_at - timedelta(seconds=rng.uniform(0, 15 * MIN)))
        late = rng.random() < 0.15  # 15 % of bookers come after their slot began
        check_in = rng.uniform(0, 20 * MIN) if late else -rng.uniform(0, 15 * MIN)
        call = p.call_median_min * MIN * math.exp(rng.gauss(0, p.call_sigma))
        cancels = rng.random() < p.cancel
        kind = rng.random()
        out.append(
            Citizen(
                n=n,
                books=books,
                asked_at=asked,
                wanted=wanted,
                fallback_at=fallback,
                check_in_s=check_in,
                never_comes=books and rng.random() < p.never_came,
                call_s=max(call, MIN),
                answer_s=rng.uniform(10, 60),
                answers=tuple(rng.random() >= p.no_answer for _ in range(3)),
                rejoin_s=rng.uniform(3, 15) * MIN if rng.random() < p.rejoin else None,
                cancel=rng.random() if cancels else None,
                priority=("elderly" if kind < 2 / 3 else "disability")
                if rng.random() < p.priority
                else None,
                urgent=rng.random() < p.urgent,
            )
        )
    return out


@dataclass
class Sample:
    """One wait shown to one citizen."""

    n: int
    at: datetime
    ahead: int
    likely_s: float
    low_s: float
    high_s: float
    today: bool = True  # False: told "not reached today" instead of a time
    counted: float = 0.0  # calls the estimate saw before this turn (for the floor)


@dataclass
class Outcome:
    """What one line did with the day."""

    arrived: dict[int, datetime] = field(default_factory=dict)  # first entry into the line
    cancelled: dict[int, datetime] = field(default_factory=dict)
    meant_cancel: dict[int, datetime] = field(default_factory=dict)
    calls: dict[int, list[datetime]] = field(default_factory=dict)
    slot_at: dict[int, datetime] = field(default_factory=dict)  # bookers who got a slot
    served: list[int] = field(default_factory=list)
    no_shows: int = 0
    out_of_turn: list[tuple[int, str]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)


class Day:
    """The event loop both lines share: arrivals, officers ringing, answers, skips, rejoins."""

    def __init__(self, sitting: Sitting, people: Sequence[Citizen], every: timedelta) -> None:
        self.sitting, self.people = sitting, {c.n: c for c in people}
        self.out = Outcome()
        self._heap: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._seq = 0
        self._idle = set(sitting.officers)
        self._rings: dict[int, int] = {}
        opens = sitting.starts_at - timedelta(minutes=30)
        while opens < sitting.ends_at:
            self.at(opens, self._tick)
            opens += every
        for officer in sitting.officers:
            self.at(sitting.starts_at, partial(self._free, officer))

    def at(self, moment: datetime, action: Callable[[datetime], None]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (moment, self._seq, action))

    def run(self) -> Outcome:
        while self._heap:
            moment, _, action = heapq.heappop(self._heap)
            action(moment)
        return self.out

    def entered(self, n: int, now: datetime) -> None:
        """A citizen is now in the line: note it, show a wait, wake an idle officer."""
        self.out.arrived.setdefault(n, now)
        self.show(n, now)
        if now >= self.sitting.starts_at:
            for officer in list(self._idle):
                self.at(now, partial(self._wake, officer))

    def _wake(self, officer: int, now: datetime) -> None:
        if officer in self._idle:  # another wake-up may have found them work already
            self._free(officer, now)

    def _free(self, officer: int, now: datetime) -> None:
        self._idle.add(officer)
        if now >= self.sitting.ends_at:
            return
        n = self.call(officer, now)
        if n is None:
            return
        self._idle.discard(officer)
        self.out.calls.setdefault(n, []).append(now)
        citizen, ring = self.people[n], self._rings.get(n, 0)
        self._rings[n] = ring + 1
        if citizen.answers[ring]:
            self.at(now + timedelta(seconds=citizen.answer_s), lambda t: self.answered(n, t))
            done = now + timedelta(seconds=citizen.answer_s + citizen.call_s)
            self.at(done, lambda t: self._finish(n, officer, t))
        else:
            self.at(now + GRACE, lambda t: self._skip(n, officer, t))

    def _finish(self, n: int, officer: int, now: datetime) -> None:
        self.finished(n, now)
        self.out.served.append(n)
        self._free(officer, now)

    def _skip(self, n: int, officer: int, now: datetime) -> None:
        self.skipped(n, now)
        self.out.no_shows += 1
        wait = self.people[n].rejoin_s
        if wait is not None and self._rings[n] < len(self.people[n].answers):
            self.at(now + timedelta(seconds=wait), lambda t: self._rejoin(n, t))
        self._free(officer, now)

    def _rejoin(self, n: int, now: datetime) -> None:
        if now < self.sitting.ends_at and self.rejoin(n, now):
            self.entered(n, now)

    def _tick(self, now: datetime) -> None:
        for n in self.waiting():
            self.show(n, now)

    def cancel_at(self, n: int, moment: datetime) -> None:
        """The citizen means to give up at `moment` (if still waiting or booked by then)."""
        self.out.meant_cancel[n] = moment

        def go(now: datetime) -> None:
            if self.cancel(n, now):
                self.out.cancelled[n] = now

        self.at(moment, go)

    # -- what each line does its own way ---------------------------------------------------

    def call(self, officer: int, now: datetime) -> int | None:
        raise NotImplementedError

    def answered(self, n: int, now: datetime) -> None:
        raise NotImplementedError

    def finished(self, n: int, now: datetime) -> None:
        raise NotImplementedError

    def skipped(self, n: int, now: datetime) -> None:
        raise NotImplementedError

    def rejoin(self, n: int, now: datetime) -> bool:
        raise NotImplementedError

    def cancel(self, n: int, now: datetime) -> bool:
        raise NotImplementedError

    def waiting(self) -> list[int]:
        raise NotImplementedError

    def show(self, n: int, now: datetime) -> None:
        raise NotImplementedError


class Nigrani(Day):
    """The real queue: bookings, walk-ins, priority, out-of-turn calls, the real ETA."""

    def __init__(
        self, sitting: Sitting, people: Sequence[Citizen], every: timedelta, prior: eta.Prior
    ) -> None:
        super().__init__(sitting, people, every)
        self.queue = Queue(sitting)
        self.ticket: dict[int, int] = {}  # citizen -> ticket id
        self.citizen: dict[int, int] = {}  # ticket id -> citizen
        self._stats: tuple[int, eta.CallStats] | None = None
        self.prior = prior
        for c in people:
            self.at(c.asked_at, partial(self._book if c.books else self._join, c))

    def _book(self, c: Citizen, now: datetime) -> None:
        """The nearest slot to the one asked for that has room; none: come and join live."""
        slots = sorted(range(len(self.sitting.slots)), key=lambda s: (abs(s - c.wanted), s))
        for slot in slots:
            try:
                ticket = self.queue.book(slot, now=now, priority=c.priority)
            except Conflict:
                continue
            self._register(c, ticket.id)
            begins = self.sitting.slots[slot].starts_at
            self.out.slot_at[c.n] = begins
            if c.cancel is not None:
                self.cancel_at(c.n, now + (begins + timedelta(minutes=5) - now) * c.cancel)
            if not c.never_comes:
                opens = self.sitting.starts_at - self.queue.rules.opens_before
                self.at(max(opens, begins + timedelta(seconds=c.check_in_s)), self._arrive(c))
            return
        self.at(max(now, c.fallback_at), lambda t: self._join(c, t))

    def _arrive(self, c: Citizen) -> Callable[[datetime], None]:
        def check_in(now: datetime) -> None:
            # one who comes after the close finds the queue shut, as a real one would
            if self.queue.tickets[self.ticket[c.n]].state == State.BOOKED and (
                now < self.sitting.ends_at
            ):
                self.queue.check_in(self.ticket[c.n], now=now)
                self.entered(c.n, now)

        return check_in

    def _join(self, c: Citizen, now: datetime) -> None:
        if now >= self.sitting.ends_at:
            return
        self._register(c, self.queue.join(now=now, priority=c.priority).id)
        if c.cancel is not None:
            self.cancel_at(c.n, now + timedelta(minutes=5 + 55 * c.cancel))
        self.entered(c.n, now)

    def _register(self, c: Citizen, ticket_id: int) -> None:
        self.ticket[c.n], self.citizen[ticket_id] = ticket_id, c.n

    def call(self, officer: int, now: datetime) -> int | None:
        line = self.queue.waiting()
        urgent = next((t for t in line if self.people[self.citizen[t.id]].urgent), None)
        if urgent is not None:
            called = self.queue.call_out_of_order(officer, urgent.id, reason=URGENT, now=now)
        else:
            head = self.queue.call_next(officer, now=now)
            if head is None:
                return None
            called = head
        return self.citizen[called.id]

    def answered(self, n: int, now: datetime) -> None:
        self.queue.answer(self.ticket[n], now=now)

    def finished(self, n: int, now: datetime) -> None:
        self.queue.finish(self.ticket[n], now=now)

    def skipped(self, n: int, now: datetime) -> None:
        self.queue.skip_no_show(self.ticket[n], now=now)

    def rejoin(self, n: int, now: datetime) -> bool:
        try:
            self.queue.rejoin(self.ticket[n], now=now)
        except Conflict:
            return False
        return True

    def cancel(self, n: int, now: datetime) -> bool:
        ticket = self.queue.tickets[self.ticket[n]]
        if ticket.state not in (State.BOOKED, State.WAITING):
            return False
        self.queue.cancel(ticket.id, now=now)
        return True

    def waiting(self) -> list[int]:
        return [self.citizen[t.id] for t in self.queue.waiting()]

    def show(self, n: int, now: datetime) -> None:
        ticket = self.queue.tickets[self.ticket[n]]
        shown = eta.for_ticket(
            self.queue, ticket.id, now=now, stats=self._day_stats(), prior=self.prior
        )
        ahead = (ticket.place or 1) - 1
        busy = sum(1 for held in self.queue.serving().values() if held is not None)
        counted = shown.ahead + busy - len(self.sitting.officers) + 1
        likely, low, high = (x.total_seconds() for x in (shown.likely, shown.low, shown.high))
        self.out.samples.append(
            Sample(n, now, ahead, likely, low, high, shown.served_today, counted)
        )

    def _day_stats(self) -> eta.CallStats:
        """The day's call statistics, recomputed only when the queue has changed."""
        changes = len(self.queue.events)
        if self._stats is None or self._stats[0] != changes:
            self._stats = (changes, eta.stats_of(self.queue, prior=self.prior))
        return self._stats[1]


class Fcfs(Day):
    """The reference: one first-come line, no booking, no priority; a token-board wait."""

    def __init__(
        self, sitting: Sitting, people: Sequence[Citizen], every: timedelta, same: Outcome
    ) -> None:
        super().__init__(sitting, people, every)
        self.line: deque[int] = deque()
        self.out.slot_at = same.slot_at
        for n, moment in same.arrived.items():
            self.at(moment, partial(self._arrive, n))
        for n, moment in same.meant_cancel.items():
            self.cancel_at(n, moment)

    def _arrive(self, n: int, now: datetime) -> None:
        self.line.append(n)
        self.entered(n, now)

    def call(self, officer: int, now: datetime) -> int | None:  # noqa: ARG002 (the one line)
        return self.line.popleft() if self.line else None

    def answered(self, n: int, now: datetime) -> None:
        pass

    def finished(self, n: int, now: datetime) -> None:
        pass

    def skipped(self, n: int, now: datetime) -> None:
        pass

    def rejoin(self, n: int, now: datetime) -> bool:  # noqa: ARG002 (to the back)
        self.line.append(n)
        return True

    def cancel(self, n: int, now: datetime) -> bool:  # noqa: ARG002 (no log to keep)
        if n not in self.line:
            return False
        self.line.remove(n)
        return True

    def waiting(self) -> list[int]:
        return list(self.line)

    def show(self, n: int, now: datetime) -> None:
        ahead = self.line.index(n)
        start = max((self.sitting.starts_at - now).total_seconds(), 0.0)
        likely = start + ahead * NAIVE_CALL_S / len(self.sitting.officers)
        self.out.samples.append(Sample(n, now, ahead, likely, likely, likely, True, ahead + 1.0))


def sitting_of(officers: int) -> Sitting:
    """Tuesday's 12:00-14:00 IST sitting with `officers` officers on the panel."""
    window = Window(owner_id=1, panel=tuple(range(2, officers + 1)), tz=TZ)
    sitting = sitting_on(window, DAY)
    assert sitting is not None  # a Tuesday, no holiday
    return sitting


def yesterday(seed: int, params: Params, sitting: Sitting) -> eta.Prior:
    """The prior a deployment would have kept from earlier sittings: the calls of another
    seeded day of the same kind (what an officer is held per answered call, the share
    unanswered, the share of calls that come back, and the urgent ones an hour); the
    rest is `eta.Prior`'s."""
    people = citizens(random.Random(seed + 10_000), params, sitting)
    held = [c.answer_s + c.call_s for c in people if c.answers[0]]
    back = [c for c in people if not c.answers[0] and c.rejoin_s is not None]
    urgent = [c for c in people if c.urgent]  # called out of turn from 11:30 on, in effect
    return eta.Prior(
        mean=timedelta(seconds=statistics.fmean(held)),
        sd=timedelta(seconds=statistics.stdev(held)),
        no_show_rate=1 - len(held) / len(people),
        rejoin_per_call=len(back) / len(people),
        out_of_turn_per_hour=len(urgent) / 2.5,
    )


def simulate(
    seed: int,
    officers: int,
    params: Params | None = None,
    every: timedelta = 5 * timedelta(minutes=1),
) -> tuple[Nigrani, Fcfs]:
    """One day through the real queue, then the same citizens through the reference."""
    sitting = sitting_of(officers)
    params = params or Params()
    people = citizens(random.Random(seed), params, sitting)
    real = Nigrani(sitting, people, every, yesterday(seed, params, sitting))
    real.run()
    reference = Fcfs(sitting, people, every, real.out)
    reference.run()
    return real, reference


def _p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def figures(day: Day, requests: int, call_sd_s: float) -> dict[str, float]:
    """One line's day in numbers: waits (min), served, no-shows, the shown waits' errors."""
    out, starts, ends = day.out, day.sitting.starts_at, day.sitting.ends_at
    first = {n: calls[0] for n, calls in out.calls.items()}
    waits = [(at - max(out.arrived[n], starts)).total_seconds() / MIN for n, at in first.items()]
    late = [
        (at - out.slot_at[n]).total_seconds() / MIN for n, at in first.items() if n in out.slot_at
    ]
    # a time shown past the close says "not today" as plainly as the words
    told = [s for s in out.samples if s.today and s.at + timedelta(seconds=s.likely_s) < ends]
    told_not = [s for s in out.samples if s not in told]
    judged = [j for j in (_judge(day, s) for s in told) if j is not None]
    near = [j for j in judged if j.ahead <= NEAR]
    return {
        "wait": statistics.fmean(waits) if waits else math.nan,
        "wait90": _p90(waits),
        "served": len(out.served) / requests,
        "no_shows": out.no_shows,
        "late90": _p90(late),
        "eta90": _p90([j.error_min for j in judged]),
        "near90": _p90([j.error_min for j in near]),
        "floor90": _floor90(near, call_sd_s, len(day.sitting.officers)),
        "inside": _share([j.inside for j in near]),
        "uncalled": _share([not j.called for j in near]),
        "told_not": len(told_not) / len(out.samples) if out.samples else 0.0,
        "wrong_not": _share([any(c >= s.at for c in out.calls.get(s.n, [])) for s in told_not]),
        "samples": len(near),
    }


@dataclass(frozen=True)
class Judged:
    """A shown time next to what happened."""

    ahead: int
    counted: float
    error_min: float
    inside: bool
    called: bool


def _judge(day: Day, sample: Sample) -> Judged | None:
    """A shown wait against the citizen's next call. Never called, though still in the line
    at the close: the error is at least the time from the shown call to the close (and the
    band held it only if it reached past the close). Gave up first: None (nobody knows when
    they would have been called)."""
    out = day.out
    call = next((c for c in out.calls.get(sample.n, []) if c >= sample.at), None)
    if call is None and out.cancelled.get(sample.n, day.sitting.ends_at) < day.sitting.ends_at:
        return None
    actual = ((call or day.sitting.ends_at) - sample.at).total_seconds()
    error = abs(actual - sample.likely_s) if call else max(actual - sample.likely_s, 0.0)
    inside = sample.low_s <= actual <= sample.high_s if call else sample.high_s >= actual
    return Judged(sample.ahead, sample.counted, error / MIN, inside, call is not None)


def _share(flags: Sequence[bool]) -> float:
    return statistics.fmean(flags) if flags else 0.0


def _floor90(samples: Sequence[Judged], call_sd_s: float, officers: int) -> float:
    """The ETA error p90 an estimate knowing the exact mean call would still make, from the
    spread of the calls before each turn alone (sd sqrt(k) * sd / m), by a seeded draw."""
    rng = random.Random(0)
    draws = [
        abs(rng.gauss(0, math.sqrt(max(s.counted, 1.0)) * call_sd_s / officers)) / MIN
        for s in samples
    ]
    return _p90(draws)


def call_sd(people: Sequence[Citizen]) -> float:
    """The spread of what one call holds an officer (ring to end, or the grace of a no-show)."""
    held = [c.answer_s + c.call_s if c.answers[0] else GRACE.total_seconds() for c in people]
    return statistics.stdev(held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5, help="days simulated per officer count")
    parser.add_argument("--seed", type=int, default=18, help="the first seed")
    parser.add_argument("--every", type=float, default=5.0, help="minutes between shown waits")
    parser.add_argument("--median", type=float, default=4.5, help="a call's median, minutes")
    args = parser.parse_args()
    params = Params(requests=args.requests, call_median_min=args.median)
    every = timedelta(minutes=args.every)
    table = Table(
        title=f"One 12:00-14:00 IST window, {args.requests} requests, median of {args.seeds} seeds"
    )
    for column in (
        "officers",
        "line",
        "wait mean",
        "wait p90",
        "served",
        "booked: p90 past slot",
        "told not today",
        "… yet called",
        "ETA err p90",
        f"ETA err p90, ≤{NEAR} ahead",
        "floor ≤30",
        "in band ≤30",
        "shown, never called ≤30",
        "samples ≤30",
    ):
        table.add_column(column, justify="right")
    verdicts = []
    for officers in (1, 2, 3):
        runs = [simulate(args.seed + i, officers, params, every) for i in range(args.seeds)]
        for name, index in (("FCFS reference", 1), ("Nigrani queue", 0)):
            rows = [
                figures(run[index], args.requests, call_sd(list(run[0].people.values())))
                for run in runs
            ]
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            table.add_row(
                str(officers),
                name,
                f"{med['wait']:.0f} min",
                f"{med['wait90']:.0f} min",
                f"{med['served']:.0%}",
                f"{med['late90']:.0f} min",
                f"{med['told_not']:.0%}",
                f"{med['wrong_not']:.1%}",
                f"{med['eta90']:.1f} min",
                f"{med['near90']:.1f} min",
                f"{med['floor90']:.1f} min",
                "—" if index else f"{med['inside']:.0%}",
                f"{med['uncalled']:.0%}",
                f"{med['samples']:.0f}",
            )
            if index == 0:
                verdicts.append((officers, med["near90"], med["floor90"]))
        table.add_section()
    console.print(table)
    for officers, near, floor in verdicts:
        met = "met" if near * MIN <= GOAL_S else "MISSED"
        console.print(
            f"{officers} officer(s): ETA error p90 ≤{NEAR} ahead {near:.1f} min"
            f" (call lengths alone: {floor:.1f}), goal ≤ 5 min: {met}"
        )


if __name__ == "__main__":
    main()
