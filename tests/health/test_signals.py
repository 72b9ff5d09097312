"""A camera's extra signals against real fakes on 127.0.0.1 (health/onvif_fake.py): the HTTP
snapshot (a real JPEG of vtest.avi; 404, wrong type, too big, too slow), the ONVIF device
(SOAP 1.2 with digest passwords: information, PullPoint tamper events, a wrong password),
and what the prober records of them: the facts in the result, "tampered" only from the
camera's own tamper event and after K results, never from a failed ONVIF call, and no
password in logs or stored results. No RTSP stream is needed: the stream side is a
refused port, or a camera a recorder holds (judged from its row)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import av
import pytest
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.health import extras
from nigrani.health.models import HealthTarget
from nigrani.health.onvif import OnvifEndpoint, OnvifResult, check_onvif, tamper_topic
from nigrani.health.prober import Prober
from nigrani.health.schemas import SignalsUpdate
from nigrani.health.snapshot import fetch_snapshot
from nigrani.stations.models import StationCamera
from tests.conftest import fresh_database_url, make_settings
from tests.health.onvif_fake import FakeOnvif, FakeSnapshots, Route, serving
from tests.stations.station_fixtures import make_camera

K = 2
STREAM_SECRET = "stre4mSecret"
SNAP_SECRET = "sn4pSecret"
QUERY_SECRET = "qu3rySecret"
SCENE = "tns1:VideoSource/GlobalSceneChange/ImagingService"


def _jpeg_of_vtest(vtest: Path) -> bytes:
    """The first frame of vtest.avi as a JPEG, as a camera would serve it."""
    with av.open(str(vtest)) as container:
        frame = next(container.decode(video=0))
        out = io.BytesIO()
        Image.fromarray(frame.to_ndarray(format="rgb24")).save(out, format="JPEG", quality=85)
    return out.getvalue()


@dataclass
class Rig:
    factory: sessionmaker[Session]
    settings: Settings
    device: FakeOnvif
    snapshots: FakeSnapshots
    jpeg: bytes
    made: list[int] = field(default_factory=list)

    def camera(self, *, recorded: bool = False) -> int:
        """A station camera whose stream port refuses (or that a recorder holds and
        recorded just now); returns its target's id."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"rtsp://admin:{STREAM_SECRET}@127.0.0.1:{port}/live"
        with transaction(self.factory) as db:
            camera = make_camera(db, self.settings, name=f"cam {len(self.made)}", main_url=url)
            if recorded:
                camera.leased_by, camera.last_segment_at = "recorder-1", utcnow()
                camera.lease_until = utcnow() + timedelta(hours=1)
            self.made.append(camera.id)
        Prober(self.factory, self.settings).sync(force=True)
        with transaction(self.factory) as db:
            target = db.scalars(
                select(HealthTarget).where(HealthTarget.station_camera_id == camera.id)
            ).one()
            return target.id

    def set_signals(self, target_id: int, **fields: str) -> None:
        with transaction(self.factory) as db:
            target = db.get(HealthTarget, target_id)
            assert target is not None
            extras.update_signals(
                db, keys=self.settings.encryption_key, actor=audit.SYSTEM, target=target,
                data=SignalsUpdate(**fields), now=utcnow(),
            )  # fmt: skip

    def onvif(self, target_id: int, password: str | None = None) -> None:
        self.set_signals(
            target_id, onvif_host="127.0.0.1", onvif_port=str(self.device.port),
            onvif_user=self.device.user, onvif_password=password or self.device.password,
        )  # fmt: skip

    def probe(self) -> None:
        Prober(self.factory, self.settings, concurrency=2).run_once()

    def target(self, target_id: int) -> HealthTarget:
        with transaction(self.factory) as db:
            found = db.get(HealthTarget, target_id)
            assert found is not None
            return found

    def result(self, target_id: int) -> dict[str, object]:
        value = json.loads(self.target(target_id).last_result)
        assert isinstance(value, dict)
        return value


