"""The prober against the real RTSP simulator, on a database of its own (its threads
commit for real; SQLite, or PostgreSQL with NIGRANI_TEST_DATABASE_URL): targets follow the
cameras; a sweep judges each camera; a camera that dies is offline after K probes and
working again K probes after it recovers; a recorder's camera is judged from the
recorder's files and row without a connection; two `nigrani prober` processes share the
cameras and one SIGKILLed loses none; no credential in logs or stored results."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from nigrani.cameras.models import Camera
from nigrani.cameras.schemas import CameraIn
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.core.security import FieldCipher
from nigrani.health import targets
from nigrani.health.models import HealthOutage, HealthTarget
from nigrani.health.prober import Prober
from nigrani.health.recorded import RecorderView, live_result, recorder_result
from nigrani.stations.models import StationCamera
from nigrani.stations.recorder.live import live_dir
from nigrani.stations.simulator import Simulator
from nigrani.stations.simulator_media import require_tools
from tests.cameras.factories import make_site
from tests.conftest import command_env, fresh_database_url, make_settings
from tests.stations.conftest import rtsp_cameras  # noqa: F401 - the session's camera rig
from tests.stations.recorder_fixtures import wait_for
from tests.stations.station_fixtures import make_camera

SECRET = "pr0berSecret"
K = 2
FAST = {
    "health_confirm_probes": K,
    "health_read_s": 0.5,
    "health_timeout_s": 3.0,
    "health_interval_s": 10,
    "health_socket_interval_s": 5,
    "health_lease_s": 5,
}


def secret(url: str) -> str:
    return url.replace("rtsp://", f"rtsp://admin:{SECRET}@", 1)


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return secret(f"rtsp://127.0.0.1:{port}/gone")


@dataclass
class ProberDb:
    url: str
    var: Path
    factory: sessionmaker[Session]
    ids: dict[str, int]  # target ids by name: cam01, cam02, refused, station

    def settings(self, **overrides: object) -> Settings:
        return make_settings(self.url, self.var, **(FAST | overrides))

    def target(self, name: str) -> HealthTarget:
        with transaction(self.factory) as session:
            row = session.get(HealthTarget, self.ids[name])
            assert row is not None
            return row

    def result(self, name: str) -> dict[str, object]:
        value = json.loads(self.target(name).last_result)
        assert isinstance(value, dict)
        return value

    def stored_text(self) -> str:
        with transaction(self.factory) as session:
            rows = session.scalars(select(HealthTarget)).all()
            outages = session.scalars(select(HealthOutage)).all()
            return " ".join(
                [r.last_result + r.baseline for r in rows] + [o.reason for o in outages]
            )

    def due_now(self, *, spread_s: float = 0.0) -> None:
        """Every target due now (or one every spread_s seconds from now)."""
        with transaction(self.factory) as session:
            for n, target_id in enumerate(sorted(self.ids.values())):
                due = utcnow() + timedelta(seconds=n * spread_s)
                session.execute(
                    update(HealthTarget).where(HealthTarget.id == target_id).values(due_at=due)
                )


@pytest.fixture(autouse=True)
def _served(rtsp_cameras: Simulator) -> None:  # noqa: F811
    """Each test starts with the rig's cameras served: an earlier test on this worker may
    have killed one whose publisher is still being restarted (seen in CI on a slow host)."""
    rtsp_cameras.wait_served()


@pytest.fixture(scope="module")
def prober_db(
    rtsp_cameras: Simulator,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ProberDb]:
    tmp = tmp_path_factory.mktemp("prober-db")
    cam01, cam02, cam03 = rtsp_cameras.cameras
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            station = make_camera(
                session, settings, station="S3", name="cam03",
                main_url=secret(cam03.main_url), sub_url=secret(cam03.sub_url or ""),
            )  # fmt: skip
            site = make_site(
                session, settings, category="smart_city", owner_name=None, owner_mobile=None,
                camera_count=4, cameras=[
                    CameraIn(label="cam01", linked=True, stream_url=secret(cam01.main_url),
                             substream_url=secret(cam01.sub_url or "")),
                    CameraIn(label="cam02", linked=True, stream_url=secret(cam02.main_url),
                             substream_url=secret(cam02.sub_url or "")),
                    CameraIn(label="refused", linked=True, stream_url=refused_url()),
                    CameraIn(label="not linked", linked=False, stream_url=secret(cam01.main_url)),
                ],
            )  # fmt: skip
            assert targets.sync(session, utcnow(), interval_s=10) == 4
            ids = {}
            for target in session.scalars(select(HealthTarget)):
                if target.station_camera_id == station.id:
                    ids["station"] = target.id
                else:
                    camera = session.get(Camera, target.registry_camera_id)
                    assert camera is not None and camera.site_id == site.id
                    ids[camera.label] = target.id
        yield ProberDb(url, tmp / "var", factory, ids)
        engine.dispose()


def test_targets_follow_the_cameras(prober_db: ProberDb) -> None:
    with transaction(prober_db.factory) as session:
        rows = {r.id: r for r in session.scalars(select(HealthTarget))}
        assert set(rows) == set(prober_db.ids.values())
        station = rows[prober_db.ids["station"]]
        assert (station.category_code, station.team) == ("station", "station")
        cam01 = rows[prober_db.ids["cam01"]]
        assert (cam01.category_code, cam01.team) == ("smart_city", "smart_city")
        dues = sorted(r.due_at for r in rows.values())
        assert len(set(dues)) == 4 and dues[-1] - dues[0] < timedelta(seconds=10)
        assert targets.sync(session, utcnow(), interval_s=10) == 0  # nothing changed
        refused = rows[prober_db.ids["refused"]]
        session.execute(
            update(Camera).where(Camera.id == refused.registry_camera_id).values(linked=False)
        )
        assert targets.sync(session, utcnow(), interval_s=10) == 1
        session.refresh(refused)
        assert not refused.enabled
        session.execute(
            update(Camera).where(Camera.id == refused.registry_camera_id).values(linked=True)
        )
        assert targets.sync(session, utcnow(), interval_s=10) == 1
        session.refresh(refused)
        assert refused.enabled and refused.leased_by is None


def test_a_sweep_judges_every_camera(prober_db: ProberDb, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    settings = prober_db.settings()
    prober = Prober(prober_db.factory, settings, concurrency=4, name="sweep")
    assert prober.run_once() == 4
    prober.shutdown()
    for name in ("cam01", "cam02", "station"):
        target = prober_db.target(name)
        assert (target.state, target.reason) == ("working", ""), prober_db.result(name)
        assert target.leased_by is None and target.due_at > utcnow()
        result = prober_db.result(name)
        assert result["check"] == "probe" and result["codec"] == "h264"
        assert result["width"] == 384 and result["by"] == "sweep"
        reference = target.reference_day or target.reference_night
        assert reference and (settings.media_path / reference).is_file()
        # the latest view, shown beside the reference on the camera's health panel
        assert (settings.media_path / "health" / f"{target.id}-current.jpg").is_file()
        assert json.loads(target.baseline)
    refused = prober_db.target("refused")
    assert (refused.state, refused.reason) == ("offline", "refused")
    with transaction(prober_db.factory) as session:
        camera = session.get(Camera, refused.registry_camera_id)
        assert camera is not None and camera.health == "offline"
    assert SECRET not in caplog.text and SECRET not in prober_db.stored_text()


def test_a_dead_camera_is_offline_after_k_probes_and_working_after_k_more(
    prober_db: ProberDb,
    rtsp_cameras: Simulator,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    prober = Prober(prober_db.factory, prober_db.settings(), concurrency=4, name="k")
    prober.run_once()
    assert prober_db.target("cam02").state == "working"
    rtsp_cameras.kill("cam02")
    try:
        for _ in range(K - 1):
            prober.run_once()
            target = prober_db.target("cam02")
            assert target.state == "working" and target.candidate_state == "offline"
        prober.run_once()
        target = prober_db.target("cam02")
        assert (target.state, target.reason) == ("offline", "no_frames")
    finally:
        rtsp_cameras.restart("cam02")
    for _ in range(K - 1):
        prober.run_once()
        assert prober_db.target("cam02").state == "offline"
    prober.run_once()
    prober.shutdown()
    assert prober_db.target("cam02").state == "working"
    with transaction(prober_db.factory) as session:
        outages = session.scalars(
            select(HealthOutage).where(HealthOutage.target_id == prober_db.ids["cam02"])
        ).all()
    assert [(o.state, o.reason, o.end_at is not None) for o in outages] == [
        ("offline", "no_frames", True)
    ]
    assert SECRET not in caplog.text and SECRET not in prober_db.stored_text()


def test_between_full_probes_only_a_connect_check(prober_db: ProberDb) -> None:
    prober = Prober(prober_db.factory, prober_db.settings(), concurrency=4, name="socket")
    prober.run_once()
    full = prober.counters.probes
    prober_db.due_now()
    prober.tick()
    wait_for(lambda: not prober.status()["running"], 20, "the checks to end")
    prober.shutdown()
    # The three working cameras get a connect check; the offline one a full probe again.
    assert prober.counters.sockets == 3 and prober.counters.probes == full + 1
    assert prober_db.result("cam01")["check"] == "probe"  # a good connect records nothing
    assert prober_db.target("cam01").due_at > utcnow()


def test_a_recorded_camera_is_judged_from_the_recorder(prober_db: ProberDb) -> None:
    settings = prober_db.settings()
    cipher = FieldCipher(settings.encryption_key)
    station_id = prober_db.target("station").station_camera_id
    with transaction(prober_db.factory) as session:
        camera = session.get(StationCamera, station_id)
        assert camera is not None
        saved = (camera.main_url_enc, camera.sub_url_enc)
        # Any connection to the camera would now be refused: a result says none was made.
        camera.main_url_enc = camera.sub_url_enc = cipher.encrypt(refused_url())
        camera.leased_by, camera.lease_until = "recorder-1", utcnow() + timedelta(minutes=1)
        camera.last_segment_at, camera.last_error = utcnow(), ""
    prober = Prober(prober_db.factory, settings, scope="S3", concurrency=4, name="rec")
    try:
        prober.run_once()
        result = prober_db.result("station")
        assert result["check"] == "recorder" and result["reason"] == ""
        assert prober_db.target("station").state == "working"
        # Between full checks a recorded camera gets no connect check: it only waits.
        prober_db.due_now()
        recorded = prober.counters.recorded
        prober.tick()
        wait_for(lambda: not prober.status()["running"], 20, "the check to end")
        assert (prober.counters.sockets, prober.counters.recorded) == (0, recorded)
        assert prober_db.target("station").due_at > utcnow()
        with transaction(prober_db.factory) as session:
            session.execute(
                update(StationCamera)
                .where(StationCamera.id == station_id)
                .values(
                    last_segment_at=utcnow() - timedelta(minutes=30),
                    last_error="Connection refused",
                )
            )
        for _ in range(K):
            prober.run_once()
        target = prober_db.target("station")
        assert (target.state, target.reason) == ("offline", "refused")
        assert prober_db.result("station")["check"] == "recorder"
    finally:
        prober.shutdown()
        with transaction(prober_db.factory) as session:
            session.execute(
                update(StationCamera)
                .where(StationCamera.id == station_id)
                .values(
                    main_url_enc=saved[0],
                    sub_url_enc=saved[1],
                    leased_by=None,
                    lease_until=None,
                    last_error="",
                )
            )
    prober = Prober(prober_db.factory, settings, scope="S3", concurrency=4, name="after")
    for _ in range(K):
        prober.run_once()
    prober.shutdown()
    assert prober_db.target("station").state == "working"
    assert prober_db.result("station")["check"] == "probe"


def test_live_files_give_the_recorders_frames(
    rtsp_cameras: Simulator,  # noqa: F811
    tmp_path: Path,
) -> None:
    folder = live_dir(tmp_path / "live", 7, "sub")
    folder.mkdir(parents=True)
    source = rtsp_cameras.cameras[0].sub_file
    assert source is not None
    subprocess.run(
        [
            require_tools()["ffmpeg"], "-nostdin", "-v", "error", "-t", "3", "-i", str(source),
            "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init_1.mp4",
            "-hls_segment_filename", str(folder / "seg_1_%d.m4s"), str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    result = live_result(folder, segment_s=1.0, read_s=2.0, max_frames=6)
    assert result is not None and result.reason == "" and result.transport == "recorder"
    assert (result.codec, result.width, result.height) == ("h264", 384, 288)
    assert 1 <= len(result.frames) <= 6 and result.frames[0].shape == (240, 320)
    assert result.audio and result.audio_db is not None
    view = RecorderView(7, "sub", None, "")
    found = recorder_result(
        view, live_path=tmp_path / "live", live_segment_s=1.0, recording_segment_s=60,
        now=utcnow(), read_s=2.0, max_frames=6,
    )  # fmt: skip
    assert found.frames and found.reason == ""
    os.utime(folder / "index.m3u8", (time.time() - 600, time.time() - 600))
    stale = recorder_result(
        view, live_path=tmp_path / "live", live_segment_s=1.0, recording_segment_s=60,
        now=utcnow(), read_s=2.0, max_frames=6,
    )  # fmt: skip
    assert stale.reason == "no_frames" and not stale.frames


def _prober(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nigrani", "prober", "--name", name, "--concurrency", "1"],
            env={**os.environ, **env},
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_probers_share_the_cameras_and_a_killed_one_loses_none(
    prober_db: ProberDb, tmp_path: Path
) -> None:
    settings = {f"NIGRANI_{k.upper()}": str(v) for k, v in FAST.items()}
    env = command_env(prober_db.url, prober_db.var, **settings)
    prober_db.due_now(spread_s=1.0)
    began = utcnow()
    logs = {name: tmp_path / f"{name}.log" for name in ("A", "B")}
    a, b = _prober(env, "A", logs["A"]), _prober(env, "B", logs["B"])
    try:

        def probed_by() -> set[object]:
            with transaction(prober_db.factory) as session:
                rows = session.scalars(select(HealthTarget).where(HealthTarget.enabled))
                return {
                    json.loads(r.last_result).get("by")
                    for r in rows
                    if r.last_probe_at and r.last_probe_at > began
                }

        wait_for(lambda: {"A", "B"} <= probed_by(), 40, "both probers to probe cameras")

        def held_by_a() -> list[int]:
            with transaction(prober_db.factory) as session:
                stmt = select(HealthTarget.id).where(HealthTarget.leased_by == "A")
                return list(session.scalars(stmt))

        wait_for(lambda: bool(held_by_a()), 30, "prober A to hold a camera")
        a.send_signal(signal.SIGKILL)
        a.wait()
        killed_at = utcnow()
        orphans = held_by_a()

        def all_probed_by_b() -> bool:
            with transaction(prober_db.factory) as session:
                rows = list(session.scalars(select(HealthTarget).where(HealthTarget.enabled)))
            return all(
                r.last_probe_at is not None
                and r.last_probe_at > killed_at
                and json.loads(r.last_result).get("by") == "B"
                for r in rows
            )

        wait_for(all_probed_by_b, 40, "prober B to probe every camera after A died")
        with transaction(prober_db.factory) as session:
            for target_id in orphans:
                target = session.get(HealthTarget, target_id)
                assert target is not None and target.leased_by != "A"
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        assert b.wait(timeout=30) == 0
        a.wait(timeout=10)
        for name, log in logs.items():  # shown when the test fails
            print(f"--- prober {name}:", log.read_text(errors="replace")[-3000:])
    with transaction(prober_db.factory) as session:
        assert not session.scalars(
            select(HealthTarget.id).where(HealthTarget.leased_by == "B")
        ).all()  # B released its leases when it stopped
    for log in logs.values():
        assert SECRET not in log.read_text(errors="replace")
    assert SECRET not in prober_db.stored_text()
