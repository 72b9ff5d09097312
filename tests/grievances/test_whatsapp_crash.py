"""WhatsApp replies while the process running the outbox is SIGKILLed: none lost, and a
duplicate only where a kill landed between WhatsApp taking a reply and our commit.

The Cloud API has no idempotency key, so a reply sent just before a crash is sent again
after it (docs/architecture.md, "WhatsApp replies are at least once"). The fake holds each
send open for a moment after recording it, and each kill is aimed there: the worst case.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from nigrani.app import create_app
from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.grievances.channels.models import WhatsAppOutbound
from tests.accounts.factories import make_tree
from tests.conftest import command_env, fresh_database_url, make_settings
from tests.grievances import fake_whatsapp as wa
from tests.grievances.fake_whatsapp import FakeWhatsApp

USERS = [f"91987650{i:04d}" for i in range(20)]
KILL_AT = (5, 12)  # SIGKILL the outbox while the 5th, then the 12th, reply is in flight
DEADLINE_S = 40.0  # only so that a hang fails instead of blocking the suite


@dataclass(frozen=True, slots=True)
class World:
    fake: FakeWhatsApp
    env: dict[str, str]
    url: str


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeWhatsApp(token="EAAG-crash", app_secret="crash-app-secret", send_delay=0.2)
    fake.start()
    wa_env = {
        "verify_token": "verify-crash",
        "app_secret": fake.app_secret,
        "token": fake.token,
        "phone_number_id": wa.PHONE_NUMBER_ID,
        "api_base": fake.base,
    }
    try:
        for url in fresh_database_url(tmp_path):
            settings = make_settings(
                url, tmp_path / "var", **{f"whatsapp_{k}": v for k, v in wa_env.items()}
            )
            upgrade(settings)
            _greet_everyone(settings)
            extra = {f"NIGRANI_WHATSAPP_{k.upper()}": v for k, v in wa_env.items()}
            extra |= {"NIGRANI_COOKIE_SECURE": "0", "NIGRANI_SCHEDULER_INTERVAL_SECONDS": "0.05"}
            env = {**os.environ, **command_env(url, tmp_path / "var", **extra)}
            yield World(fake, env, url)
    finally:
        fake.stop()


def _greet_everyone(settings: Settings) -> None:
    """Every user says hello through the webhook; 20 replies wait in the outbox."""
    app = create_app(settings)
    with transaction(app.state.sessions) as session:
        make_tree(session)
    signer = FakeWhatsApp(token="", app_secret=settings.whatsapp_app_secret)
    with TestClient(app) as client:
        for user in USERS:
            body = wa.envelope(wa.text(user, f"{user}-hello", "नमस्ते"))
            answer = client.post("/webhooks/whatsapp", content=body, headers=signer.headers(body))
            assert answer.json() == {"received": 1}


# `nigrani scheduler`, its imports done ahead (many seconds on a busy machine) and held
# until told to go, so that a restart after a kill is at once, as under a supervisor.
WARM = (
    "import sys, nigrani.models, nigrani.tasks; from nigrani.cli import app; "
    "print('ready', flush=True); sys.stdin.readline(); app(['scheduler'], prog_name='nigrani')"
)


def _schedulers(env: dict[str, str], count: int) -> list[subprocess.Popen[bytes]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WARM],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return procs


def _go(proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
    assert proc.stdin is not None
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    return proc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def _wait_for(done: Callable[[], bool], started: float) -> None:
    while not done():
        assert time.monotonic() - started < DEADLINE_S, "the replies never all went out"
        time.sleep(0.005)


def _outbox_is_empty(engine: Engine) -> bool:
    with make_sessionmaker(engine)() as session:
        status = select(outbox.OutboxJob.status).where(outbox.OutboxJob.status != outbox.DONE)
        return session.scalars(status).first() is None


def test_replies_survive_sigkill_of_the_outbox_with_at_most_one_duplicate_per_kill(
    world: World,
) -> None:
    fake = world.fake
    spare = _schedulers(world.env, len(KILL_AT) + 1)
    started = time.monotonic()
    proc = _go(spare.pop())
    try:
        for count in KILL_AT:
            _wait_for(lambda count=count: len(fake.sent) >= count, started)  # type: ignore[misc]
            _kill(proc)  # WhatsApp has this reply; our commit of its id never happens
            proc = _go(spare.pop())
        engine = make_engine(world.url)
        try:
            _wait_for(lambda: _outbox_is_empty(engine), started)
        finally:
            engine.dispose()
    finally:
        for left in [proc, *spare]:
            _kill(left)
    per_user = Counter(str(sent["to"]) for sent in fake.sent)
    duplicates = len(fake.sent) - len(USERS)
    print(f"\n{len(USERS)} replies, {len(KILL_AT)} SIGKILLs: {len(fake.sent)} sends")
    assert set(per_user) == set(USERS)  # none lost
    assert 0 <= duplicates <= len(KILL_AT) and max(per_user.values()) <= 2
    _check_rows(world.url)


def _check_rows(url: str) -> None:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            jobs = list(session.scalars(select(outbox.OutboxJob)))
            sent = list(session.scalars(select(WhatsAppOutbound)))
    finally:
        engine.dispose()
    assert {(j.kind, j.status, j.last_error) for j in jobs} == {("whatsapp.send", "done", None)}
    assert len(jobs) == len(sent) == len(USERS)
    assert all(s.wamid and s.status == "sent" for s in sent)
    # Each kill costs the jobs it had claimed one attempt (of 8), and no more.
    assert max(j.attempts for j in jobs) <= 1 + len(KILL_AT)
