"""Append-only, hash-chained audit log of protected reads and every protected change."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, bindparam, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from nigrani.core.db import Base, UTCDateTime, fair_lock, utcnow
from nigrani.core.security import sha256_hex

GENESIS = "0" * 64


class AuditEntry(Base):
    """One audited act: who did what to which object, why, and the link to the row before."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The single row that serialises appends and remembers the chain's last hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user id (None for the system) and a printable label."""

    id: int | None
    label: str


SYSTEM = Actor(id=None, label="system")


def _canonical(entry: AuditEntry) -> str:
    fields = {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "reason": entry.reason,
        "reference": entry.reference,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(entry: AuditEntry) -> str:
    """The SHA-256 a row must carry, computed from its fields and the previous hash."""
    return sha256_hex(_canonical(entry))


_COLUMNS = tuple(column.key for column in AuditEntry.__table__.columns)


# Built once: every append runs them.
_NEXT = (
    update(AuditHead)
    .where(AuditHead.id == 1)
    .values(seq=AuditHead.seq + bindparam("count"))
    .returning(AuditHead.seq, AuditHead.last_hash)
)
_MOVE_HEAD = update(AuditHead).where(AuditHead.id == 1).values(last_hash=bindparam("hash"))
_APPEND = insert(AuditEntry)

# session.info keys: the rows waiting for the commit, each with the (sub)transaction it was
# recorded in, and the append lock the committing transaction holds.
_PENDING = "nigrani.audit.pending"
_HOLDING = "nigrani.audit.append_lock"
APPEND_WAIT_S = 30.0
log = logging.getLogger(__name__)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    reason: str | None = None,
    reference: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one row to the chain in the caller's transaction.

    The row is written when the transaction commits, last, so the chain's head is locked
    only for the append and the COMMIT; its id and hashes are set then. A rollback of the
    transaction, or of the savepoint it was recorded in, drops it with everything else."""
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason,
        reference=reference,
        detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
    )
    within = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((within, entry))
    return entry


def _append(session: Session, entries: list[AuditEntry]) -> None:
    # The UPDATE takes the write lock (SQLite) or the row lock (PostgreSQL) before we read,
    # so two appends can never chain onto the same previous row. Core statements on the
    # session's connection: the chain needs no unit-of-work flush.
    conn = session.connection()
    head = conn.execute(_NEXT, {"count": len(entries)}).one_or_none()
    if head is None:
        conn.execute(insert(AuditHead), {"id": 1, "seq": len(entries), "last_hash": GENESIS})
        last, prev = len(entries), GENESIS
    else:
        last, prev = int(head[0]), str(head[1])
    for seq, entry in enumerate(entries, start=last - len(entries) + 1):
        entry.id, entry.prev_hash = seq, prev
        entry.row_hash = prev = row_hash(entry)
    conn.execute(_APPEND, [{key: getattr(entry, key) for key in _COLUMNS} for entry in entries])
    conn.execute(_MOVE_HEAD, {"hash": prev})


def _take_append_lock(session: Session) -> None:
    # PostgreSQL lets a newcomer take the head's row lock ahead of those already waiting, so
    # under load some appends starve (p99 650 ms against p50 90 ms at 32 clients). This
    # process's committers queue in arrival order first; the row lock then only arbitrates
    # between processes. A holder runs nothing but the append and the COMMIT, so it never
    # waits for another transaction of this process. SQLite's writer lock already queues
    # whole transactions.
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return
    lock = fair_lock(str(conn.engine.url), "audit")
    if lock.acquire(timeout=APPEND_WAIT_S):
        session.info[_HOLDING] = lock
    else:  # never expected; the row lock alone still keeps the chain whole
        log.warning("audit append queue: no turn within %.0f s, going on without", APPEND_WAIT_S)


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its rows wait for the outer commit
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()
    _take_append_lock(session)
    _append(session, [entry for _, entry in pending])


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if pending := session.info.get(_PENDING):
        pending[:] = [(t, e) for t, e in pending if not _inside(t, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_PENDING, None)
    if (lock := session.info.pop(_HOLDING, None)) is not None:
        lock.release()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a chain check: rows checked and the first broken row, if any."""

    checked: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None and self.problem is None


def _entries(session: Session, batch: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


PROGRESS_EVERY = 2000


def verify(session: Session, *, on_progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the chain from the start; report the first row whose link or hash is wrong.
    `on_progress(rows checked)` is called every PROGRESS_EVERY rows, for a progress bar."""
    prev, expected_id, checked = GENESIS, 1, 0
    for entry in _entries(session, batch=PROGRESS_EVERY):
        if on_progress is not None and checked and not checked % PROGRESS_EVERY:
            on_progress(checked)
        if entry.id != expected_id:
            return VerifyResult(checked, expected_id, f"row {expected_id} is missing")
        if entry.prev_hash != prev:
            return VerifyResult(checked, entry.id, "link to the previous row is broken")
        if row_hash(entry) != entry.row_hash:
            return VerifyResult(checked, entry.id, "row content does not match its hash")
        prev, expected_id, checked = entry.row_hash, expected_id + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.last_hash != prev):
        return VerifyResult(checked, None, "rows after the last one were removed")
    return VerifyResult(checked)


def entries_for(
    session: Session, *, object_type: str, object_id: str, limit: int = 100
) -> list[AuditEntry]:
    """Latest audit rows about one object."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
