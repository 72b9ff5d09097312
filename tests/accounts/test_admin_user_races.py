"""Two administrators changing one account at once, each on its own connection: the account
is loaded locked (SELECT … FOR UPDATE), so the second waits for the first and its audit row
starts from what the first left, never from a stale copy. PostgreSQL only: SQLite has one
writer at a time by construction (core.db)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import service
from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from tests.accounts.factories import make_staff, make_tree
from tests.conftest import PG_ENV, fresh_database_url, make_settings

# PostgreSQL: the second cannot read the locked row (lock_timeout). SQLite has one writer at a
# time and no row locks, so there the second only starts from what the first committed.
ON_POSTGRES = bool(os.environ.get(PG_ENV))


@dataclass(frozen=True, slots=True)
class World:
    sessions: sessionmaker[Session]
    settings: Settings
    root: str  # the administrators' node path (the commissionerate)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("admin-races")
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            root = make_tree(session)["C"].path
            make_staff(session, Role.INVESTIGATING_OFFICER, "S1", "io-race")
        try:
            yield World(sessions, settings, root)
        finally:
            engine.dispose()


def _account(session: Session, root: str) -> User:
    user_id = session.scalar(select(User.id).where(User.username == "io-race"))
    assert user_id is not None
    return service.staff_in_charge(session, user_id=user_id, scope_path=root)


def test_a_second_change_waits_for_the_first(world: World) -> None:
    root, sessions = world.root, world.sessions
    first, second = sessions(), sessions()
    try:
        held = _account(first, root)
        if ON_POSTGRES:
            second.execute(text("SET LOCAL lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                _account(second, root)  # the row is held: the second may not read it to change
            second.rollback()
        service.set_active(first, user=held, active=False, actor=audit.SYSTEM)
        first.commit()
        again = _account(second, root)  # now free, and read as the first left it
        assert again.is_active is False
        service.update_staff(
            second,
            user=again,
            settings=world.settings,
            full_name="Ram Race",
            mobile=None,
            role=Role.SHO,
            node_code="S1",
            scope_path=root,
            actor=audit.SYSTEM,
        )
        second.commit()
    finally:
        first.close()
        second.close()
    with sessions() as check:
        row = check.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.update").order_by(AuditEntry.id)
        )
        assert row is not None
        assert json.loads(row.detail)["before"] == {
            "full_name": "Test investigating_officer",
            "role": "investigating_officer",
        }
        user = check.scalar(select(User).where(User.username == "io-race"))
        assert user is not None and not user.is_active and user.role == "sho"
