"""Event delivery end to end: a worker's spool and sender against the real app served by
uvicorn on a loopback port (one start for the module; it begins down, so the first test
sees connections refused), on a database of the module's own where transactions really
run side by side: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import SESSION_COOKIE
from nigrani.accounts.roles import Role
from nigrani.analytics.models import AnalyticsEvent, AnalyticsEventStep
from nigrani.analytics.rules import EventChange, RuleEvent
from nigrani.analytics.schemas import EventPost
from nigrani.analytics.spool import Backoff, Sender, Spool
from nigrani.app import create_app
from nigrani.core import clock as clocks
from nigrani.core.config import Settings
from nigrani.core.web_context import CSRF_COOKIE, CSRF_HEADER, csrf_token_for
from tests.accounts.factories import make_staff
from tests.analytics.event_fixtures import T0, worker_key
from tests.health.state_factories import at_once, own_database
from tests.serving import STOP_S, wait_healthy
from tests.stations.station_fixtures import make_camera

FAST = Backoff(first_s=0.02, max_s=0.2)


class LateServer:
    """The app on a loopback port that is bound at once but served only from `up()`: until
    then a connection is refused, as from a server that is down."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    def up(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(
                target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
            )
            self.thread.start()
            wait_healthy(self.url, self.thread.is_alive)

    def stop(self) -> None:
        if self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=STOP_S)
        self.sock.close()


@dataclass(slots=True)
class World:
    server: LateServer
    sessions: sessionmaker[Session]
    settings: Settings
    camera_id: int
    key: str
    officers: list[httpx.Client]


def _officer(url: str, settings: Settings, db: Session, username: str) -> httpx.Client:
    user = make_staff(db, Role.SHO, "S1", username)
    cookie = accounts_service.start_session(db, user=user, settings=settings)
    cookies = {SESSION_COOKIE: cookie, CSRF_COOKIE: "delivery-csrf"}
    headers = {CSRF_HEADER: csrf_token_for(settings.secret_key, "delivery-csrf")}
    return httpx.Client(base_url=url, cookies=cookies, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for sessions, settings in own_database(tmp_path_factory.mktemp("delivery")):
        fixed = clocks.FixedClock(T0)
        app = create_app(settings, clock=fixed)
        server = LateServer(app)
        with clocks.use(fixed), sessions() as db:
            camera = make_camera(db, settings)
            key = worker_key(db)["Authorization"].removeprefix("Bearer ")
            officers = [_officer(server.url, settings, db, f"sho-{i}") for i in (1, 2)]
            db.commit()
        try:
            yield World(server, sessions, settings, camera.id, key, officers)
        finally:
            for officer in officers:
                officer.close()
            server.stop()
            app.state.engine.dispose()


def change(camera_id: int, event: str, **fields: Any) -> dict[str, Any]:
    """One change of the event `event` (a uuid) on the camera, started two minutes ago."""
    body = {
        "uuid": event,
        "camera_id": camera_id,
        "kind": "long_wait",
        "started_at": T0 - timedelta(minutes=2),
        "ended_at": None,
        "peak": {"dwell_s": 600},
    }
    return body | fields


def rows(world: World, model: type[Any], *uuids: str) -> int:
    with world.sessions() as db:
        stmt = select(func.count()).select_from(model)
        if model is AnalyticsEventStep:
            stmt = stmt.join(AnalyticsEvent)
        return int(db.scalar(stmt.where(AnalyticsEvent.uuid.in_(uuids))) or 0)


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_changes_spooled_while_the_server_is_down_are_all_delivered_once_it_is_up(
    world: World, tmp_path: Path
) -> None:
    assert world.server.thread is None, "this test must see the server down: keep it first"
    spool = Spool(tmp_path / "spool")
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    spool.put(change(world.camera_id, first))
    spool.put(change(world.camera_id, first, peak={"dwell_s": 900}))
    spool.put(change(world.camera_id, second, kind="crowd_waiting", peak={"people": 4}))
    spool.put(change(world.camera_id, first, ended_at=T0 - timedelta(seconds=5)))
    sender = Sender(spool, server_url=world.server.url, token=world.key, backoff=FAST)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.05})
    thread.start()
    try:
        wait_for(lambda: sender.failures >= 3)  # refused, backing off
        assert len(spool.pending()) == 4 and sender.sent == 0
        world.server.up()
        wait_for(lambda: not spool.pending())
    finally:
        stop.set()
        thread.join(timeout=5)
        sender.close()
    assert (sender.sent, sender.rejected) == (4, 0)
    assert rows(world, AnalyticsEvent, first, second) == 2
    with world.sessions() as db:
        event = db.scalars(select(AnalyticsEvent).where(AnalyticsEvent.uuid == first)).one()
        assert json.loads(event.peak_json) == {"dwell_s": 900}
        assert event.ended_at == T0 - timedelta(seconds=5)


