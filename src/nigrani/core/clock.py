"""The one source of "now": the system clock, or the clock a test (or a replay) injects.

Every "now" in the product comes from `now()` (also reached as `core.db.utcnow()`), which
reads the clock bound to the current context. The app binds its own `app.state.clock` for
each request and for its scheduler thread; a test sets `app.state.clock = FixedClock(...)`
(or overrides the `get_clock` dependency) and every route, service and stamp it reaches
then agrees on the same time. Outside a request, `use(clock)` binds one for a block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token, copy_context
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    """Tells the time, aware, in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is moved (tests, replays)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a FixedClock needs an aware time")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        """The time it was set to."""
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on (or back) and return the new time."""
        self.at += delta
        return self.at


SYSTEM = SystemClock()
_current: ContextVar[Clock] = ContextVar("nigrani_clock", default=SYSTEM)


def now() -> datetime:
    """The current time, aware, in UTC, from the clock bound to this context."""
    return _current.get().now()


def current() -> Clock:
    """The clock bound to this context."""
    return _current.get()


def bind(clock: Clock) -> Token[Clock]:
    """Bind `clock` for the rest of this context (one request's task); `unbind` undoes it."""
    return _current.set(clock)


def unbind(token: Token[Clock]) -> None:
    """Undo one `bind`."""
    _current.reset(token)


@contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Bind `clock` for the block (and for threads started with `run_with` inside it)."""
    token = bind(clock)
    try:
        yield clock
    finally:
        unbind(token)


def run_with(clock: Clock, fn: Callable[[], T]) -> T:
    """Call `fn` with `clock` bound, in a copy of the context (a thread's target)."""

    def bound() -> T:
        _current.set(clock)
        return fn()

    return copy_context().run(bound)
