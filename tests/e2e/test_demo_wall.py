"""Station CCTV as `make demo` shows it, for the documentation's pictures (the wall, one
camera live, playback of two): the Kanpur demo's own station cameras (not test fixtures),
Kotwali's four live ones served by the camera simulator and recorded, its other places
showing no picture. The simulator runs on
free ports, not the demo's 8554, so the test runs beside a demo; its server is its own."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction
from nigrani.app import create_app
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.moments import local_input
from nigrani.demo.seed import DemoLogin, seed_tree, seed_users
from nigrani.demo.stations import KOTWALI, LIVE, LIVE_PREFIX, seed_station_cameras
from nigrani.stations.models import RecordingSegment, StationCamera
from nigrani.stations.recorder.process import Recorder
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media
from tests import serving
from tests.conftest import fresh_database_url, make_settings
from tests.e2e.conftest import DESKTOP, TIMEOUT_MS
from tests.e2e.helpers import shot, sign_in

SEGMENT_S = 2.0  # short segments, so that playback has a past moment within seconds
MEDIA_DIR = Path(__file__).resolve().parents[2] / "var" / "simulator"
LIVE_AT_KOTWALI = sum(1 for station, _role in LIVE if station == KOTWALI)


@dataclass(frozen=True, slots=True)
class DemoWall:
    """The served demo: its address, the Commissioner's sign-in, Kotwali's node id and
    cameras, and a session factory on its database."""

    url: str
    commissioner: DemoLogin
    station_id: int
    cameras: list[int]
    factory: sessionmaker[Session]

    def segments(self, camera_id: int) -> list[RecordingSegment]:
        with transaction(self.factory) as session:
            stmt = select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
            return list(session.scalars(stmt.order_by(RecordingSegment.start_at)))


@pytest.fixture(scope="module")
def demo_wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWall]:
    """The demo's tree, sign-ins and station cameras, Kotwali's recorded, served."""
    try:
        media = prepare_media(directory=MEDIA_DIR)
        sim = Simulator(
            main=media["sd"],
            sub=media["sub"],
            count=LIVE_AT_KOTWALI,  # cam01… are Kotwali's, as in the demo
            ports=Ports.free(),
            log_dir=tmp_path_factory.mktemp("demo-rtsp"),
            name_prefix=LIVE_PREFIX,
        )
        sim.start()
    except SimulatorError as exc:
        pytest.fail(f"The camera simulator cannot run: {exc}", pytrace=False)
    try:
        for url in fresh_database_url(tmp_path_factory.mktemp("demo-db")):
            yield from _serve(url, tmp_path_factory.mktemp("demo-var"), sim.ports.client)
    finally:
        sim.stop()


def _serve(url: str, var: Path, rtsp_port: int) -> Iterator[DemoWall]:
    settings = make_settings(
        url, var, demo=True, default_language="en", recording_segment_seconds=SEGMENT_S
    )
    upgrade(settings)
    engine = make_engine(settings.db_url)
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        seed_tree(session)
        logins = {login.username: login for login in seed_users(session)}
        seed_station_cameras(session, settings, port=rtsp_port)
        station = jurisdiction.get_by_code(session, KOTWALI)
        cameras = list(
            session.scalars(
                select(StationCamera.id)
                .where(StationCamera.station_id == station.id)
                .order_by(StationCamera.id)
            )
        )
        station_id = station.id
    recorder = Recorder(factory, settings, station=KOTWALI, timeout_s=5, name="demo-wall")
    thread = threading.Thread(target=recorder.run, name="demo-wall-recorder")
    thread.start()
    try:
        _wait_for_playlists(settings.live_path, cameras)
        with serving.in_thread(create_app(settings), lifespan="on") as address:
            yield DemoWall(address, logins["commissioner"], station_id, cameras, factory)
    finally:
        recorder.stop_event.set()
        thread.join(30)
        engine.dispose()


def _wait_for_playlists(live: Path, cameras: list[int], timeout_s: float = 30) -> None:
    """Until as many of the station's cameras have a live playlist as the demo serves."""
    deadline = time.monotonic() + timeout_s
    while sum((live / f"{c}/sub/index.m3u8").is_file() for c in cameras) < LIVE_AT_KOTWALI:
        if time.monotonic() > deadline:
            pytest.fail("the demo cameras' live playlists never appeared")
        time.sleep(0.2)


@pytest.fixture()
def demo_page(browser: Browser, demo_wall: DemoWall) -> Iterator[Page]:
    context = browser.new_context(base_url=demo_wall.url, **DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_the_demo_wall_shows_the_demo_cameras(demo_page: Page, demo_wall: DemoWall) -> None:
    sign_in(demo_page, demo_wall.commissioner)
    demo_page.goto(f"/stations/live?station={demo_wall.station_id}")
    tiles = demo_page.locator(".wall a.tile")
    expect(tiles.first).to_be_visible()
    assert tiles.count() > LIVE_AT_KOTWALI  # the places not yet live show no picture
    demo_page.wait_for_function(
        "n => [...document.querySelectorAll('.wall video')]"
        ".filter(v => v.currentTime > 1 && !v.paused).length >= n",
        arg=LIVE_AT_KOTWALI,
        timeout=30_000,
    )
    expect(demo_page.locator(".wall .badge.offline:visible")).to_have_count(
        tiles.count() - LIVE_AT_KOTWALI
    )
    shot(demo_page, "stations-wall.png")

    tiles.filter(has=demo_page.locator('video[data-online="true"]')).first.click()
    demo_page.wait_for_url("**/stations/live/*")
    demo_page.wait_for_function(
        "() => { const v = document.querySelector('#live-video');"
        " return v && v.currentTime > 1 && !v.paused; }",
        timeout=30_000,
    )
    demo_page.locator("#unmute").click()  # as an officer would, to hear the room
    expect(demo_page.locator("#latency")).to_have_text(re.compile(r"^\d+\.\d s$"))
    shot(demo_page, "stations-live.png")


def test_playback_of_two_demo_cameras(demo_page: Page, demo_wall: DemoWall) -> None:
    first, second = demo_wall.cameras[:2]  # Kotwali's entry/exit and lock-up: both live
    deadline = time.monotonic() + 30
    while len(demo_wall.segments(first)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    segments = demo_wall.segments(first)
    assert len(segments) >= 3, "the demo cameras were not recorded"
    at = local_input(segments[1].start_at + timedelta(seconds=0.5))
    sign_in(demo_page, demo_wall.commissioner)
    demo_page.goto(f"/stations/playback?camera={first}&camera={second}&at={at}")
    expect(demo_page.locator(".timeline .run").first).to_be_visible()
    demo_page.wait_for_function(
        "s => { const v = document.querySelector(s);"
        " return v && v.currentTime > 0.2 && !v.paused; }",
        arg=f'video[data-camera="{first}"]',
        timeout=20_000,
    )
    expect(demo_page.locator("#play-clock")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    shot(demo_page, "stations-playback.png", max_height=2400)  # down to the clip export
