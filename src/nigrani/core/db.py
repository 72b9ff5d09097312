"""Database engine, sessions and the declarative base shared by every feature."""

from __future__ import annotations

import re
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from nigrani.core import clock
from nigrani.core.errors import Busy
from nigrani.core.i18n import gettext

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention Alembic can diff."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite returns them aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Any,  # noqa: ARG002 - SQLAlchemy's TypeDecorator signature
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Any,  # noqa: ARG002 - SQLAlchemy's TypeDecorator signature
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC, from the injectable clock (`core.clock`)."""
    return clock.now()


# The largest id a column holds: PostgreSQL's integer, the type of every id column but
# recorded segments', which are bigint (SQLite's integer is 64-bit).
MAX_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
BUSY_TIMEOUT_S = 10.0
RETRY_AFTER_S = 5
_WRITE = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|SAVEPOINT|REINDEX|VACUUM|ANALYZE)\b",
    re.IGNORECASE,
)
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b")  # inside a WITH
# Whether transactions begun now on SQLite read first (GET and HEAD requests, long work):
# see `_serialise_writers`.
_reads_first: ContextVar[bool] = ContextVar("nigrani_reads_first", default=False)
_upgraders: weakref.WeakKeyDictionary[Engine, Callable[[Connection], None]] = (
    weakref.WeakKeyDictionary()
)


@contextmanager
def reads_first() -> Iterator[None]:
    """Transactions begun inside take SQLite's writer lock only at their first write."""
    token = _reads_first.set(True)
    try:
        yield
    finally:
        _reads_first.reset(token)


class FairLock:
    """A lock granted in arrival order, which may be released by another thread."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the lock; False if it did not come."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True
        with self._mutex:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        return True  # handed over just as the wait ran out: ours now

    def release(self) -> None:
        """Hand the lock to the longest waiter, or free it."""
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # still held, by the next in line
            else:
                self._held = False


_fair_locks: dict[tuple[str, str], FairLock] = {}
_fair_locks_guard = threading.Lock()


def fair_lock(url: str, purpose: str) -> FairLock:
    """The process-wide lock for one purpose on one database, shared by its engines."""
    with _fair_locks_guard:
        return _fair_locks.setdefault((url, purpose), FairLock())


def writer_lock(url: str) -> FairLock:
    """The process-wide lock of one SQLite database (one per file, shared by its engines)."""
    return fair_lock(url, "writer")


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINTs work (SQLAlchemy docs).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        # A connection per worker thread (anyio's 40): writers hold theirs while they queue
        # for the lock, and one over the pool's size would be closed and reopened each time.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            pool_size=40,
            max_overflow=10,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _serialise_writers(engine, writer_lock(str(engine.url)))
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _writes(statement: str) -> bool:
    """Whether a statement writes (or opens a savepoint, which a rollback would lose)."""
    if _WRITE.match(statement):
        return True
    return statement.lstrip()[:4].upper() == "WITH" and _DML.search(statement) is not None


def _busy() -> Busy:
    return Busy(
        gettext("The database is busy. Wait a few seconds and try again."),
        retry_after=RETRY_AFTER_S,
    )


def _serialise_writers(engine: Engine, lock: FairLock) -> None:
    # A writing transaction begins IMMEDIATE: it takes SQLite's write lock up front, so a
    # read-then-write transaction never fails with SQLITE_BUSY mid-way. This process's
    # writers first queue, in arrival order, on a lock of their own; SQLite's busy handler
    # (naps of up to 100 ms, newcomers served first) then only arbitrates between processes.
    # The lock is released after the DBAPI COMMIT or ROLLBACK itself, so the next in line
    # never finds the file still locked; the driver's own commit() afterwards has nothing
    # left to do. A transaction begun under `reads_first()` (GET and HEAD requests) begins
    # DEFERRED and takes no lock: WAL readers see a snapshot and never wait. At its first
    # write (or FOR UPDATE, or SAVEPOINT) it queues for the lock and begins again,
    # IMMEDIATE: an old snapshot could not write (SQLITE_BUSY_SNAPSHOT, which no busy
    # handler waits out), and nothing written is lost, since nothing was. What it read
    # before may be older than what it writes, as under PostgreSQL's READ COMMITTED.
    # Connections are keyed by their Connection's id, not the Connection, so a connection
    # nobody closed can still be collected.
    holders: dict[int, DBAPIConnection | None] = {}
    readers: dict[int, DBAPIConnection | None] = {}

    def take() -> None:
        if not lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise _busy()

    def begin(conn: Connection) -> None:
        if _reads_first.get():
            conn.exec_driver_sql("BEGIN")
            readers[id(conn)] = conn.connection.dbapi_connection
            return
        take()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            lock.release()
            raise
        holders[id(conn)] = conn.connection.dbapi_connection

    def upgrade(conn: Connection) -> None:
        key = id(conn)
        if key not in readers:
            return
        take()
        raw = readers.pop(key)
        try:
            raw.execute("ROLLBACK")  # type: ignore[union-attr]
            try:
                raw.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            except BaseException:
                raw.execute("BEGIN")  # type: ignore[union-attr]  # still in a transaction
                raise
        except BaseException:
            readers[key] = raw
            lock.release()
            raise
        holders[key] = raw

    def before_execute(conn: Connection, clause: object, *_args: object) -> None:
        if id(conn) in readers and getattr(clause, "_for_update_arg", None) is not None:
            upgrade(conn)  # SQLite ignores FOR UPDATE: the writer lock stands for the row lock

    def before_cursor(conn: Connection, _cursor: object, statement: str, *_a: object) -> None:
        if id(conn) in readers and _writes(statement):
            upgrade(conn)

    def release(key: int) -> None:
        readers.pop(key, None)
        if key in holders:
            del holders[key]
            lock.release()

    def commit(conn: Connection) -> None:
        conn.connection.dbapi_connection.commit()  # type: ignore[union-attr]
        release(id(conn))  # a failed COMMIT keeps the lock until the ROLLBACK that follows

    def rollback(conn: Connection) -> None:
        try:
            if not conn.invalidated:
                conn.connection.dbapi_connection.rollback()  # type: ignore[union-attr]
        finally:
            release(id(conn))

    def checkin(dbapi_conn: DBAPIConnection | None, _record: ConnectionPoolEntry) -> None:
        # A connection given back without a ROLLBACK event (a session nobody closed, found
        # by the garbage collector): the pool has rolled it back, so free the lock too.
        for key, held in [*holders.items(), *readers.items()]:
            if held is dbapi_conn:
                release(key)

    _upgraders[engine] = upgrade
    event.listen(engine, "begin", begin)
    event.listen(engine, "before_execute", before_execute)
    event.listen(engine, "before_cursor_execute", before_cursor)
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    event.listen(engine.pool, "checkin", checkin)


def write_now(session: Session) -> None:
    """Make the session's transaction a writer now (SQLite), before a read a write depends on.

    A no-op on PostgreSQL and for a transaction that already writes."""
    conn = session.connection()
    if upgrade := _upgraders.get(conn.engine):
        upgrade(conn)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory that keeps objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
