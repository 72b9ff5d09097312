"""SQLite's writers queue in the process, first come first served, on one lock per file."""

from __future__ import annotations

import gc
import threading
import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from nigrani.core import db
from nigrani.core.db import FairLock, make_engine


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
