"""Backoff for sign-in tries: per client address, per account name, per second factor.

Nothing is ever locked for good: each subject gets a few free failures, then every further
failure makes it wait before its next try, the wait doubling up to a few minutes, so the
owner's right password works again soon and a guesser gets a handful of tries an hour. A
try that arrives while its subject waits is refused without being counted or checked.

A try is *reserved* before it is checked: one statement that writes the subject's row
first (so it holds the row's lock, on PostgreSQL and on SQLite alike) counts it as a failure
and refuses it if the subject is waiting. Concurrent tries therefore take turns at the
counter, never at the check. A right answer gives the reservation back (`succeeded`).

Rationed looks at personal data (an owner's contact, a complainant's number) are counted
by `audit_window`: the user's own audit rows of that action in a sliding window;
`check_ration` refuses the look once the window is full.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nigrani.accounts.models import AuthThrottle, User
from nigrani.core.audit import AuditEntry
from nigrani.core.errors import RateLimited
from nigrani.core.i18n import _

FORGET = timedelta(hours=1)  # a subject quiet this long starts again from nothing


@dataclass(frozen=True, slots=True)
class Policy:
    """How many failures are free, and the waits after them: first, doubling, at most."""

    prefix: str
    free: int
    first: timedelta = timedelta(seconds=15)
    cap: timedelta = timedelta(minutes=5)

    def wait(self, failures: int) -> timedelta:
        """How long the subject waits after this many failures in a row."""
        if failures < self.free:
            return timedelta(0)
        return min(self.first * (1 << min(failures - self.free, 16)), self.cap)


# Passwords: 5 free per account name, 20 per client address (a station's officers may sit
# behind one address); then 15 s, 30 s, 1, 2, 4 min and 5 min for every failure after.
ACCOUNT = Policy("login-user", free=5)
ADDRESS = Policy("login-addr", free=20)
# Authenticator codes of one account, over all its pending logins: 10 free, then the same.
SECOND_FACTOR = Policy("totp-user", free=10)


def key(policy: Policy, subject: str) -> str:
    """The row key of one subject under a policy (the subject is a hash or an address)."""
    return f"{policy.prefix}:{subject}"[:100]


def _insert_missing(session: Session, row_key: str, now: datetime) -> bool:
    """Add the subject's row if it has none; whether it was added."""
    dialect = session.get_bind().dialect.name
    values = {"key": row_key, "failures": 0, "last_at": now, "blocked_until": None}
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(AuthThrottle).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: a driver may report -1 for an insert it skipped.
    return session.scalar(stmt.returning(AuthThrottle.key)) is not None


def _count(session: Session, row_key: str, now: datetime) -> int | None:
    """Count one more failure unless the subject waits; the new count, or None."""
    fresh = AuthThrottle.last_at <= now - FORGET
    stmt = (
        update(AuthThrottle)
        .where(AuthThrottle.key == row_key)
        .where((AuthThrottle.blocked_until.is_(None)) | (AuthThrottle.blocked_until <= now))
        .values(failures=case((fresh, 1), else_=AuthThrottle.failures + 1), last_at=now)
        .returning(AuthThrottle.failures)
        .execution_options(synchronize_session=False)
    )
    return session.scalar(stmt)


