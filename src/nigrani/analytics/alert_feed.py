"""The live alert feed: which analytics events were made or changed, told to the pages that
stream them, across API processes.

On PostgreSQL the change is a NOTIFY sent in the transaction that makes it (so it is told
only once committed, and to every API process), and each stream LISTENs on a connection of
its own. On SQLite (one process) an in-process broker per engine stands for it, told after
the commit. Either way a stream is woken and loads what it may show itself.

Every change is numbered: just before its transaction commits, each event it changed gets
the next number of one counter row (AnalyticsEvent.change_seq). The counter's row lock is
held until the commit, so a number is committed before the next one is drawn: a reader that
sees number N sees every change numbered below it. A stream (and a page that reconnects
with the last number it got) therefore asks for the changes after a number and skips none,
however the transactions of several API processes interleave; the lock is taken last, so it
waits on no other lock (no deadlock), and it is held only for the commit."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import psycopg
from sqlalchemy import Engine, event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nigrani.analytics.models import AnalyticsChangeCounter, AnalyticsEvent

CHANNEL = "nigrani_analytics_events"
_PENDING = "analytics_feed_pending"
_LISTENING = "analytics_feed_listening"


class Subscription(Protocol):
    async def wait(self, timeout_s: float) -> list[int]:
        """The ids told since the last call, waiting up to timeout_s for the first."""
        ...


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def announce(session: Session, *, event_id: int) -> None:
    """Number the event's change when this session's transaction commits, and tell the
    streams once it has."""
    if not session.info.get(_LISTENING):
        # Once per session (a listener may not be removed while its event runs).
        session.info[_LISTENING] = True
        event.listen(session, "before_commit", _numbered)
        event.listen(session, "after_commit", _told)
        event.listen(session, "after_soft_rollback", _forgotten)
    session.info.setdefault(_PENDING, set()).add(event_id)


def _numbered(session: Session) -> None:
    ids: set[int] = session.info.get(_PENDING, set())
    if not ids:
        return
    last = draw_numbers(session, count=len(ids))
    for number, event_id in enumerate(sorted(ids), start=last - len(ids) + 1):
        session.execute(
            update(AnalyticsEvent)
            .where(AnalyticsEvent.id == event_id)
            .values(change_seq=number)
            .execution_options(synchronize_session=False)
        )
    if session.get_bind().dialect.name == "postgresql":
        for event_id in sorted(ids):
            session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": str(event_id)})


def draw_numbers(session: Session, *, count: int) -> int:
    """Take `count` change numbers from the counter (row-locked until the commit); the last
    of them is returned."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = AnalyticsChangeCounter.__table__
    stmt = (
        insert(AnalyticsChangeCounter)
        .values(id=1, last=count)
        .on_conflict_do_update(index_elements=["id"], set_={"last": table.c.last + count})
        .returning(AnalyticsChangeCounter.last)
    )
    last: int = session.execute(stmt).scalar_one()
    return last


def last_number(session: Session) -> int:
    """The number of the latest change committed (0 before any)."""
    found = session.get(AnalyticsChangeCounter, 1, populate_existing=True)
    return found.last if found else 0


def _told(session: Session) -> None:
    ids: set[int] = session.info.pop(_PENDING, set())
    if ids and session.get_bind().dialect.name != "postgresql":
        broker_for(_engine_of(session)).publish(sorted(ids))


def _forgotten(session: Session, previous: object) -> None:
    del previous
    session.info.pop(_PENDING, None)


class _Local:
    """One stream's queue on the in-process broker, fed from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[int] = asyncio.Queue()

    def put(self, ids: list[int]) -> None:
        for event_id in ids:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event_id)

    async def wait(self, timeout_s: float) -> list[int]:
        try:
            first = await asyncio.wait_for(self.queue.get(), timeout_s)
        except TimeoutError:
            return []
        found = [first]
        while not self.queue.empty():
            found.append(self.queue.get_nowait())
        return found


class Broker:
    """The streams of one engine in this process (SQLite: the only process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[_Local] = set()

    def publish(self, ids: list[int]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            if not subscriber.loop.is_closed():
                subscriber.put(ids)

    def add(self, subscriber: _Local) -> None:
        with self._lock:
            self._subscribers.add(subscriber)

    def remove(self, subscriber: _Local) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def count(self) -> int:
        """How many streams listen now."""
        with self._lock:
            return len(self._subscribers)


_brokers: weakref.WeakKeyDictionary[Engine, Broker] = weakref.WeakKeyDictionary()
_brokers_lock = threading.Lock()


def broker_for(engine: Engine) -> Broker:
    """The in-process broker of an engine (made on first use)."""
    with _brokers_lock:
        found = _brokers.get(engine)
        if found is None:
            found = _brokers[engine] = Broker()
        return found


class _Listener:
    """A dedicated PostgreSQL connection LISTENing on the channel."""

    def __init__(self, conn: psycopg.AsyncConnection[object]) -> None:
        self.conn = conn

    async def wait(self, timeout_s: float) -> list[int]:
        # stop_after=1 ends the wait at the first notice (those of the same packet with it);
        # any later ones are there for the next wait at once.
        notices = self.conn.notifies(timeout=timeout_s, stop_after=1)
        return [int(n.payload) async for n in notices if n.payload.isdigit()]


def _libpq_url(engine: Engine) -> str:
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@asynccontextmanager
async def subscribe(engine: Engine) -> AsyncIterator[Subscription]:
    """Receive the ids of events made or changed from now on, until the block ends."""
    if engine.dialect.name == "postgresql":
        conn = await psycopg.AsyncConnection.connect(_libpq_url(engine), autocommit=True)
        try:
            await conn.execute(f"LISTEN {CHANNEL}")
            yield _Listener(conn)
        finally:
            await conn.close()
        return
    local = _Local(asyncio.get_running_loop())
    broker = broker_for(engine)
    broker.add(local)
    try:
        yield local
    finally:
        broker.remove(local)
