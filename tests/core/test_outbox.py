"""The outbox: jobs commit with the change, retry with backoff, survive crashes, run once."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, utcnow
from nigrani.core.migrate import upgrade
from nigrani.core.sms import SmsMessage, queue_sms
from tests.conftest import fresh_database_url, make_settings

calls: list[dict[str, Any]] = []


@outbox.handler("test.flaky")
def _flaky(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
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
    queue_sms(db, settings, to="+919876543210", body="hello")
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def crash_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        yield {
            **os.environ,
            "NIGRANI_DATABASE_URL": url,
            "NIGRANI_SECRET_KEY": "t" * 40,
            "NIGRANI_ENCRYPTION_KEY": settings.encryption_key,
            "NIGRANI_COOKIE_SECURE": "0",
            "NIGRANI_VAR_DIR": str(tmp_path / "var"),
        }


def _start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "nigrani", "serve", "--port", str(port), "--no-scheduler"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def test_message_committed_before_a_crash_is_sent_once_after(crash_env: dict[str, str]) -> None:
    port = _free_port()
    server = _start_server(crash_env, port)
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
