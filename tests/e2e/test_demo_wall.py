"""The Kanpur demo as `make demo` serves it, for the README's pictures: everything
`nigrani demo` loads (the tree and sign-ins, the camera registry, the incident with its
footage request, the complaints, the station cameras, the cameras' health) and its
scheduler, so that each picture shows the demo's own data, not test fixtures. Station
CCTV: Kotwali's four live cameras are served by the camera simulator and recorded, its
other places show no picture. The simulator runs on free ports, not the demo's 8554, so
the test runs beside a demo; its server is its own."""

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
from nigrani.canvass.models import Incident
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.moments import local_input
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.health import seed_health
from nigrani.demo.incidents import seed_incidents
from nigrani.demo.seed import DemoLogin, seed_tree, seed_users
from nigrani.demo.stations import KOTWALI, LIVE, LIVE_PREFIX, seed_station_cameras
from nigrani.grievances.models import Complaint
from nigrani.stations.models import RecordingSegment, StationCamera
from nigrani.stations.recorder.process import Recorder
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media
from tests import serving
from tests.conftest import fresh_database_url, make_settings
from tests.e2e.conftest import OpenPage, pages_on
from tests.e2e.helpers import (
    PHONE,
    choose_language,
    fill_camera_registration,
    footage_link,
    hindi,
    shot,
    sign_in,
    sign_in_by_sms,
)

SEGMENT_S = 2.0  # short segments, so that playback has a past moment within seconds
MEDIA_DIR = Path(__file__).resolve().parents[2] / "var" / "simulator"
LIVE_AT_KOTWALI = sum(1 for station, _role in LIVE if station == KOTWALI)
# The complaint the pictures follow: a Kotwali walk-in in Hindi that the station has worked
# (acknowledged, investigating, a reply, action taken), and the mobile it was filed from.
TRACKED = "demo-k04"
TRACKED_MOBILE = "9000020003"


@dataclass(frozen=True, slots=True)
class DemoWall:
    """The served demo: its address, the demo sign-ins, Kotwali's node id and cameras, and
    a session factory on its database."""

    url: str
    logins: dict[str, DemoLogin]
    station_id: int
    cameras: list[int]
    factory: sessionmaker[Session]

    @property
    def commissioner(self) -> DemoLogin:
        return self.logins["commissioner"]

    def complaint_number(self, ref: str) -> str:
        """The number the demo gave the complaint with this `demo-…` reference."""
        with transaction(self.factory) as session:
            number = session.scalar(select(Complaint.number).where(Complaint.external_ref == ref))
        assert number is not None, ref
        return number

    def incident_id(self) -> int:
        """The demo's one incident (Colonelganj, with its footage request)."""
        with transaction(self.factory) as session:
            incident_id = session.scalar(select(Incident.id).order_by(Incident.id).limit(1))
        assert incident_id is not None
        return incident_id

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
        seed_tree(session)  # what `nigrani demo` loads, in its order
        logins = {login.username: login for login in seed_users(session)}
        seed_cameras(session, settings)
        seed_incidents(session, settings)
        seed_grievances(session, settings)
        seed_station_cameras(session, settings, port=rtsp_port)
        seed_health(session, settings)  # probe targets; the registry's month of history
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
        # With its scheduler, as the demo serves: the footage SMS goes out.
        app = create_app(settings, run_scheduler=True)
        with serving.in_thread(app, lifespan="on") as address:
            yield DemoWall(address, logins, station_id, cameras, factory)
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
def open_demo(browser: Browser, demo_wall: DemoWall) -> Iterator[OpenPage]:
    """Pages on the served demo, each in its own context; keyword arguments override
    DESKTOP (PHONE for a citizen's or an owner's phone)."""
    yield from pages_on(browser, demo_wall.url)


@pytest.fixture()
def demo_page(open_demo: OpenPage) -> Page:
    return open_demo()


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


# The README's other pictures, each of the demo's own data, as a person would reach it.


def test_the_commissioners_home(demo_page: Page, demo_wall: DemoWall) -> None:
    sign_in(demo_page, demo_wall.commissioner)
    expect(demo_page.locator("table.ranking tbody tr")).to_have_count(50)
    expect(demo_page.locator("#trend-chart rect.received")).to_have_count(30)
    expect(demo_page.locator("#scores-chart a")).to_have_count(4)
    shot(demo_page, "dashboard-commissioner-en.png", max_height=1600)


