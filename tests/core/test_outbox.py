"""The outbox: jobs commit with the change, retry with backoff, survive crashes, run once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import outbox
from nigrani.core.clock import FixedClock
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, utcnow
from nigrani.core.migrate import upgrade
from nigrani.core.sms import SmsMessage, queue_sms
from tests import serving
from tests.conftest import Freeze, command_env, fresh_database_url, make_settings

calls: list[dict[str, Any]] = []


@outbox.handler("test.flaky")
def _flaky(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:  # noqa: ARG001 - a job handler's signature
    calls.append(payload)
    if len(calls) <= payload["fail_times"]:
        raise ConnectionError("gateway down")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_job_exists_only_if_the_change_commits(
    db: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 0})
    db.rollback()
    assert outbox.OutboxRunner(sessions, settings).run_due() == 0
    outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 0})
    db.commit()
    assert outbox.OutboxRunner(sessions, settings).run_due() == 1
    assert len(calls) == 1


def test_failures_back_off_then_the_job_is_dead(
    db: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    job_id = outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 100})
    job = db.get_one(outbox.OutboxJob, job_id)
    job.max_attempts = 3
    db.commit()
    runner = outbox.OutboxRunner(sessions, settings)
    delays = []
    for _ in range(3):
        assert runner.run_due() == 0
        db.refresh(job)
        delays.append((job.run_after - utcnow()).total_seconds())
        job.run_after = utcnow() - timedelta(seconds=1)  # time passes
        db.commit()
    assert job.status == outbox.DEAD and job.attempts == 3
    assert "gateway down" in (job.last_error or "")
    assert 1 < delays[0] < delays[1]  # exponential
    assert runner.run_due() == 0 and len(calls) == 3


def test_retry_succeeds_after_transient_failure(
    db: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    job_id = outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 1})
    job = db.get_one(outbox.OutboxJob, job_id)
    db.commit()
    runner = outbox.OutboxRunner(sessions, settings)
    assert runner.run_due() == 0
    db.refresh(job)
    job.run_after = utcnow()
    db.commit()
    assert runner.run_due() == 1
    db.refresh(job)
    assert job.status == outbox.DONE and job.attempts == 2


def test_worker_dying_mid_job_leaves_it_to_another_after_the_lease(
    db: Session, sessions: sessionmaker[Session], settings: Settings
) -> None:
    queue_sms(
        db, settings, to="+919876543210", template="otp.en", values={"code": "1", "minutes": 5}
    )
    db.commit()
    dying = outbox.OutboxRunner(sessions, settings, worker="a")
    assert len(dying._claim(10)) == 1  # claimed, then the process dies before sending
    survivor = outbox.OutboxRunner(sessions, settings, worker="b")
    assert survivor.run_due() == 0  # the lease still protects the job
    job = db.scalars(select(outbox.OutboxJob)).one()
    job.locked_until = utcnow() - timedelta(seconds=1)  # the lease runs out
    db.commit()
    assert survivor.run_due() == 1
    assert survivor.run_due() == 0
    assert db.scalar(select(func.count(SmsMessage.id))) == 1


def test_each_runner_names_itself_by_host_process_and_start() -> None:
    names = {outbox.worker_id() for _ in range(3)}
    host, pid, _tag = next(iter(names)).split(":")
    assert len(names) == 3 and pid == str(os.getpid()) and host == socket.gethostname()[:40]
    assert all(len(name) <= 64 for name in names)  # fits locked_by


def test_a_dead_workers_job_waits_only_the_short_lease(
    db: Session, sessions: sessionmaker[Session], settings: Settings, freeze: Freeze
) -> None:
    clock = freeze(utcnow())
    outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 0})
    db.commit()
    dying = outbox.OutboxRunner(sessions, settings, worker="elsewhere:1:dead")
    assert len(dying._claim(10)) == 1  # then its machine dies
    survivor = outbox.OutboxRunner(sessions, settings)
    assert survivor.lease == outbox.LEASE <= timedelta(seconds=10)
    clock.advance(outbox.LEASE - timedelta(seconds=1))
    assert survivor.run_due() == 0
    clock.advance(timedelta(seconds=2))  # a few seconds after the crash, not a minute
    assert survivor.run_due() == 1 and len(calls) == 1


leases: list[timedelta] = []
moving: list[FixedClock] = []


@outbox.handler("test.slow")
def _slow(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    job = ctx.session.get_one(outbox.OutboxJob, ctx.job_id)
    assert job.locked_until is not None
    leases.append(job.locked_until - utcnow())
    moving[0].advance(timedelta(seconds=payload["seconds"]))


def test_jobs_queued_behind_a_slow_one_keep_their_lease(
    db: Session, sessions: sessionmaker[Session], settings: Settings, freeze: Freeze
) -> None:
    moving[:] = [freeze(utcnow())]
    leases.clear()
    slow = 2 * outbox.LEASE.total_seconds()
    for _ in range(3):
        outbox.enqueue(db, kind="test.slow", payload={"seconds": slow})
    db.commit()
    assert outbox.OutboxRunner(sessions, settings).run_due() == 3
    assert leases == [outbox.LEASE] * 3  # renewed before each: nobody could take them


def test_a_job_taken_over_after_the_lease_is_run_by_its_new_worker_only(
    db: Session, sessions: sessionmaker[Session], settings: Settings, freeze: Freeze
) -> None:
    clock = freeze(utcnow())
    job_id = outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 0})
    db.commit()
    slow, fast = (outbox.OutboxRunner(sessions, settings) for _ in range(2))
    assert slow._claim(10) == [job_id]
    clock.advance(outbox.LEASE + timedelta(seconds=1))  # slow stalls past its lease
    assert fast._claim(10) == [job_id]
    assert not slow._run_one(job_id)  # no longer its job
    assert fast._run_one(job_id) and len(calls) == 1
    job = db.get_one(outbox.OutboxJob, job_id)
    db.refresh(job)
    assert (job.status, job.attempts, job.locked_by) == (outbox.DONE, 2, fast.worker)


def test_a_new_scheduler_frees_the_jobs_of_this_machines_dead_processes_at_once(
    db: Session, sessions: sessionmaker[Session], settings: Settings, freeze: Freeze
) -> None:
    freeze(utcnow())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    host = outbox.worker_id().split(":")[0]
    holders = {
        "dead": f"{host}:{gone.stdout.strip()}:0000dead",
        "alive": f"{host}:{os.getpid()}:0000live",  # another runner of a live process
        "remote": "another-machine:1:00000000",  # cannot be checked: its lease decides
    }
    jobs = {}
    for name, worker in holders.items():
        jobs[name] = outbox.enqueue(db, kind="test.flaky", payload={"fail_times": 0})
        job = db.get_one(outbox.OutboxJob, jobs[name])
        job.locked_by, job.locked_until, job.attempts = worker, utcnow() + outbox.LEASE, 1
    db.commit()
    assert outbox.Scheduler(sessions, settings).tick() == 1  # the restart's first pass
    status = {n: db.get_one(outbox.OutboxJob, j) for n, j in jobs.items()}
    for job in status.values():
        db.refresh(job)
    assert {n: j.status for n, j in status.items()} == {
        "dead": outbox.DONE,
        "alive": outbox.PENDING,
        "remote": outbox.PENDING,
    }


@pytest.fixture()
def crash_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        yield {**os.environ, **command_env(url, tmp_path / "var", NIGRANI_COOKIE_SECURE="0")}


def test_message_committed_before_a_crash_is_sent_once_after(crash_env: dict[str, str]) -> None:
    port = serving.free_port()
    server = serving.start(
        serving.nigrani("serve", "--port", str(port), "--no-scheduler"), crash_env, port
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            page = browser.get("/citizen/login").text
            token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
            assert token
            sent = browser.post(
                "/citizen/login", data={"mobile": "9876543210", "csrf_token": token.group(1)}
            )
            assert sent.status_code == 200
    finally:
        server.send_signal(signal.SIGKILL)  # dies before any scheduler could send
        server.wait()
    for _ in range(2):  # the scheduler restarts (twice): the SMS goes out exactly once
        subprocess.run(
            [sys.executable, "-m", "nigrani", "scheduler", "--once"],
            env=crash_env,
            check=True,
            capture_output=True,
        )
    engine = make_engine(crash_env["NIGRANI_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:
        job = session.scalars(select(outbox.OutboxJob)).one()
        assert job.last_error is None
        assert session.scalar(select(func.count(SmsMessage.id))) == 1
        assert job.status == outbox.DONE and job.attempts == 1
    engine.dispose()
