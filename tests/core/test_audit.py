"""The audit chain: appends link up, the database refuses edits, verify finds tampering."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from nigrani.core import audit


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
    assert rows[0].prev_hash == audit.GENESIS
    for before, after in pairwise(rows):
        assert after.prev_hash == before.row_hash
        assert after.id == before.id + 1
    db.commit()
    result = audit.verify(db)
    assert result.ok and result.checked == 5


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
