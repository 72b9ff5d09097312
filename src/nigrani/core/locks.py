"""Per-subject locks that make "at most N per period" rules hold under concurrent requests.

A rule that counts rows, then inserts one, lets every concurrent request count the same
total on PostgreSQL (READ COMMITTED). Each such rule first takes a lock on its subject —
an officer, a mobile number, a footage link — held until the transaction ends, so the
requests for one subject take turns while other subjects go on in parallel. Where the
subject has a row, lock that row (`SELECT … FOR UPDATE`); where it may have none yet (a
mobile number before its first code), `subject` takes a transaction-scoped advisory lock
on a key derived from it. SQLite needs neither: every write transaction there begins
IMMEDIATE behind one writer lock (`core.db`), so the count and the insert are never
interleaved with another writer's.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def advisory_key(purpose: str, key: str) -> int:
    """A signed 64-bit key for `pg_advisory_xact_lock`, stable across processes."""
    digest = hashlib.blake2b(f"{purpose}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def subject(session: Session, *, purpose: str, key: str) -> None:
    """Hold the lock on one subject of a rule until this transaction commits or rolls back."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(advisory_key(purpose, key))))