def retry_after(wait: timedelta) -> RateLimited:
    """429 with how long to wait, in words and in `Retry-After`."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        message = _("Too many sign-in attempts. Try again in {n} seconds.").format(n=seconds)
    else:
        minutes = math.ceil(seconds / 60)
        message = _("Too many sign-in attempts. Try again in {n} minutes.").format(n=minutes)
    return RateLimited(message, retry_after=seconds)


def reserve(session: Session, policy: Policy, subject: str, *, now: datetime) -> None:
    """Count a try against the subject before it is checked, or RateLimited if it waits."""
    row_key = key(policy, subject)
    for _attempt in range(3):  # a row purged between its insert and its update: again
        if _insert_missing(session, row_key, now):
            _purge(session, now=now, keep=row_key)  # a new subject: forget some old ones
        failures = _count(session, row_key, now)
        if failures is not None:
            if (wait := policy.wait(failures)) > timedelta(0):
                session.execute(
                    update(AuthThrottle)
                    .where(AuthThrottle.key == row_key)
                    .values(blocked_until=now + wait)
                    .execution_options(synchronize_session=False)
                )
            return
        until = session.scalar(
            select(AuthThrottle.blocked_until).where(AuthThrottle.key == row_key)
        )
        if until is not None:
            raise retry_after(until - now)
    raise RuntimeError(f"throttle row {row_key} vanished three times")  # pragma: no cover


def succeeded(session: Session, policy: Policy, subject: str, *, forget: bool) -> None:
    """Give a right answer's reservation back: `forget` all failures, or only this one."""
    row_key = key(policy, subject)
    stmt = update(AuthThrottle).where(AuthThrottle.key == row_key)
    if forget:
        stmt = stmt.values(failures=0, blocked_until=None)
    else:
        left = case((AuthThrottle.failures > 0, AuthThrottle.failures - 1), else_=0)
        still = case((left >= policy.free, AuthThrottle.blocked_until), else_=None)
        stmt = stmt.values(failures=left, blocked_until=still)
    session.execute(stmt.execution_options(synchronize_session=False))


PURGE_BATCH = 100


def _purge(session: Session, *, now: datetime, keep: str) -> None:
    """Drop some rows of subjects quiet for longer than FORGET (their waits are long over).

    Rows another transaction holds are skipped (PostgreSQL), so two purges never wait for
    each other; each new subject clears up to a batch, so the table stays near its users."""
    stale = (
        select(AuthThrottle.key)
        .where(AuthThrottle.last_at <= now - FORGET - ADDRESS.cap, AuthThrottle.key != keep)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    stmt = delete(AuthThrottle).where(AuthThrottle.key.in_(stale.scalar_subquery()))
    session.execute(stmt.execution_options(synchronize_session=False))


@dataclass(frozen=True, slots=True)
class WindowFull:
    """The user did the action `count` times in the window, the most allowed; the oldest of
    those leaves the window in `wait_s` seconds (at least 1)."""

    count: int
    wait_s: int


def audit_window(
    session: Session,
    *,
    user: User,
    action: str,
    window: timedelta,
    limit: int,
    now: datetime,
    about: tuple[str, Sequence[str]] | None = None,
) -> WindowFull | None:
    """Whether the user may do `action` once more: None while their audit rows of it in the
    last `window` are fewer than `limit`, else how many there are and how long to wait.

    The user's own row is the lock: their tries take turns, and the audit row a turn writes
    is committed before the next turn counts (READ COMMITTED sees it), so tries sent
    together cannot all count the same total. Call it in the transaction that then records
    the audit row, one look per transaction: audit rows are written at commit, so a
    transaction's own earlier look is not yet counted.

    With `about` (an object type and ids) the rows of `action` about those objects are
    counted instead, whoever wrote them: what the system did to the user (texts to an
    owner about their listings), still under the user's own row."""
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    whose = (
        AuditEntry.actor_id == user.id
        if about is None
        else and_(AuditEntry.object_type == about[0], AuditEntry.object_id.in_(about[1]))
    )
    count, oldest = session.execute(
        select(func.count(AuditEntry.id), func.min(AuditEntry.at)).where(
            whose, AuditEntry.action == action, AuditEntry.at > now - window
        )
    ).one()
    if count < limit:
        return None
    return WindowFull(count, max(1, math.ceil((oldest + window - now).total_seconds())))


@dataclass(frozen=True, slots=True)
class Ration:
    """A rationed look: its audit action, the sliding window, and the words of a refusal
    (`refusal(count, wait_s)`), the wait being at least `min_wait_s`."""

    action: str
    window: timedelta
    refusal: Callable[[int, int], str]
    min_wait_s: int = 1


def check_ration(
    session: Session, ration: Ration, *, user: User, limit: int, now: datetime
) -> None:
    """RateLimited, in the ration's words, once the user's `audit_window` of it is full."""
    full = audit_window(
        session, user=user, action=ration.action, window=ration.window, limit=limit, now=now
    )
    if full is not None:
        wait = max(ration.min_wait_s, full.wait_s)
        raise RateLimited(ration.refusal(full.count, wait), retry_after=wait)
