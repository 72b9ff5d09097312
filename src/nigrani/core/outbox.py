"""Durable side effects: jobs written in the caller's transaction, run later with retries."""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, Text, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import Base, UTCDateTime, transaction, utcnow

log = logging.getLogger(__name__)

PENDING, DONE, DEAD = "pending", "done", "dead"


class OutboxJob(Base):
    """A side effect to perform (an SMS, a WhatsApp reply, an escalation)."""

    __tablename__ = "outbox_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler gets besides its payload: settings and its own transaction."""

    settings: Settings
    session: Session
    job_id: int


Handler = Callable[[JobContext, dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that performs jobs of one kind."""

    def register(fn: Handler) -> Handler:
        _handlers[kind] = fn
        return fn

    return register


_INSERT = insert(OutboxJob)


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    delay: timedelta = timedelta(0),
) -> int:
    """Add a job in the caller's transaction (it runs only if that commits); the job's id."""
    now = utcnow()
    values = {
        "kind": kind,
        "payload": json.dumps(payload, ensure_ascii=False),
        "dedupe_key": dedupe_key,
        "status": PENDING,
        "attempts": 0,
        "max_attempts": 8,
        "run_after": now + delay,
        "created_at": now,
    }
    # A Core INSERT on the session's connection: a job needs no unit-of-work flush.
    result = session.connection().execute(_INSERT, values)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: ~2 s, 4 s, 8 s … capped at one hour."""
    base = min(2**attempts, 3600)
    return timedelta(seconds=base * (0.8 + 0.4 * random.random()))  # noqa: S311


# How long a claim holds a job. A running job is also held by its row lock (PostgreSQL) or
# the writer lock (SQLite), so the lease only matters when its worker dies: then it is how
# long the job waits. Jobs claimed but still queued behind others are renewed as they wait.
LEASE = timedelta(seconds=5)


def worker_id() -> str:
    """A name for one runner of one process start: host, pid and a random tag."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _dead(worker: str) -> bool:
    """Whether `worker` named a runner of this machine whose process is gone."""
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False  # another machine's (or a name we did not give): wait for its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # alive, someone else's
    return False  # alive (or the pid was reused: then the lease decides)


class OutboxRunner:
    """Claims due jobs with a lease, runs each in its own transaction, retries failures."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        worker: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.factory, self.settings = factory, settings
        self.worker, self.lease = worker or worker_id(), lease

    def _claim(self, limit: int) -> list[int]:
        now = utcnow()
        with transaction(self.factory) as session:
            due = (
                select(OutboxJob.id)
                .where(OutboxJob.status == PENDING, OutboxJob.run_after <= now)
                .where(or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now))
                .order_by(OutboxJob.run_after, OutboxJob.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for job_id in session.scalars(due).all():
                job = session.get(OutboxJob, job_id)
                if job is not None and job.attempts >= job.max_attempts:
                    # its worker died on every try: stop, keep it for an operator to look at
                    job.status, job.last_error = DEAD, job.last_error or "worker died mid-job"
                    continue
                # The guarded UPDATE makes the claim safe where SKIP LOCKED does not exist.
                won = session.execute(
                    update(OutboxJob)
                    .where(OutboxJob.id == job_id)
                    .where(or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now))
                    .values(
                        locked_until=now + self.lease,
                        locked_by=self.worker,
                        attempts=OutboxJob.attempts + 1,
                    )
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(job_id)
            return claimed

    def _run_one(self, job_id: int) -> bool:
        try:
            with transaction(self.factory) as session:
                job = session.get(OutboxJob, job_id, with_for_update=True)
                if job is None or job.status != PENDING or job.locked_by != self.worker:
                    return False  # done, or taken over by another worker after our lease
                fn = _handlers.get(job.kind)
                if fn is None:
                    raise LookupError(f"no handler registered for job kind {job.kind!r}")
                fn(JobContext(self.settings, session, job.id), json.loads(job.payload))
                job.status, job.done_at, job.locked_until = DONE, utcnow(), None
            return True
        except Exception as exc:  # a failing handler must never stop the loop
            log.warning("outbox job %s failed: %s", job_id, exc)
            self._fail(job_id, exc)
            return False

    def _fail(self, job_id: int, exc: Exception) -> None:
        with transaction(self.factory) as session:
            job = session.get(OutboxJob, job_id)
            if job is None:
                return
            job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            job.locked_until = None
            if job.attempts >= job.max_attempts:
                job.status = DEAD
            else:
                job.run_after = utcnow() + backoff(job.attempts)

    def run_due(self, limit: int = 50) -> int:
        """Run every job that is due now; returns how many succeeded."""
        claimed, renewed, done = self._claim(limit), utcnow(), 0
        for i, job_id in enumerate(claimed):
            if utcnow() - renewed >= self.lease / 2:  # the rest wait behind a slow job
                self._renew(claimed[i:])
                renewed = utcnow()
            done += self._run_one(job_id)
        return done

    def _renew(self, job_ids: list[int]) -> None:
        with transaction(self.factory) as session:
            session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_(job_ids), OutboxJob.status == PENDING)
                .where(OutboxJob.locked_by == self.worker)
                .values(locked_until=utcnow() + self.lease)
            )

    def release_orphans(self) -> int:
        """Free the jobs held by runners of this machine whose process died; how many."""
        with transaction(self.factory) as session:
            holders = session.scalars(
                select(OutboxJob.locked_by)
                .where(OutboxJob.status == PENDING, OutboxJob.locked_until >= utcnow())
                .distinct()
            ).all()
            dead = [w for w in holders if w and w != self.worker and _dead(w)]
            if not dead:
                return 0
            freed = session.execute(
                update(OutboxJob)
                .where(OutboxJob.status == PENDING, OutboxJob.locked_by.in_(dead))
                .values(locked_until=None)
            )
            log.info("outbox: freed the jobs of dead workers %s", ", ".join(dead))
            return int(freed.rowcount)  # type: ignore[attr-defined]


PeriodicTask = Callable[[sessionmaker[Session], Settings], None]


class Throttled:
    """A periodic task run at most once per interval, however often the scheduler ticks."""

    def __init__(self, task: PeriodicTask, interval_s: float) -> None:
        self.task, self.interval_s = task, interval_s
        self.__name__ = getattr(task, "__name__", "task")
        self._last = float("-inf")

    def __call__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        self._last = now
        self.task(factory, settings)


class Scheduler:
    """The loop that runs the outbox (and periodic tasks) until its stop event is set."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        periodic: list[PeriodicTask] | None = None,
    ) -> None:
        self.runner = OutboxRunner(factory, settings)
        self.factory, self.settings = factory, settings
        self.periodic = periodic or []
        self.stop_event = threading.Event()
        self._started = False

    def tick(self) -> int:
        """One pass: periodic tasks, then every due job (first freeing dead runners' jobs)."""
        if not self._started:  # a restart after a crash: its replies need not wait a lease
            self.runner.release_orphans()
            self._started = True
        for task in self.periodic:
            try:
                task(self.factory, self.settings)
            except Exception:
                log.exception("periodic task %s failed", getattr(task, "__name__", task))
        return self.runner.run_due()

    def run(self) -> None:
        """Loop until stopped, sleeping between passes."""
        while not self.stop_event.is_set():
            try:
                self.tick()
            except Exception:  # the database may be away for a moment; keep going
                log.exception("scheduler pass failed")
            self.stop_event.wait(self.settings.scheduler_interval_seconds)