@pytest.fixture(scope="module")
def rig_base(tmp_path_factory: pytest.TempPathFactory, vtest: Path) -> Iterator[Rig]:
    tmp = tmp_path_factory.mktemp("signals")
    fast = {"health_confirm_probes": K, "health_timeout_s": 2.0, "health_read_s": 0.2}
    with serving() as (device, snapshots):
        for url in fresh_database_url(tmp):
            settings = make_settings(url, tmp / "var", **fast)
            upgrade(settings)
            engine = make_engine(url)
            try:
                jpeg = _jpeg_of_vtest(vtest)
                yield Rig(make_sessionmaker(engine), settings, device, snapshots, jpeg)
            finally:
                engine.dispose()


@pytest.fixture()
def rig(rig_base: Rig) -> Iterator[Rig]:
    """The module's rig, with the fakes reset; the cameras a test made are switched off
    after it (their targets drop out of the next sweep)."""
    rig_base.device.events, rig_base.device.delay_s = [], 0.0
    rig_base.snapshots.routes = {"/snap.jpg": Route(body=rig_base.jpeg)}
    yield rig_base
    with transaction(rig_base.factory) as db:
        db.execute(
            update(StationCamera).where(StationCamera.id.in_(rig_base.made)).values(enabled=False)
        )
    rig_base.made.clear()


# The snapshot check on its own: every way a camera's web server can answer.
def test_a_real_jpeg_is_measured(rig: Rig) -> None:
    got = fetch_snapshot(rig.snapshots.url("/snap.jpg"))
    assert got.ok and got.status == 200 and got.size == len(rig.jpeg)
    assert (got.width, got.height) == (768, 576)
    facts = got.measurements()
    assert facts["status_class"] == "2xx" and facts["type"] == "image/jpeg"
    assert 0 < facts["latency_ms"] < 1000


def test_a_png_is_a_picture_too(rig: Rig) -> None:
    out = io.BytesIO()
    Image.open(io.BytesIO(rig.jpeg)).save(out, format="PNG")
    rig.snapshots.routes["/snap.png"] = Route(content_type="image/png", body=out.getvalue())
    assert fetch_snapshot(rig.snapshots.url("/snap.png")).ok


@pytest.mark.parametrize(
    ("route", "problem", "status_class"),
    [
        (None, "http_status", "4xx"),  # 404: no such path
        (Route(status=503, body=b"busy"), "http_status", "5xx"),
        (Route(content_type="text/html", body=b"<html>login</html>"), "wrong_type", "2xx"),
        (Route(body=b"\xff\xd8\xff\xe0 truncated"), "not_image", "2xx"),
    ],
)
def test_a_snapshot_that_is_not_a_picture_is_named(
    rig: Rig, route: Route | None, problem: str, status_class: str
) -> None:
    if route is not None:
        rig.snapshots.routes["/bad"] = route
    got = fetch_snapshot(rig.snapshots.url("/bad"))
    assert (got.ok, got.problem, got.measurements()["status_class"]) == (
        False,
        problem,
        status_class,
    )


def test_a_png_sent_as_jpeg_is_refused(rig: Rig) -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    rig.snapshots.routes["/lies"] = Route(content_type="image/jpeg", body=out.getvalue())
    assert fetch_snapshot(rig.snapshots.url("/lies")).problem == "not_image"


@pytest.mark.parametrize("chunked", [False, True])
def test_a_snapshot_over_the_cap_is_too_big(rig: Rig, chunked: bool) -> None:
    rig.snapshots.routes["/big"] = Route(body=rig.jpeg * 40, chunked=chunked)  # ~2.3 MB
    got = fetch_snapshot(rig.snapshots.url("/big"))
    assert got.problem == "too_big" and got.size > 2_000_000


