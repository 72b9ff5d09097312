"""Station CCTV in Chromium, on real streams: three simulated RTSP cameras at one demo station
are recorded by the real recorder; the Commissioner watches the live wall (tiles moving),
the full view with its sound turned on by a click, and plays back a past moment of two
cameras side by side. Every view leaves one audit row. (The documentation's wall, live and
playback pictures are taken of the demo's own cameras, in test_demo_wall.py.)"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.moments import local_input
from nigrani.demo.kanpur import STATIONS
from nigrani.stations import service
from nigrani.stations.models import RecordingSegment, StationCamera
from nigrani.stations.recorder.process import Recorder
from nigrani.stations.schemas import StationCameraCreate
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import sign_in

MEDIA_DIR = Path(__file__).resolve().parents[2] / "var" / "simulator"
# A demo station without the demo's own station cameras, so the wall shows only these.
STATION = f"KNP-S-{STATIONS[-1].key}"
ROLES = ("reception", "lockup", "corridor")
SEGMENT_S = 2.0
ADVANCING = """([selector, seconds]) => {
  const videos = [...document.querySelectorAll(selector)];
  return videos.length > 0 && videos.every(v => v.currentTime > seconds && !v.paused);
}"""


@dataclass(frozen=True, slots=True)
class StationVideo:
    """The recorded cameras: the station's id, camera ids, and a session factory."""

    station_id: int
    camera_ids: list[int]
    factory: sessionmaker[Session]

    def segments(self, camera_id: int) -> list[RecordingSegment]:
        with transaction(self.factory) as session:
            stmt = select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
            return list(session.scalars(stmt.order_by(RecordingSegment.start_at)))

    def actions(self, actor: str) -> list[str]:
        with transaction(self.factory) as session:
            stmt = select(audit.AuditEntry.action).where(audit.AuditEntry.actor_label == actor)
            return list(session.scalars(stmt.where(audit.AuditEntry.action.like("stations.%"))))


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.2)


def _register(factory: sessionmaker[Session], server: LiveServer, sim: Simulator) -> StationVideo:
    with transaction(factory) as session:
        node = jurisdiction.get_by_code(session, STATION)
        ids = []
        for camera, role in zip(sim.cameras, ROLES, strict=True):
            data = StationCameraCreate(
                station_id=node.id,
                name=f"{node.name_en} {camera.name}",
                role=role,
                main_url=camera.main_url,
                sub_url=camera.sub_url,
            )
            row = service.create_camera(
                session, settings=server.settings, actor=audit.SYSTEM, scope_path="/", data=data
            )
            ids.append(row.id)
        return StationVideo(node.id, ids, factory)


@pytest.fixture(scope="module")
def station_video(
    live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StationVideo]:
    """The simulator's three cameras registered at STATION and recorded by a Recorder."""
    try:
        media = prepare_media(directory=MEDIA_DIR)
        sim = Simulator(
            main=media["sd"],
            sub=media["sub"],
            count=len(ROLES),
            ports=Ports.free(),
            log_dir=tmp_path_factory.mktemp("e2e-rtsp"),
            name_prefix="e2e",
        )
        sim.start()
    except SimulatorError as exc:
        pytest.fail(f"The camera simulator cannot run: {exc}", pytrace=False)
    engine = make_engine(live_server.settings.db_url)
    settings = live_server.settings.model_copy(update={"recording_segment_seconds": SEGMENT_S})
    try:
        video = _register(make_sessionmaker(engine), live_server, sim)
        recorder = Recorder(video.factory, settings, station=STATION, timeout_s=5, name="e2e-rec")
        thread = threading.Thread(target=recorder.run, name="e2e-recorder")
        thread.start()
        try:
            live = settings.live_path
            _wait(
                lambda: all((live / f"{i}/sub/index.m3u8").is_file() for i in video.camera_ids),
                20,
                "the live playlists",
            )
            yield video
        finally:
            recorder.stop_event.set()
            thread.join(30)
            assert not thread.is_alive(), "the recorder did not stop"
    finally:
        sim.stop()
        engine.dispose()


def _advancing(page: Page, selector: str, seconds: float = 1.0) -> None:
    page.wait_for_function(ADVANCING, arg=[selector, seconds], timeout=20_000)
    before = page.eval_on_selector_all(selector, "vs => vs.map(v => v.currentTime)")
    page.wait_for_timeout(1200)
    after = page.eval_on_selector_all(selector, "vs => vs.map(v => v.currentTime)")
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)


