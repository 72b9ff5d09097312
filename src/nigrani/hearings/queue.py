"""The live queue of one sitting: booked slots and walk-ins in one line, several officers
drawing from it strictly in order, a bounded priority, no-shows skipped and able to rejoin.

One ordering principle: every ticket is *due* at a slot. A booked citizen chose theirs in
advance; a walk-in gets the earliest slot with room left when joining (or, when today's slots
are full, a standby place after them). The line is sorted by `due`, first come first within
a due time, so a walk-in backlog never pushes a booking back, and a booked citizen who checks
in more than `late_after` past the slot is given the next free slot instead. Priority
(`Rules.priority_jump`): on entering the line a priority citizen goes ahead of at most K
waiting citizens, never ahead of another priority citizen, and never ahead of anyone already
passed `max_passed` times (docs/decisions.md). `call_next` takes the head of the line;
`call_out_of_order` takes anyone else only with a reason, logged with whom it passed. A
called citizen who has not answered after `grace` is skipped as a no-show and may rejoin
(at most `max_rejoins` times) `rejoin_behind` places behind the head: they lose their turn,
not their day.

Deterministic and pure: "now" is an argument (the caller reads `nigrani.core.clock`), and
`events` is the log of every change. Tables later:
- `hearing_ticket` (one row per `Ticket`): window_id + day (the sitting), kind, state,
  citizen_id, priority, slot, standby, due, place (the 1-based order of a waiting ticket,
  NULL otherwise; rewritten for the rows whose place changed), passed, jumped, rejoins,
  joined_at, checked_in_at, called_at, answered_at, ended_at, officer_id.
- `hearing_queue_event` (one row per `Event`, and an audit row for out-of-order calls):
  ticket_id, kind, officer_id, at, reason, passed (the ticket ids passed, JSON).
`Queue.restore` rebuilds the queue from those rows; every change is then applied to it and
the changed tickets written back, under a row lock on the sitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.hearings.windows import Sitting, Slot

DEFAULT_PRIORITY = MappingProxyType({"elderly": 10, "disability": 10})


class Kind(StrEnum):
    BOOKED = "booked"
    WALK_IN = "walk_in"


class State(StrEnum):
    BOOKED = "booked"  # a slot is held; not yet in the line
    WAITING = "waiting"
    CALLED = "called"  # an officer rang; the citizen has `grace` to answer
    IN_CALL = "in_call"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE = (State.CALLED, State.IN_CALL)


@dataclass(frozen=True)
class Rules:
    """How a sitting's line behaves (per deployment; the defaults are the tested ones)."""

    # class -> places it may jump
    priority_jump: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITY))
    max_passed: int = 3  # times one citizen may be passed by priority citizens
    grace: timedelta = timedelta(minutes=2)
    late_after: timedelta = timedelta(minutes=10)
    rejoin_behind: int = 3
    max_rejoins: int = 2
    opens_before: timedelta = timedelta(minutes=30)


@dataclass
class Ticket:
    """One citizen's place for one sitting."""

    id: int
    kind: Kind
    state: State
    joined_at: datetime
    due: datetime  # the moment the line orders it by
    slot: int | None
    priority: str | None = None
    standby: bool = False
    place: int | None = None
    passed: int = 0
    jumped: int = 0
    rejoins: int = 0
    checked_in_at: datetime | None = None
    called_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    officer_id: int | None = None


@dataclass(frozen=True)
class Event:
    """One change to the queue, as logged."""

    at: datetime
    kind: str
    ticket_id: int
    officer_id: int | None = None
    reason: str = ""
    passed: tuple[int, ...] = field(default=())


