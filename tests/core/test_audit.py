"""The audit chain: appends link up, the database refuses edits, verify finds tampering."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from tests.conftest import fresh_database_url, make_settings


def _append(db: Session, n: int) -> list[audit.AuditEntry]:
    actor = audit.Actor(7, "sho1")
    return [
        audit.record(
            db,
            actor=actor,
            action="camera.owner_revealed",
            object_type="camera",
            object_id=i,
            reason="theft near shop",
            reference="FIR-12/2026",
            detail={"n": i, "नाम": "दुकान"},
        )
        for i in range(n)
    ]


def test_rows_chain_to_each_other(db: Session) -> None:
    rows = _append(db, 5)
    db.commit()  # the rows are appended, and their ids and hashes set, at the commit
    assert rows[0].prev_hash == audit.GENESIS and rows[0].id == 1
    for before, after in pairwise(rows):
        assert after.prev_hash == before.row_hash
        assert after.id == before.id + 1
    result = audit.verify(db)
    assert result.ok and result.checked == 5


def _actions(db: Session) -> list[str]:
    return list(db.scalars(select(audit.AuditEntry.action).order_by(audit.AuditEntry.id)))


def _note(db: Session, action: str) -> None:
    audit.record(db, actor=audit.SYSTEM, action=action, object_type="t", object_id=1)


def test_a_rolled_back_savepoint_drops_only_its_rows(db: Session) -> None:
    _note(db, "before")
    with db.begin_nested():
        _note(db, "kept")
    with pytest.raises(RuntimeError), db.begin_nested():
        _note(db, "undone")
        with db.begin_nested():
            _note(db, "undone.inner")
        raise RuntimeError
    _note(db, "after")
    db.commit()
    assert _actions(db) == ["before", "kept", "after"]
    assert audit.verify(db).ok


def test_a_rolled_back_transaction_appends_nothing(db: Session) -> None:
    _note(db, "first")
    db.commit()
    _note(db, "lost")
    db.rollback()
    _note(db, "second")
    db.commit()
    assert _actions(db) == ["first", "second"]
    result = audit.verify(db)
    assert result.ok and result.checked == 2


@pytest.fixture()
def chain_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database of its own: these commits are real, not rolled back after the test."""
    for url in fresh_database_url(tmp_path):
        upgrade(make_settings(url, tmp_path))
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_concurrent_commits_form_one_unbroken_chain(chain_engine: Engine) -> None:
    factory, errors = make_sessionmaker(chain_engine), []

    def commit_many(worker: int) -> None:
        try:
            for n in range(20):
                with transaction(factory) as session:
                    _note(session, f"w{worker}.{n}.a")
                    _note(session, f"w{worker}.{n}.b")
        except Exception as exc:  # surfaced below: a thread's assert would be lost
            errors.append(exc)

    threads = [threading.Thread(target=commit_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with factory() as session:
        result = audit.verify(session)
        actions = _actions(session)
    assert result.ok and result.checked == 8 * 20 * 2
    # one transaction's rows are appended together, in the order they were recorded
    assert all(
        a.endswith(".a") and b == a[:-1] + "b"
        for a, b in zip(actions[::2], actions[1::2], strict=True)
    )


def test_database_refuses_update_and_delete(db: Session, connection: Connection) -> None:
    _append(db, 2)
    db.commit()
    with pytest.raises(Exception, match="append-only"), connection.begin_nested():
        connection.execute(text("UPDATE audit_log SET reason = 'x' WHERE id = 1"))
    with pytest.raises(Exception, match="append-only"), connection.begin_nested():
        connection.execute(text("DELETE FROM audit_log WHERE id = 2"))


@pytest.fixture()
def tamper(connection: Connection) -> Iterator[Connection]:
    """Someone with direct database access switches the guard off (rolled back after)."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
    yield connection


def test_verify_reports_the_first_edited_row(db: Session, tamper: Connection) -> None:
    _append(db, 6)
    db.commit()
    tamper.execute(text("UPDATE audit_log SET reason = 'nothing happened' WHERE id = 3"))
    tamper.execute(text("UPDATE audit_log SET actor_label = 'someone' WHERE id = 5"))
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok
    assert result.broken_id == 3 and result.checked == 2
    assert "content" in (result.problem or "")


def test_verify_reports_a_deleted_row_and_truncation(db: Session, tamper: Connection) -> None:
    _append(db, 4)
    db.commit()
    tamper.execute(text("DELETE FROM audit_log WHERE id = 2"))
    db.expire_all()
    assert audit.verify(db).broken_id == 2
    tamper.execute(text("DELETE FROM audit_log WHERE id >= 2"))
    db.expire_all()
    result = audit.verify(db)
    assert not result.ok and result.checked == 1 and "removed" in (result.problem or "")


def test_verify_reports_a_recomputed_hash(db: Session, tamper: Connection) -> None:
    rows = _append(db, 3)
    db.commit()
    forged = rows[1]
    forged.reason = "edited"
    forged_hash = audit.row_hash(forged)
    db.expunge_all()
    tamper.execute(
        text("UPDATE audit_log SET reason = 'edited', row_hash = :h WHERE id = 2"),
        {"h": forged_hash},
    )
    result = audit.verify(db)
    assert result.broken_id == 3 and "link" in (result.problem or "")