def test_a_slow_snapshot_times_out(rig: Rig) -> None:
    rig.snapshots.routes["/slow"] = Route(body=rig.jpeg, delay_s=0.6)
    got = fetch_snapshot(rig.snapshots.url("/slow"), timeout_s=0.2)
    assert got.problem == "timeout" and got.latency_ms < 600


def test_snapshot_credentials_go_as_basic_auth_and_never_into_the_result(rig: Rig) -> None:
    rig.snapshots.auth = "Basic " + base64.b64encode(f"viewer:{SNAP_SECRET}".encode()).decode()
    try:
        assert fetch_snapshot(rig.snapshots.url("/snap.jpg", f"viewer:{SNAP_SECRET}@")).ok
        refused = fetch_snapshot(rig.snapshots.url("/snap.jpg", "viewer:wrong@"))
        assert refused.problem == "http_status" and refused.status == 401
        gone = fetch_snapshot(f"http://viewer:{SNAP_SECRET}@127.0.0.1:1/snap.jpg")
        assert gone.problem == "unreachable" and SNAP_SECRET not in json.dumps(gone.measurements())
    finally:
        rig.snapshots.auth = None


# The ONVIF check on its own.
def test_onvif_device_information_and_an_active_tamper_event(rig: Rig) -> None:
    rig.device.events = [
        (SCENE, True, "State"),
        ("tns1:VideoSource/ImageTooDark/ImagingService", False, "State"),  # over: not active
        ("tns1:RuleEngine/CellMotionDetector/Motion", True, "IsMotion"),  # not tamper
    ]
    endpoint = OnvifEndpoint("127.0.0.1", rig.device.port, "admin", rig.device.password)
    got = check_onvif(endpoint)
    assert (got.problem, got.manufacturer, got.model) == ("", "Hikvision", "DS-2CD2043G2-I")
    assert got.firmware == "V5.7.3 build 220112" and got.events
    assert got.tamper == ["VideoSource/GlobalSceneChange"]
    assert rig.device.calls[-3:] == ["CreatePullPointSubscription", "PullMessages", "Unsubscribe"]


def test_onvif_is_asked_from_a_thread_whose_event_loop_runs(rig: Rig) -> None:
    """Where a loop already runs in the caller's thread (Playwright's sync API leaves one in
    a test's main thread), the check runs its own loop elsewhere instead of failing."""
    rig.device.events = [(SCENE, True, "State")]
    endpoint = OnvifEndpoint("127.0.0.1", rig.device.port, "admin", rig.device.password)

    async def inside_a_loop() -> OnvifResult:
        return check_onvif(endpoint)

    # The loop runs in a thread of the test's own (the test's main thread may hold one).
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(asyncio.run, inside_a_loop()).result(timeout=30)
    assert (got.problem, got.model, got.tamper) == (
        "",
        "DS-2CD2043G2-I",
        ["VideoSource/GlobalSceneChange"],
    )


def test_tamper_topics_are_matched_whatever_the_prefix() -> None:
    assert tamper_topic("tns1:VideoSource/SignalLoss") == "VideoSource/SignalLoss"
    assert tamper_topic("ns0:VideoSource/ImageTooBlurry/AnalyticsService") == (
        "VideoSource/ImageTooBlurry"
    )
    assert tamper_topic("tns1:VideoSource/MotionAlarm") is None


def test_onvif_wrong_password_and_silence_are_problems_not_exceptions(rig: Rig) -> None:
    wrong = check_onvif(OnvifEndpoint("127.0.0.1", rig.device.port, "admin", "N0tThis1"))
    assert (wrong.problem, wrong.events) == ("auth", False)
    assert "N0tThis1" not in json.dumps(wrong.measurements())
    rig.device.delay_s = 1.0
    slow = check_onvif(
        OnvifEndpoint("127.0.0.1", rig.device.port, "admin", rig.device.password), timeout_s=0.3
    )
    assert slow.problem == "timeout" and slow.elapsed_ms < 900