def _hears(page: Page, selector: str) -> None:
    """The element decodes audio (AAC) as well as video."""
    page.wait_for_function(
        "s => { const v = document.querySelector(s);"
        " return v.webkitAudioDecodedByteCount > 0 && v.webkitVideoDecodedByteCount > 0; }",
        arg=selector,
        timeout=15_000,
    )
    codec = page.eval_on_selector(selector, "v => v.dataset.audio")
    assert codec.startswith("mp4a"), codec


def test_wall_and_full_view_with_sound(
    page: Page, live_server: LiveServer, station_video: StationVideo
) -> None:
    sign_in(page, live_server.logins["commissioner"])
    page.goto(f"/stations/live?station={station_video.station_id}")
    tiles = page.locator(".wall a.tile")
    expect(tiles).to_have_count(len(ROLES))
    _advancing(page, ".wall video")
    expect(page.locator(".wall .badge.offline:visible")).to_have_count(0)

    tiles.first.click()
    page.wait_for_url(f"**/stations/live/{station_video.camera_ids[0]}")
    _advancing(page, "#live-video")
    page.locator("#unmute").click()  # the click browsers require before sound
    expect(page.locator("#unmute")).to_have_attribute("aria-pressed", "true")
    assert page.eval_on_selector("#live-video", "v => v.muted") is False
    _hears(page, "#live-video")
    expect(page.locator("#latency")).to_have_text(re.compile(r"^\d+\.\d s$"))
    latency = float(page.eval_on_selector("#live-video", "v => v.dataset.latency"))
    assert 0 < latency < 15, latency
    _advancing(page, "#live-video")
    actions = station_video.actions("commissioner")
    assert actions.count("stations.live.wall") >= 1 and actions.count("stations.live.view") >= 1


def test_playback_of_a_past_moment_plays_two_cameras(
    page: Page, live_server: LiveServer, station_video: StationVideo
) -> None:
    first, second = station_video.camera_ids[:2]
    _wait(lambda: len(station_video.segments(first)) >= 3, 20, "three recorded segments")
    seg = station_video.segments(first)[1]
    at = seg.start_at + timedelta(seconds=0.5)
    before = station_video.actions("commissioner").count("stations.playback.view")
    sign_in(page, live_server.logins["commissioner"])
    page.goto(f"/stations/playback?camera={first}&camera={second}&at={local_input(at)}")
    expect(page.locator(".timeline .run").first).to_be_visible()
    _advancing(page, f'video[data-camera="{first}"]', 0.2)
    _hears(page, f'video[data-camera="{first}"]')
    wall = int(page.eval_on_selector(f'video[data-camera="{first}"]', "v => v.dataset.wall"))
    assert abs(wall / 1000 - at.timestamp()) < 10, (wall, at)  # playing the asked moment
    expect(page.locator("#play-clock")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    after = station_video.actions("commissioner").count("stations.playback.view")
    assert after == before + 1


def test_zones_drawn_on_the_snapshot(
    page: Page, live_server: LiveServer, station_video: StationVideo
) -> None:
    camera_id = station_video.camera_ids[2]
    _wait(lambda: len(station_video.segments(camera_id)) >= 1, 20, "a recorded segment")
    sign_in(page, live_server.logins["control"])  # the control room sets up cameras
    page.goto(f"/stations/cameras/{camera_id}")
    page.wait_for_function("() => document.getElementById('zone-img').naturalWidth > 0")
    canvas = page.locator("#zone-canvas")
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100
    for x, y in ((0.2, 0.5), (0.6, 0.5), (0.6, 0.9), (0.2, 0.9)):
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    page.locator("#zone-name").fill("Waiting bench")
    page.locator("#zone-kind").select_option("waiting")
    page.locator("#zone-add").click()
    expect(page.locator("#zone-list li")).to_have_count(1)
    with page.expect_navigation():
        page.locator("#zones-form button[type=submit]").click()
    expect(page.locator("p.notice[role=status]")).to_be_visible()
    with transaction(station_video.factory) as session:
        camera = session.get(StationCamera, camera_id)
        assert camera is not None
        [zone] = json.loads(camera.zones_json)
    assert zone["name"] == "Waiting bench" and len(zone["points"]) == 4
    assert zone["kind"] == "waiting"
    assert all(abs(a - b) < 0.02 for a, b in zip(zone["points"][0], (0.2, 0.5), strict=True))
