"""SQLite's writers queue in the process, first come first served, on one lock per file;
readers (GET and HEAD requests) take it only at their first write."""

from __future__ import annotations

import gc
import threading
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, select, text
from sqlalchemy.exc import OperationalError

from nigrani.core import db
from nigrani.core.db import FairLock, make_engine
from nigrani.core.errors import Busy


def test_the_lock_goes_to_waiters_in_arrival_order() -> None:
    lock, order = FairLock(), []
    assert lock.acquire(timeout=1)

    def wait(n: int) -> None:
        assert lock.acquire(timeout=5)
        order.append(n)
        lock.release()

    threads = [threading.Thread(target=wait, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)  # each is queued before the next arrives
    lock.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2, 3, 4]


def test_a_waiter_gives_up_after_its_timeout() -> None:
    lock = FairLock()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.05)
    lock.release()  # nobody is left waiting: the lock is free again
    assert lock.acquire(timeout=0)


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'writers.sqlite3'}"


def test_engines_on_one_file_share_the_lock_until_commit(sqlite_url: str) -> None:
    first, second = make_engine(sqlite_url), make_engine(sqlite_url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
            done = threading.Event()

            def write() -> None:
                with second.begin() as other:
                    other.execute(text("INSERT INTO t VALUES (2)"))
                done.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert not done.wait(0.05)  # queued behind the open transaction
            conn.execute(text("INSERT INTO t VALUES (1)"))
        writer.join(timeout=5)
        assert done.is_set()
        with second.connect() as conn:
            assert conn.execute(text("SELECT n FROM t ORDER BY rowid")).scalars().all() == [1, 2]
    finally:
        first.dispose()
        second.dispose()


def test_a_rolled_back_or_failed_transaction_frees_the_lock(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with pytest.raises(OperationalError), engine.begin() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert db.writer_lock(str(engine.url)).acquire(timeout=0)
        db.writer_lock(str(engine.url)).release()
    finally:
        engine.dispose()


def test_a_connection_nobody_closed_frees_the_lock_when_collected(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy warns about the unclosed connection
            conn = engine.connect()
            conn.begin()
            conn.execute(text("SELECT 1"))
            del conn
            gc.collect()
        assert db.writer_lock(str(engine.url)).acquire(timeout=1)
        db.writer_lock(str(engine.url)).release()
    finally:
        engine.dispose()


def _table(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))


def test_a_reading_transaction_takes_no_writer_lock(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        _table(engine)
        lock = db.writer_lock(str(engine.url))
        assert lock.acquire(timeout=0)  # a writer holds the lock for as long as we read
        try:
            with db.reads_first(), engine.begin() as conn:
                assert conn.execute(text("SELECT n FROM t")).scalars().all() == [1]
        finally:
            lock.release()
    finally:
        engine.dispose()


def test_a_reader_that_writes_queues_for_the_lock_and_writes_on_the_latest_commit(
    sqlite_url: str,
) -> None:
    reader_engine, writer_engine = make_engine(sqlite_url), make_engine(sqlite_url)
    try:
        _table(writer_engine)
        lock = db.writer_lock(str(reader_engine.url))
        with db.reads_first(), reader_engine.begin() as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 1
            assert lock.acquire(timeout=0)  # reading held no lock
            lock.release()
            with writer_engine.begin() as writer:  # commits under the reader's snapshot
                writer.execute(text("INSERT INTO t VALUES (2)"))
            # An old snapshot would fail here (SQLITE_BUSY_SNAPSHOT); the upgrade begins anew.
            reader.execute(text("INSERT INTO t VALUES (3)"))
            assert not lock.acquire(timeout=0)  # the reader is a writer now
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 3
        assert lock.acquire(timeout=0)  # and its commit freed the lock
        lock.release()
    finally:
        reader_engine.dispose()
        writer_engine.dispose()


@pytest.mark.parametrize("kind", ["for_update", "savepoint"])
def test_a_locking_read_or_a_savepoint_takes_the_lock_first(sqlite_url: str, kind: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        _table(engine)
        lock = db.writer_lock(str(engine.url))
        with db.reads_first(), engine.begin() as conn:
            if kind == "for_update":
                table = Table("t", MetaData(), Column("n", Integer))
                conn.execute(select(table).with_for_update())
            else:
                conn.begin_nested().commit()
            assert not lock.acquire(timeout=0)
        assert lock.acquire(timeout=0)
        lock.release()
    finally:
        engine.dispose()


def test_a_writer_that_waits_too_long_is_told_to_retry(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.01)
    lock = db.writer_lock(str(engine.url))
    try:
        assert lock.acquire(timeout=0)
        with pytest.raises(Busy) as refused, engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        assert refused.value.status == 503
        assert refused.value.retry_after == db.RETRY_AFTER_S
        with pytest.raises(Busy), db.reads_first(), engine.begin() as conn:
            conn.execute(text("SELECT 1"))  # reading needs no lock...
            conn.execute(text("CREATE TABLE t (n INTEGER)"))  # ...writing does
    finally:
        lock.release()
        engine.dispose()
    assert lock.acquire(timeout=0)  # the refused transactions left the lock free
    lock.release()