# Through the prober.
def test_stream_down_snapshot_answers(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    target_id = rig.camera()
    url = rig.snapshots.url(f"/snap.jpg?pwd={QUERY_SECRET}", f"u:{SNAP_SECRET}@")
    rig.snapshots.routes[f"/snap.jpg?pwd={QUERY_SECRET}"] = Route(body=rig.jpeg)
    rig.set_signals(target_id, snapshot_url=url)
    rig.probe()
    basic = base64.b64encode(f"u:{SNAP_SECRET}".encode()).decode()
    for secret in (SNAP_SECRET, QUERY_SECRET, STREAM_SECRET, basic):
        assert secret not in caplog.text and secret not in rig.target(target_id).last_result
    assert "GET http://127.0.0.1:" in caplog.text  # httpx's own line, masked
    result = rig.result(target_id)
    assert rig.target(target_id).state == "offline" and result["reason"] == "refused"
    assert result["detail"] == extras.SNAPSHOT_ANSWERS
    snapshot = result["snapshot"]
    assert isinstance(snapshot, dict) and snapshot["ok"] and snapshot["bytes"] == len(rig.jpeg)


def test_onvif_info_is_stored_and_a_tamper_event_degrades_after_k(rig: Rig) -> None:
    target_id = rig.camera(recorded=True)
    rig.onvif(target_id)
    rig.probe()
    assert (rig.target(target_id).state, rig.target(target_id).reason) == ("working", "")
    onvif = rig.result(target_id)["onvif"]
    assert isinstance(onvif, dict)
    assert (onvif["manufacturer"], onvif["model"]) == ("Hikvision", "DS-2CD2043G2-I")
    assert onvif["firmware"] == "V5.7.3 build 220112" and onvif["tamper"] == []
    rig.device.events = [(SCENE, True, "State")]
    rig.probe()
    first = rig.target(target_id)
    assert (first.state, first.candidate_reason, first.candidate_count) == (
        "working", "tampered", 1,
    )  # fmt: skip
    rig.probe()
    second = rig.target(target_id)
    assert (second.state, second.reason) == ("degraded", "tampered")
    result = rig.result(target_id)
    assert result["tamper_topic"] == "VideoSource/GlobalSceneChange"
    assert result["scores"] == {"onvif_tamper": 1}


def test_onvif_failure_is_recorded_and_changes_no_state(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    working, tampered = rig.camera(recorded=True), rig.camera(recorded=True)
    rig.device.events = [(SCENE, True, "State")]
    rig.onvif(working, password="Wr0ngPass!")
    rig.onvif(tampered)
    rig.probe()  # from unknown the first result applies at once
    assert rig.target(tampered).reason == "tampered" and rig.target(working).state == "working"
    rig.onvif(tampered, password="Wr0ngPass!")
    for _ in range(K + 1):
        rig.probe()
    for target_id, state in ((working, ("working", "")), (tampered, ("degraded", "tampered"))):
        target = rig.target(target_id)
        assert (target.state, target.reason, target.candidate_count) == (*state, 0)
        onvif = rig.result(target_id)["onvif"]
        assert isinstance(onvif, dict) and onvif["problem"] == "auth"
    stored = " ".join(rig.target(t).last_result for t in (working, tampered))
    for secret in ("Wr0ngPass!", rig.device.password, STREAM_SECRET):
        assert secret not in caplog.text and secret not in stored
    with transaction(rig.factory) as db:
        encrypted = db.get(HealthTarget, tampered)
        assert encrypted is not None and encrypted.onvif_enc
        assert "Wr0ngPass!" not in encrypted.onvif_enc and encrypted.onvif_masked.startswith(
            "127.0.0.1:"
        )
        rows = audit.entries_for(db, object_type="health_target", object_id=str(tampered))
        details = " ".join(row.detail for row in rows)
    assert "Wr0ngPass!" not in details and "127.0.0.1:" in details
