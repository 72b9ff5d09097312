"""The playback page's clip export in Chromium: the form starts on the moment being played
(30 s either side of it), follows a click on the timeline, and never reaches past the
newest recording. Recorded files are only rows here: the form, not the video, is tested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.moments import local_input
from nigrani.demo.kanpur import STATIONS
from nigrani.stations import service
from nigrani.stations.models import RecordingSegment
from nigrani.stations.schemas import StationCameraCreate
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, shot, sign_in

STATION = f"KNP-S-{STATIONS[1].key}"
RECORDED = datetime(2026, 11, 20, 4, 30, tzinfo=UTC)  # 10:00 IST, ten minutes recorded
MINUTES = 10


def _recorded_camera(server: LiveServer) -> int:
    """A camera of STATION (no stream) with ten minutes of (file-less) segment rows."""
    engine = make_engine(server.settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            node = jurisdiction.get_by_code(session, STATION)
            data = StationCameraCreate(
                station_id=node.id, name="Clip desk", role="reception",
                main_url="rtsp://127.0.0.1:9/clip-desk",
            )  # fmt: skip
            camera = service.create_camera(
                session, settings=server.settings, actor=audit.SYSTEM, scope_path="/", data=data
            )
            for n in range(MINUTES):
                at = RECORDED + timedelta(minutes=n)
                session.add(
                    RecordingSegment(
                        camera_id=camera.id, start_at=at, end_at=at + timedelta(minutes=1),
                        duration_s=60.0, path=f"e2e-clip/{camera.id}/{n}.ts", bytes=1,
                    )
                )  # fmt: skip
            return camera.id
    finally:
        engine.dispose()


def _field(page: Page, selector: str) -> datetime:
    value = page.locator(selector).input_value()
    return datetime.fromisoformat(value + "+05:30")


def test_clip_range_starts_at_the_moment_being_played(
    page: Page, open_page: OpenPage, live_server: LiveServer
) -> None:
    camera_id = _recorded_camera(live_server)
    sign_in(page, live_server.logins["commissioner"])
    moment = RECORDED + timedelta(minutes=4, seconds=12)
    page.goto(f"/stations/playback?camera={camera_id}&at={local_input(moment)}")
    expect(page.locator("#clip-start")).to_have_value(local_input(moment - timedelta(seconds=30)))
    expect(page.locator("#clip-end")).to_have_value(local_input(moment + timedelta(seconds=30)))
    shot(page, "stations-clip-default.png")

    # A click on the middle of the hour around the moment: the range follows it.
    zoom = page.locator(".timeline-row.zoom .timeline")
    box = zoom.bounding_box()
    assert box is not None
    zoom.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})
    clicked = moment - timedelta(minutes=15)
    start, end = _field(page, "#clip-start"), _field(page, "#clip-end")
    assert end - start == timedelta(seconds=60)
    assert abs((start + timedelta(seconds=30) - clicked).total_seconds()) < 10, (start, clicked)

    # Near the end of the recording the range stops where the recording does.
    late = RECORDED + timedelta(minutes=MINUTES - 1, seconds=50)
    page.goto(f"/stations/playback?camera={camera_id}&at={local_input(late)}")
    newest = RECORDED + timedelta(minutes=MINUTES)
    assert _field(page, "#clip-end") == newest  # Chromium shows 10:10:00 as "10:10"
    assert _field(page, "#clip-start") == newest - timedelta(seconds=60)

    # On a phone, in Hindi: the default range at the recording's first moment reaches 30 s
    # before it, so saving it first lists what is missing and saves nothing.
    phone = open_page(**PHONE)
    sign_in(phone, live_server.logins["commissioner"])
    phone.goto(f"/stations/playback?camera={camera_id}&at={local_input(RECORDED)}")
    phone.locator("#clip-reason").fill("शिकायत की जाँच के लिए")
    phone.locator("#clip-form button[type=submit]").click()
    warning = phone.locator("#clip-short")
    expect(warning).to_contain_text("माँगे गए 60 सेकंड में से केवल 30 सेकंड")
    expect(warning).to_contain_text("09:59:30–10:00:00 (30 सेकंड)")
    expect(phone.locator("#clip-confirm")).to_contain_text("30")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "stations-clip-short-phone-hi.png")
