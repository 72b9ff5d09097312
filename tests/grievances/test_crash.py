"""Complaints filed while the server is SIGKILLed and restarted: none lost, none twice.

A real `nigrani serve` (outbox scheduler in-process, ticking every 0.1 s) runs against the
test's database. Client threads file Open311 requests, each with a unique marker in its
text, while the server is killed and restarted several times. Every 2xx must be in the
database once; a request that never connected must be absent; one cut off mid-way may or
may not be there, but never twice. Afterwards every queued SMS is sent exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts
from nigrani.accounts.roles import Role
from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.core.sms import SmsMessage
from nigrani.grievances.models import Complaint
from tests import serving
from tests.accounts.factories import make_staff, make_tree
from tests.conftest import command_env, fresh_database_url, make_settings

CLIENTS = 4
KILLS = 3
MARK = "crash-test marker"


@dataclass
class Tally:
    """What one client saw: accepted markers (with numbers), refused, in doubt."""

    accepted: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Server:
    settings: Settings
    env: dict[str, str]
    url: str
    port: int


@pytest.fixture()
def server_env(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            key = _api_key(session)
        engine.dispose()
        env = {
            **os.environ,
            **command_env(
                url,
                tmp_path / "var",
                NIGRANI_COOKIE_SECURE="0",
                NIGRANI_SCHEDULER_INTERVAL_SECONDS="0.1",
            ),
        }
        port = serving.free_port()
        yield Server(settings, env, f"http://127.0.0.1:{port}", port), key


def _api_key(session: Session) -> str:
    make_tree(session)
    admin = make_staff(session, Role.ADMIN, "C", username="admin-crash")
    issued = accounts.issue_token(
        session, user=admin, name="civic-app", scopes=["open311"], actor=audit.SYSTEM
    )
    return issued.secret


def _start(server: Server) -> subprocess.Popen[bytes]:
    argv = serving.nigrani("serve", "--port", str(server.port))
    return serving.start(argv, server.env, server.port)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _post(client: httpx.Client, key: str, marker: str) -> httpx.Response:
    form = {
        "api_key": key,
        "service_code": "theft",
        "lat": "26.47",
        "long": "80.27",
        "address_string": "Mall Road crossing",
        "description": f"My bicycle was stolen near the crossing ({marker}).",
        "phone": "9876543210",
    }
    return client.post("/open311/v2/requests.json", data=form)


def _client(server: Server, key: str, name: str, stop: threading.Event, tally: Tally) -> None:
    """File complaints until stopped; a cut-off post is never retried (that would be new)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for seq in range(1_000_000):
            if stop.is_set():
                return
            marker = f"{MARK} {name}-{seq}"
            try:
                answer = _post(client, key, marker)
            except httpx.ConnectError:  # nothing was sent: the server was down
                tally.refused.append(marker)
                time.sleep(0.05)
                continue
            except httpx.TransportError:  # sent, then the server died: either outcome is fair
                tally.in_doubt.append(marker)
                continue
            if answer.is_success:
                tally.accepted[marker] = answer.json()[0]["service_request_id"]
            else:
                tally.refused.append(marker)


def _run_clients_through_kills(server: Server, key: str) -> list[Tally]:
    stop = threading.Event()
    tallies = [Tally() for _ in range(CLIENTS)]
    threads = [
        threading.Thread(target=_client, args=(server, key, f"c{i}", stop, tallies[i]))
        for i in range(CLIENTS)
    ]
    rng = random.Random(5)  # when to kill: a fixed, replayable choice
    proc = _start(server)
    for thread in threads:
        thread.start()
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.8, 2.0))  # complaints and SMS in flight
            _kill(proc)
            time.sleep(rng.uniform(0.0, 0.3))  # posts meet a closed port
            proc = _start(server)
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        _kill(proc)  # the last one dies too: whatever it leased is left mid-way
    return tallies


def _drain(server: Server, engine: Engine) -> None:
    """Time passes (the dead servers' leases run out), then a new worker runs the outbox dry."""
    with transaction(make_sessionmaker(engine)) as session:
        session.execute(
            update(outbox.OutboxJob)
            .where(outbox.OutboxJob.status == outbox.PENDING)
            .values(locked_until=utcnow() - timedelta(seconds=1), run_after=utcnow())
        )
    runner = outbox.OutboxRunner(make_sessionmaker(engine), server.settings)
    while runner.run_due(limit=500):
        pass
    assert runner.run_due() == 0  # nothing is left to send twice


def test_complaints_and_their_sms_survive_repeated_sigkill(
    server_env: tuple[Server, str],
) -> None:
    server, key = server_env
    tallies = _run_clients_through_kills(server, key)
    engine = make_engine(server.env["NIGRANI_DATABASE_URL"])
    try:
        _drain(server, engine)
        with make_sessionmaker(engine)() as session:
            _check_complaints(session, tallies)
            _check_sms(session)
    finally:
        engine.dispose()


def _marker_of(text: str) -> str:
    return text[text.index(MARK) :].removesuffix(").")


def _check_complaints(session: Session, tallies: list[Tally]) -> None:
    rows = session.execute(select(Complaint.text, Complaint.number)).all()
    stored = Counter(_marker_of(t) for t, _ in rows)
    numbers = {_marker_of(t): n for t, n in rows}
    accepted = {m: n for t in tallies for m, n in t.accepted.items()}
    in_doubt = {m for t in tallies for m in t.in_doubt}
    refused = {m for t in tallies for m in t.refused}
    assert len(accepted) > 20 and len(in_doubt) + len(refused) > 0  # the kills did land
    assert [m for m, times in stored.items() if times > 1] == []  # none twice
    assert {m: numbers.get(m) for m in accepted} == accepted  # every 2xx, same number
    assert refused.isdisjoint(stored)
    assert set(stored) <= set(accepted) | in_doubt
    assert len(accepted) <= len(rows) <= len(accepted) + len(in_doubt)


def _check_sms(session: Session) -> None:
    jobs = list(session.scalars(select(outbox.OutboxJob)))
    sent = list(session.scalars(select(SmsMessage)))
    numbers = list(session.scalars(select(Complaint.number)))
    assert {(j.kind, j.status, j.last_error) for j in jobs} == {("sms", outbox.DONE, None)}
    assert Counter(s.job_id for s in sent) == Counter(j.id for j in jobs)  # each once
    assert len(jobs) == len(numbers)  # one "registered" SMS per complaint, no orphans
    per_number = Counter(n for s in sent for n in numbers if f" {n} " in s.body)
    assert per_number == Counter(numbers)