class DiesAfterPosting(Spool):
    """A spool whose process is killed after the server took a change, before the file went."""

    def done(self, path: Path) -> None:  # noqa: ARG002 - Spool.done's signature
        raise KeyboardInterrupt("killed")


def test_a_change_left_by_a_crash_mid_send_is_sent_again_and_recorded_once(
    world: World, tmp_path: Path
) -> None:
    world.server.up()
    event = str(uuid.uuid4())
    crashing = DiesAfterPosting(tmp_path / "spool")
    crashing.put(change(world.camera_id, event, peak={"dwell_s": 700}))
    sender = Sender(crashing, server_url=world.server.url, token=world.key, backoff=FAST)
    with pytest.raises(KeyboardInterrupt):
        sender.drain()
    sender.close()
    assert rows(world, AnalyticsEvent, event) == 1 and len(crashing.pending()) == 1
    restarted = Spool(tmp_path / "spool")
    again = Sender(restarted, server_url=world.server.url, token=world.key, backoff=FAST)
    assert again.drain() is None
    again.close()
    assert (again.sent, restarted.pending()) == (1, [])
    assert rows(world, AnalyticsEvent, event) == 1
    assert rows(world, AnalyticsEventStep, event) == 1  # raised once


class LosesItsDiskOnce(Spool):
    """A spool whose folder cannot be read once it is armed (a disk gone for a moment)."""

    armed = lost = False

    def pending(self) -> list[Path]:
        if self.armed and not self.lost:
            self.lost = True
            raise OSError("input/output error")
        return super().pending()


def test_a_spool_disk_error_is_waited_out_and_the_sender_keeps_going(
    world: World, tmp_path: Path
) -> None:
    world.server.up()
    spool = LosesItsDiskOnce(tmp_path / "spool")
    event = str(uuid.uuid4())
    spool.put(change(world.camera_id, event))
    spool.armed = True
    sender = Sender(spool, server_url=world.server.url, token=world.key, backoff=FAST)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,), kwargs={"idle_s": 0.05})
    thread.start()
    try:
        wait_for(lambda: sender.sent == 1)
    finally:
        stop.set()
        thread.join(timeout=5)
        sender.close()
    assert spool.lost and rows(world, AnalyticsEvent, event) == 1


def test_an_invalid_change_is_set_aside_with_its_reason_and_the_rest_still_go(
    world: World, tmp_path: Path
) -> None:
    world.server.up()
    spool = Spool(tmp_path / "spool")
    bad, good = str(uuid.uuid4()), str(uuid.uuid4())
    refused = spool.put(change(world.camera_id + 1000, bad))
    spool.put(change(world.camera_id, good))
    sender = Sender(spool, server_url=world.server.url, token=world.key, backoff=FAST)
    assert sender.drain() is None
    sender.close()
    assert (sender.sent, sender.rejected, spool.pending()) == (1, 1, [])
    assert (spool.rejected_dir / refused.name).exists()
    reason = json.loads((spool.rejected_dir / f"{refused.name}.reason.json").read_text())
    assert reason["status"] == 404 and "No station camera" in reason["reason"]
    assert rows(world, AnalyticsEvent, bad, good) == 1


