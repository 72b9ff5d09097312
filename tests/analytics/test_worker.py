"""The analytics worker end to end: a simulated camera's RTSP stream of vtest.avi (people on
a pavement) read by the worker in this process, NanoDet, the tracker, a waiting zone over
the pavement and crowd_waiting set low (2 people for 3 s), posting to the real app served
by uvicorn on a loopback port: the event lands once, with its snapshot; a killed stream is
reconnected, and the events it had open end while it is away; a clean stop ends the open
events and delivers them; a SIGKILLed worker's open events are ended by the worker that
takes its camera, at its last lease renewal."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction
from nigrani.analytics import rule_settings
from nigrani.analytics.detector import build_detector
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.spool import Spool
from nigrani.analytics.worker import Worker
from nigrani.app import create_app
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.stations.models import StationCamera
from nigrani.stations.simulator import Simulator
from tests.analytics.event_fixtures import worker_key
from tests.conftest import command_env, fresh_database_url, make_settings
from tests.serving import in_thread, nigrani
from tests.stations.conftest import rtsp_cameras  # noqa: F401 - the session's camera rig
from tests.stations.station_fixtures import make_camera

PAVEMENT = [(0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 1.0)]  # vtest's walkers' feet


class RememberingSpool(Spool):
    """The worker's spool, remembering the uuid of every event change put in it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.starts: dict[str, str] = {}  # uuid -> kind
        self.ends: set[str] = set()

    def put(self, change: object, *, snapshot_jpeg: bytes | None = None) -> Path:
        event = change.event  # type: ignore[attr-defined]
        if change.change == "start":  # type: ignore[attr-defined]
            self.starts[str(event.uuid)] = event.kind
        if change.change == "end":  # type: ignore[attr-defined]
            self.ends.add(str(event.uuid))
        return super().put(change, snapshot_jpeg=snapshot_jpeg)


@dataclass(slots=True)
class Rig:
    sessions: sessionmaker[Session]
    settings: Settings
    camera_id: int
    camera_name: str
    database_url: str


@pytest.fixture(scope="module")
def rig(
    rtsp_cameras: Simulator,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("worker")
    camera = rtsp_cameras.cameras[0]
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as db:
            row = make_camera(
                db,
                settings,
                name=camera.name,
                main_url=camera.main_url,
                sub_url=camera.sub_url,
                zones=[{"name": "pavement", "points": PAVEMENT, "kind": "waiting"}],
            )
            patch = {"crowd_waiting": {"min_people": 2, "for_s": 3, "grace_s": 2}}
            station = jurisdiction.get_by_code(db, "S1")
            rule_settings.save_station_rules(
                db, station=station, patch=patch, actor=audit.SYSTEM, now=utcnow()
            )
            key = worker_key(db)["Authorization"].removeprefix("Bearer ")
            camera_id = row.id
        app = create_app(settings)
        try:
            with in_thread(app) as served:
                worker_settings = settings.model_copy(
                    update={
                        "analytics_server_url": served,
                        "analytics_token": type(settings.analytics_token)(key),
                        "analytics_fps": 3.0,
                        "analytics_lease_s": 6,
                        "analytics_max_gap_s": 3.0,
                    }
                )
                yield Rig(sessions, worker_settings, camera_id, camera.name, url)
        finally:
            app.state.engine.dispose()
            engine.dispose()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def events(rig: Rig) -> list[AnalyticsEvent]:
    with rig.sessions() as db:
        stmt = select(AnalyticsEvent).where(AnalyticsEvent.station_camera_id == rig.camera_id)
        return list(db.scalars(stmt))


def test_a_crowd_on_the_pavement_is_posted_once_and_a_killed_stream_comes_back(
    rig: Rig,
    rtsp_cameras: Simulator,  # noqa: F811
    tmp_path: Path,
) -> None:
    spool = RememberingSpool(tmp_path / "spool")
    worker = Worker(
        rig.sessions,
        rig.settings,
        max_cameras=4,
        detector=build_detector(rig.settings),
        spool=spool,
        timeout_s=2.0,
    )
    thread = threading.Thread(target=worker.run, name="test-worker", daemon=True)
    thread.start()
    try:
        crowd = lambda: any(e.kind == "crowd_waiting" for e in events(rig))  # noqa: E731
        wait_for(crowd, 12, "a crowd_waiting event in the database")
        feed = worker.cameras[rig.camera_id].feed
        kept = feed.kept
        rtsp_cameras.kill(rig.camera_name)
        try:
            wait_for(lambda: feed.failures >= 1, 6, "the feed to notice the stream died")
            ended = lambda: all(e.ended_at for e in events(rig) if e.kind == "crowd_waiting")  # noqa: E731
            wait_for(ended, 8, "the camera's open events to end while it is away")
        finally:
            rtsp_cameras.restart(rig.camera_name)
        wait_for(lambda: feed.stats.sessions >= 2 and feed.kept > kept + 3, 8, "a reconnect")
    finally:
        worker.stop_event.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert spool.pending() == [] and list(spool.rejected_dir.glob("*.json")) == []
    rows = {e.uuid: e for e in events(rig)}
    assert set(rows) == set(spool.starts), "every event started lands once, nothing else"
    crowds = [e for e in rows.values() if e.kind == "crowd_waiting"]
    assert crowds and all(e.snapshot_item_id is not None for e in crowds)
    assert all(json.loads(e.peak_json)["max_people"] >= 2 for e in crowds)
    assert all(e.ended_at is not None for e in rows.values()), "a clean stop ends them"
    assert set(spool.starts) <= spool.ends
    with rig.sessions() as db:
        camera = db.get(StationCamera, rig.camera_id)
        assert camera is not None and camera.analytics_leased_by is None
        assert camera.leased_by is None  # the recorder's lease is another's


def lease_holder(rig: Rig) -> str | None:
    with rig.sessions() as db:
        camera = db.get(StationCamera, rig.camera_id)
        return camera.analytics_leased_by if camera else None


def test_the_worker_command_watches_until_sigterm_and_gives_its_camera_back(
    rig: Rig, tmp_path: Path
) -> None:
    settings = rig.settings
    extra = {
        "NIGRANI_ANALYTICS_SERVER_URL": settings.analytics_server_url,
        "NIGRANI_ANALYTICS_TOKEN": settings.analytics_token.get_secret_value(),
        "NIGRANI_ANALYTICS_SPOOL_DIR": str(tmp_path / "spool"),
        "NIGRANI_ANALYTICS_LEASE_S": "6",
    }
    env = {**os.environ, **command_env(rig.database_url, tmp_path / "var", **extra)}
    argv = nigrani("worker", "--name", "w-sigterm", "--status-every", "0.1", "--timeout", "2")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: lease_holder(rig) == "w-sigterm", 20, "the worker's lease")
        # its status table, printed at each heartbeat, counts the frames analysed
        working = re.compile(r"Worker w-sigterm: [1-9]\d* frames")
        wait_for(lambda: bool(working.search(log.read_text(errors="replace"))), 15, "frames")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, text[-2000:]
    analysed = re.search(r"stopped after \d+ s: (\d+) frames", text)
    assert analysed and int(analysed.group(1)) > 0, text[-2000:]
    assert "leases released" in text and "Traceback" not in text
    assert lease_holder(rig) is None