class Queue:
    """The line of one sitting, with the officers serving it."""

    def __init__(self, sitting: Sitting, rules: Rules | None = None) -> None:
        self.sitting = sitting
        self.rules = rules or Rules()
        self.tickets: dict[int, Ticket] = {}
        self.events: list[Event] = []
        self._line: list[int] = []
        self._taken = [0] * len(sitting.slots)

    @classmethod
    def restore(
        cls, sitting: Sitting, tickets: Iterable[Ticket], rules: Rules | None = None
    ) -> Queue:
        """A queue rebuilt from stored tickets (waiting ones in their stored places)."""
        queue = cls(sitting, rules)
        for ticket in tickets:
            queue.tickets[ticket.id] = ticket
            if ticket.slot is not None and ticket.state != State.CANCELLED:
                queue._taken[ticket.slot] += 1
        waiting = [t for t in queue.tickets.values() if t.state == State.WAITING]
        queue._line = [t.id for t in sorted(waiting, key=lambda t: (t.place or 0, t.id))]
        queue._renumber()
        return queue

    # -- joining -------------------------------------------------------------------------

    def book(self, slot: int, *, now: datetime, priority: str | None = None) -> Ticket:
        """Hold a place in a slot that has not started and has room."""
        self._check_priority(priority)
        chosen = self._slot(slot)
        if now >= chosen.starts_at:
            raise Conflict(_("This slot has already begun; join the live queue."))
        if self._taken[slot] >= chosen.capacity:
            raise Conflict(_("This slot is full; choose another."))
        ticket = self._new(Kind.BOOKED, State.BOOKED, now, chosen.starts_at, slot, priority)
        self._log(now, "booked", ticket)
        return ticket

    def join(self, *, now: datetime, priority: str | None = None) -> Ticket:
        """A walk-in joins today's line at the earliest slot with room (else standby)."""
        self._check_priority(priority)
        self._check_open(now)
        ticket = self._new(Kind.WALK_IN, State.WAITING, now, now, None, priority)
        ticket.checked_in_at = now
        self._assign_free_slot(ticket, now)
        passed = self._enter(ticket)
        self._log(now, "joined", ticket, passed=passed)
        return ticket

    def check_in(self, ticket_id: int, *, now: datetime) -> Ticket:
        """A booked citizen arrives in the waiting room; late past `late_after`: next free slot."""
        ticket = self._get(ticket_id, State.BOOKED)
        self._check_open(now)
        assert ticket.slot is not None  # a booked ticket always holds a slot
        if now > self.sitting.slots[ticket.slot].starts_at + self.rules.late_after:
            self._taken[ticket.slot] -= 1
            self._assign_free_slot(ticket, now)
        ticket.state, ticket.checked_in_at = State.WAITING, now
        passed = self._enter(ticket)
        self._log(now, "checked_in", ticket, passed=passed)
        return ticket

    def rejoin(self, ticket_id: int, *, now: datetime) -> Ticket:
        """A skipped no-show comes back: `rejoin_behind` places behind the head of the line."""
        ticket = self._get(ticket_id, State.NO_SHOW)
        if ticket.rejoins >= self.rules.max_rejoins:
            raise Conflict(_("You have missed your call too often today; book another day."))
        if now >= self.sitting.ends_at:
            raise Conflict(_("Today's hearing is over; book another day."))
        index = min(self.rules.rejoin_behind, len(self._line))
        # due as the one it goes behind keeps the line sorted by due
        ticket.due = (
            self.tickets[self._line[index - 1]].due
            if index
            else min(ticket.due, self._head_due(now))
        )
        ticket.state, ticket.rejoins, ticket.officer_id = State.WAITING, ticket.rejoins + 1, None
        ticket.called_at = None
        self._line.insert(index, ticket.id)
        self._renumber()
        self._log(now, "rejoined", ticket)
        return ticket

    def cancel(self, ticket_id: int, *, now: datetime) -> Ticket:
        """The citizen gives up their place (booked, waiting or skipped); the slot frees."""
        ticket = self._get(ticket_id, State.BOOKED, State.WAITING, State.NO_SHOW)
        if ticket.state == State.WAITING:
            self._line.remove(ticket.id)
            self._renumber()
        if ticket.slot is not None and ticket.state != State.NO_SHOW:
            self._taken[ticket.slot] -= 1
        ticket.state, ticket.place = State.CANCELLED, None
        self._log(now, "cancelled", ticket)
        return ticket

    # -- serving -------------------------------------------------------------------------

    def call_next(self, officer_id: int, *, now: datetime) -> Ticket | None:
        """The officer calls the head of the line (None when nobody waits)."""
        self._check_free(officer_id)
        if not self._line:
            return None
        return self._call(self.tickets[self._line[0]], officer_id, now, "called", "")

    def call_out_of_order(
        self, officer_id: int, ticket_id: int, *, reason: str, now: datetime
    ) -> Ticket:
        """The officer calls someone not at the head: only with a reason, logged with whom
        it passed."""
        self._check_free(officer_id)
        ticket = self._get(ticket_id, State.WAITING)
        if not reason.strip():
            raise ValidationFailed(_("Say why this citizen is called out of turn."), field="reason")
        if self._line[0] == ticket.id:
            return self._call(ticket, officer_id, now, "called", "")
        return self._call(ticket, officer_id, now, "called_out_of_order", reason.strip())

    def answer(self, ticket_id: int, *, now: datetime) -> Ticket:
        """The called citizen is admitted: the call begins."""
        ticket = self._get(ticket_id, State.CALLED)
        ticket.state, ticket.answered_at = State.IN_CALL, now
        self._log(now, "answered", ticket, officer=ticket.officer_id)
        return ticket

    def finish(self, ticket_id: int, *, now: datetime) -> Ticket:
        """The call ends (or, never answered on video, was held by phone): the officer is free."""
        ticket = self._get(ticket_id, *ACTIVE)
        ticket.answered_at = ticket.answered_at or ticket.called_at
        ticket.state, ticket.ended_at = State.DONE, now
        self._log(now, "finished", ticket, officer=ticket.officer_id)
        return ticket

    def skip_no_show(self, ticket_id: int, *, now: datetime) -> Ticket:
        """A called citizen who has not answered within the grace period is skipped."""
        ticket = self._get(ticket_id, State.CALLED)
        assert ticket.called_at is not None  # set by every call
        if now < ticket.called_at + self.rules.grace:
            raise Conflict(_("Give the citizen the full grace period to answer."))
        ticket.state, ticket.ended_at = State.NO_SHOW, now
        self._log(now, "no_show", ticket, officer=ticket.officer_id)
        return ticket

    # -- reading -------------------------------------------------------------------------

    def waiting(self) -> list[Ticket]:
        """The line, head first."""
        return [self.tickets[i] for i in self._line]

    def position(self, ticket_id: int) -> int | None:
        """A waiting ticket's 1-based place in the line; None when it is not waiting."""
        return self._get(ticket_id).place

    def booked_ahead(self, ticket_id: int, *, now: datetime) -> int:
        """Booked citizens not yet arrived who will enter ahead of this ticket if they come
        on time (the wait counts them, weighted by the show rate)."""
        ticket = self._get(ticket_id)
        return sum(
            1
            for other in self.tickets.values()
            if other.state == State.BOOKED
            and other.due < ticket.due
            and now <= other.due + self.rules.late_after
        )

    def serving(self) -> dict[int, Ticket | None]:
        """Each officer sitting, with the ticket they hold (None when free)."""
        held = {t.officer_id: t for t in self.tickets.values() if t.state in ACTIVE}
        return {officer: held.get(officer) for officer in self.sitting.officers}

    def finished(self) -> list[Ticket]:
        """The calls held so far, in the order they ended."""
        done = [t for t in self.tickets.values() if t.state == State.DONE]
        return sorted(done, key=lambda t: (t.ended_at or t.joined_at, t.id))

    def no_shows(self) -> int:
        """How many calls went unanswered today (a rejoined citizen's counts too)."""
        return sum(1 for e in self.events if e.kind == "no_show")

    # -- inside --------------------------------------------------------------------------

    def _new(
        self,
        kind: Kind,
        state: State,
        now: datetime,
        due: datetime,
        slot: int | None,
        priority: str | None,
    ) -> Ticket:
        ticket = Ticket(len(self.tickets) + 1, kind, state, now, due, slot, priority)
        self.tickets[ticket.id] = ticket
        if slot is not None:
            self._taken[slot] += 1
        return ticket

    def _assign_free_slot(self, ticket: Ticket, now: datetime) -> None:
        free = next(
            (
                s
                for s in self.sitting.slots
                if s.ends_at > now and self._taken[s.index] < s.capacity
            ),
            None,
        )
        ticket.slot, ticket.standby = (free.index, False) if free else (None, True)
        ticket.due = max(now, free.starts_at) if free else max(now, self.sitting.ends_at)
        if free:
            self._taken[free.index] += 1

    def _enter(self, ticket: Ticket) -> tuple[int, ...]:
        """Put a ticket in the line by its due time, then let priority move it up."""
        index = len(self._line)
        while index and self.tickets[self._line[index - 1]].due > ticket.due:
            index -= 1
        jump = self.rules.priority_jump.get(ticket.priority, 0) if ticket.priority else 0
        passed: list[Ticket] = []
        while index and len(passed) < jump:
            ahead = self.tickets[self._line[index - 1]]
            if ahead.priority or ahead.passed >= self.rules.max_passed:
                break
            passed.append(ahead)
            index -= 1
        for other in passed:
            other.passed += 1
        if passed:  # keeps the line sorted by due: it is due when the first it passed is
            ticket.due = passed[-1].due
        ticket.jumped = len(passed)
        self._line.insert(index, ticket.id)
        self._renumber()
        return tuple(t.id for t in reversed(passed))

    def _call(
        self, ticket: Ticket, officer_id: int, now: datetime, kind: str, reason: str
    ) -> Ticket:
        index = self._line.index(ticket.id)
        passed = tuple(self._line[:index])
        self._line.pop(index)
        self._renumber()
        ticket.state, ticket.called_at, ticket.officer_id = State.CALLED, now, officer_id
        self._log(now, kind, ticket, officer=officer_id, reason=reason, passed=passed)
        return ticket

    def _renumber(self) -> None:
        for place, ticket_id in enumerate(self._line, start=1):
            self.tickets[ticket_id].place = place
        for ticket in self.tickets.values():
            if ticket.state != State.WAITING:
                ticket.place = None

    def _head_due(self, now: datetime) -> datetime:
        return self.tickets[self._line[0]].due if self._line else now

    def _log(
        self,
        now: datetime,
        kind: str,
        ticket: Ticket,
        *,
        officer: int | None = None,
        reason: str = "",
        passed: tuple[int, ...] = (),
    ) -> None:
        self.events.append(Event(now, kind, ticket.id, officer, reason, passed))

    def _get(self, ticket_id: int, *states: State) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound(_("No such place in today's queue."))
        if states and ticket.state not in states:
            raise Conflict(_("This place in the queue cannot do that now."))
        return ticket

    def _slot(self, index: int) -> Slot:
        if not 0 <= index < len(self._taken):
            raise NotFound(_("No such slot in this hearing."))
        return self.sitting.slots[index]

    def _check_priority(self, priority: str | None) -> None:
        if priority is not None and priority not in self.rules.priority_jump:
            raise ValidationFailed(_("Choose a priority from the list."), field="priority")

    def _check_open(self, now: datetime) -> None:
        opens = self.sitting.starts_at - self.rules.opens_before
        if not opens <= now < self.sitting.ends_at:
            raise Conflict(_("Today's hearing queue is not open now."))

    def _check_free(self, officer_id: int) -> None:
        if officer_id not in self.sitting.officers:
            raise Conflict(_("You are not serving this hearing today."))
        if self.serving()[officer_id] is not None:
            raise Conflict(_("Finish your current call first."))