def test_two_posts_of_one_event_at_once_make_one_row(world: World) -> None:
    world.server.up()
    auth = {"Authorization": f"Bearer {world.key}"}
    url = f"{world.server.url}/api/v1/analytics/events"
    events = [str(uuid.uuid4()) for _ in range(4)]
    for event in events:
        body = json.loads(json.dumps(change(world.camera_id, event), default=str))
        statuses: list[int] = []

        def post(
            barrier: threading.Barrier, body: dict[str, Any] = body, statuses: list[int] = statuses
        ) -> None:
            with httpx.Client(timeout=10) as client:
                barrier.wait()
                statuses.append(client.post(url, json=body, headers=auth).status_code)

        assert at_once(post) == []
        assert sorted(statuses) == [200, 201]
    assert rows(world, AnalyticsEvent, *events) == len(events)
    assert rows(world, AnalyticsEventStep, *events) == len(events)


def test_two_officers_acting_at_once_one_wins_and_the_other_is_told(world: World) -> None:
    world.server.up()
    auth = {"Authorization": f"Bearer {world.key}"}
    url = f"{world.server.url}/api/v1/analytics/events"
    body = json.loads(json.dumps(change(world.camera_id, str(uuid.uuid4())), default=str))
    event_id = httpx.post(url, json=body, headers=auth, timeout=10).json()["id"]
    answers: list[httpx.Response] = []
    officers = iter(world.officers)
    lock = threading.Lock()

    def acknowledge(barrier: threading.Barrier) -> None:
        with lock:
            officer = next(officers)
        barrier.wait()
        answers.append(
            officer.post(f"/api/v1/analytics/events/{event_id}/steps", json={"step": "acknowledge"})
        )

    assert at_once(acknowledge) == []
    assert sorted(a.status_code for a in answers) == [200, 409]
    lost = next(a for a in answers if a.status_code == 409)
    assert "acknowledged" in lost.json()["error"]["message"]
    with world.sessions() as db:
        steps = db.scalars(
            select(AnalyticsEventStep.step).where(AnalyticsEventStep.event_id == event_id)
        )
        assert sorted(steps) == ["acknowledge", "raised"]


def test_the_spool_keeps_whole_files_in_order_across_a_restart(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    made = [spool.put(change(1, str(uuid.uuid4()), peak={"n": i})) for i in range(3)]
    (tmp_path / ".tmp" / "half-written.json").write_text('{"uuid": ')  # a crash mid-put
    restarted = Spool(tmp_path)
    assert restarted.pending() == made
    assert not list((tmp_path / ".tmp").iterdir())
    later = restarted.put(change(1, str(uuid.uuid4())))
    assert restarted.pending() == [*made, later]
    body = json.loads(made[1].read_text())
    assert body["peak"] == {"n": 1}
    assert datetime.fromisoformat(body["started_at"]) == T0 - timedelta(minutes=2)
    snap = restarted.put(change(1, str(uuid.uuid4())), snapshot_jpeg=b"\xff\xd8\xff")
    assert json.loads(snap.read_text())["snapshot_jpeg_b64"] == "/9j/"


def test_the_rules_changes_are_spooled_as_the_server_reads_them(tmp_path: Path) -> None:
    event = RuleEvent(
        uuid=uuid.uuid4(), camera_id=3, kind="raised_voice", started_at=T0, peak={"db": 14.5}
    )
    path = Spool(tmp_path).put(EventChange(change="start", at=T0, event=event))
    posted = EventPost.model_validate(json.loads(path.read_text()))
    assert (posted.uuid, posted.station_camera_id, posted.kind) == (event.uuid, 3, "raised_voice")
    assert (posted.started_at, posted.peak) == (T0, {"db": 14.5})


def test_the_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    rng = random.Random(7)
    backoff = Backoff(first_s=1.0, max_s=30.0)
    delays = [backoff.delay(n, rng) for n in range(8)]
    for n, delay in enumerate(delays):
        cap = min(30.0, 2.0**n)
        assert cap / 2 <= delay <= cap
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, not fixed steps
    assert backoff.delay(500, rng) <= 30.0