def _worker(rig: Rig, tmp_path: Path, name: str, spool: Path) -> subprocess.Popen[bytes]:
    settings = rig.settings
    extra = {
        "NIGRANI_ANALYTICS_SERVER_URL": settings.analytics_server_url,
        "NIGRANI_ANALYTICS_TOKEN": settings.analytics_token.get_secret_value(),
        "NIGRANI_ANALYTICS_SPOOL_DIR": str(spool),
        "NIGRANI_ANALYTICS_LEASE_S": "6",
    }
    env = {**os.environ, **command_env(rig.database_url, tmp_path / name, **extra)}
    argv = nigrani("worker", "--name", name, "--status-every", "0.5", "--timeout", "2")
    with (tmp_path / f"{name}.log").open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def _overlapping(rows: list[AnalyticsEvent]) -> list[tuple[str, str]]:
    """Pairs of same-kind events on the camera open at the same time."""
    far = utcnow() + timedelta(days=1)
    spans = sorted((e.kind, _aware(e.started_at), _aware(e.ended_at or far), e.uuid) for e in rows)
    pairs: list[tuple[str, str]] = []
    for i, (kind, _start, end, key) in enumerate(spans):
        pairs += [(key, b[3]) for b in spans[i + 1 :] if b[0] == kind and b[1] < end]
    return pairs


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def test_a_sigkilled_workers_open_events_are_ended_by_the_worker_that_takes_its_camera(
    rig: Rig, tmp_path: Path
) -> None:
    before = {e.uuid for e in events(rig)}
    killed = _worker(rig, tmp_path, "w-kill", tmp_path / "spool-kill")
    try:

        def open_crowd() -> list[AnalyticsEvent]:
            return [
                e
                for e in events(rig)
                if e.uuid not in before and e.kind == "crowd_waiting" and e.ended_at is None
            ]

        wait_for(lambda: bool(open_crowd()), 30, "the first worker's open crowd event")
        left_open = {e.uuid for e in open_crowd()}
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=10)
        killed_at = utcnow()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
    assert lease_holder(rig) == "w-kill", "a SIGKILLed worker gives nothing back"
    assert all(e.ended_at is None for e in events(rig) if e.uuid in left_open)
    after = _worker(rig, tmp_path, "w-after", tmp_path / "spool-after")
    try:
        wait_for(lambda: lease_holder(rig) == "w-after", 30, "the camera to move on")
        ended = lambda: all(e.ended_at for e in events(rig) if e.uuid in left_open)  # noqa: E731
        wait_for(ended, 15, "the killed worker's events to end")
        new = lambda: any(  # noqa: E731
            e.kind == "crowd_waiting" and e.uuid not in before | left_open for e in events(rig)
        )
        wait_for(new, 30, "the new worker's own crowd event")
        after.send_signal(signal.SIGTERM)
        after.wait(timeout=20)
    finally:
        if after.poll() is None:
            after.kill()
            after.wait()
    text = (tmp_path / "w-after.log").read_text(errors="replace")
    assert after.returncode == 0 and "Traceback" not in text, text[-2000:]
    assert "left open by a camera's last worker" in text
    rows = [e for e in events(rig) if e.uuid not in before]
    for event in rows:
        if event.uuid in left_open:
            assert event.ended_at is not None
            # ended at the killed worker's last renewal: before it died, not when it was found
            assert _aware(event.ended_at) <= killed_at
    assert _overlapping(rows) == [], "a new episode never opens beside a killed one"
    assert all(e.ended_at is not None for e in rows)
    assert list((tmp_path / "spool-after").glob("*.json")) == []
    assert list((tmp_path / "spool-after" / "rejected").glob("*.json")) == []
