"""Two sweeps telling the same event at the same time, each on its own connection: one
notification per user, and neither sweep fails (PostgreSQL, on a database of its own).

The second sweep's insert waits on the first's uncommitted row of the unique key; the test
sees it waiting in pg_locks before letting the first commit, so the two really overlap.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import notifications
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from tests.accounts.factories import make_staff, make_tree
from tests.conftest import PG_ENV, fresh_database_url, make_settings

# On PostgreSQL the second sweep is seen waiting on the first's rows (pg_locks); SQLite has one
# writer at a time, so there the second waits on the database until the first commits.
ON_POSTGRES = bool(os.environ.get(PG_ENV))

EVENT = notifications.Event(
    kind=notifications.OVERDUE,
    object_type="complaint",
    object_id=1,
    event="open:0:rung:1",
    link="/grievances/1",
    params={"number": "C-2026-000001", "level": 1},
)


@pytest.fixture()
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    for url in fresh_database_url(tmp_path):
        upgrade(make_settings(url, tmp_path / "var"))
        engine = make_engine(url)
        try:
            yield make_sessionmaker(engine)
        finally:
            engine.dispose()


def _waiting(sessions: sessionmaker[Session], pid: int) -> bool:
    """Whether the backend `pid` waits for a lock."""
    with sessions() as session:
        query = text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted")
        return bool(session.scalar(query, {"pid": pid}))


def test_two_sweeps_at_once_tell_each_user_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        make_tree(session)
        users = [make_staff(session, Role.SHO, "S1", "sho1").id]
        users.append(make_staff(session, Role.ACP, "C1", "acp1").id)
    second_pid: list[int] = []
    started = threading.Event()

    def second_sweep() -> int:
        with transaction(sessions) as session:
            if ON_POSTGRES:
                second_pid.append(int(session.scalar(text("SELECT pg_backend_pid()")) or 0))
            started.set()
            return notifications.notify(session, users=users, event=EVENT)

    with ThreadPoolExecutor(1) as pool:
        with transaction(sessions) as first:
            assert notifications.notify(first, users=users, event=EVENT) == 2  # not committed
            later: Future[int] = pool.submit(second_sweep)
            started.wait()
            while ON_POSTGRES and not _waiting(sessions, second_pid[0]):  # on the first's rows
                assert not later.done(), later.result()
        # The first committed; the second went on, found the rows and added none.
        assert later.result() == 0
    with sessions() as session:
        assert session.scalar(select(func.count(Notification.id))) == 2