def test_staff_sign_in_in_hindi(demo_page: Page) -> None:
    demo_page.goto("/login")
    choose_language(demo_page, "hi")
    expect(demo_page.locator("h1")).to_have_text(hindi("Staff sign-in") or "")
    shot(demo_page, "login-hi.png")


def test_the_jurisdiction_tree(demo_page: Page, demo_wall: DemoWall) -> None:
    sign_in(demo_page, demo_wall.logins["admin"])
    demo_page.goto("/admin/tree")
    expect(demo_page.locator('.tree a[href="/jurisdiction/KNP-S-KOTWALI"]')).to_have_text("Kotwali")
    shot(demo_page, "admin-tree-en.png")


def test_the_camera_map_and_the_category_report(demo_page: Page, demo_wall: DemoWall) -> None:
    sign_in(demo_page, demo_wall.logins["control"])
    demo_page.goto("/cameras/map")
    expect(demo_page.locator(".leaflet-container")).to_be_visible()
    # The status line counts the sites once they are drawn (on a canvas).
    expect(demo_page.locator("#map-status")).to_have_text(re.compile(r"^963 "))
    demo_page.wait_for_load_state("networkidle")
    shot(demo_page, "camera-map-en.png", max_height=1000)
    demo_page.goto("/cameras/report")
    choose_language(demo_page, "hi")
    expect(demo_page.locator("main")).to_contain_text("1719")
    shot(demo_page, "category-report-hi.png", max_height=1800)


def test_the_demo_incident_and_its_owner(open_demo: OpenPage, demo_wall: DemoWall) -> None:
    officer = open_demo()
    sign_in(officer, demo_wall.logins["io.colonelganj"])
    officer.goto(f"/incidents/{demo_wall.incident_id()}")
    rows = officer.locator("table.canvass tbody tr")
    expect(rows.first).to_be_visible()
    # The officer looks up a second owner's contact, for a reason, as the demo invites.
    row_id = rows.filter(has=officer.locator("details.reveal")).nth(1).get_attribute("id")
    row = officer.locator(f"#{row_id}")  # the row stays; its reveal form goes
    row.locator("details.reveal summary").click()
    row.locator("textarea[name=reason]").fill("Footage of the chain snatching on the road")
    row.locator("details.reveal button[type=submit]").click()
    expect(row.locator(".contact a.mono")).to_have_text(re.compile(r"^\+91\d{10}$"))
    token = footage_link(officer)
    officer.reload()  # the look is listed under "Owners' contacts seen"
    expect(officer.locator("main")).to_contain_text("Footage of the chain snatching on the road")
    shot(officer, "canvass-incident-en.png", max_height=2200)

    owner = open_demo(**PHONE)
    owner.goto(f"/f/{token}")
    owner.locator("main form button[type=submit]").click()
    owner.wait_for_url("**/footage")
    expect(owner.locator("h1")).to_have_text(hindi("Footage asked by the police") or "")
    shot(owner, "footage-owner-hi.png", max_height=2000)


def test_the_sho_works_a_demo_complaint(demo_page: Page, demo_wall: DemoWall) -> None:
    number = demo_wall.complaint_number(TRACKED)
    sign_in(demo_page, demo_wall.logins["sho.kotwali"])
    demo_page.goto("/grievances")
    demo_page.locator(f'tr[data-complaint="{number}"] a').click()
    demo_page.wait_for_url(re.compile(r".*/grievances/\d+$"))
    expect(demo_page.locator("h1")).to_contain_text(number)
    expect(demo_page.locator("#timeline li")).not_to_have_count(0)
    shot(demo_page, "grievance-complaint-en.png", max_height=2000)


def test_a_citizen_tracks_a_demo_complaint(open_demo: OpenPage, demo_wall: DemoWall) -> None:
    number = demo_wall.complaint_number(TRACKED)
    page = open_demo(**PHONE)
    sign_in_by_sms(page, TRACKED_MOBILE, then="/citizen")
    page.goto("/citizen/complaints/track")
    page.locator("#number").fill(number)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/citizen/complaints/{number}")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.locator("#timeline li")).not_to_have_count(0)
    shot(page, "grievance-track-hi.png", max_height=2400)


def test_a_citizen_registers_cameras(open_demo: OpenPage) -> None:
    page = open_demo(**PHONE)
    sign_in_by_sms(page, "9123456700", then="/citizen/cameras/new")
    expect(page.locator("h1")).to_have_text(hindi("Register your cameras") or "")
    fill_camera_registration(page)
    shot(page, "citizen-register-hi.png", max_height=2600)
