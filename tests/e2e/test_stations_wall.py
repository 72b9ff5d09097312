"""The live wall in Chromium as an officer reads it: a summary of live and dark cameras, tiles
with no picture saying since when (IST), no shell commands, and "problems only" — in English
and Hindi, on a desktop and a phone. No streams run here: one feed is a fresh playlist file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.demo.kanpur import STATIONS
from nigrani.stations import live, service
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraCreate
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, shot, sign_in

STATION = f"KNP-S-{STATIONS[2].key}"
NAMES = ("Wall desk", "Wall lock-up", "Wall corridor")
ROLES = ("reception", "lockup", "corridor")


def _cameras(server: LiveServer) -> tuple[int, Path]:
    """Three cameras at STATION: one with a fresh live playlist, one silent since an hour ago,
    one never recorded; returns the station's id and the live playlist."""
    engine = make_engine(server.settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            node = jurisdiction.get_by_code(session, STATION)
            made: list[StationCamera] = []
            for name, role in zip(NAMES, ROLES, strict=True):
                data = StationCameraCreate(
                    station_id=node.id, name=name, role=role, main_url=f"rtsp://127.0.0.1:9/{role}"
                )
                made.append(
                    service.create_camera(
                        session, settings=server.settings, actor=audit.SYSTEM, scope_path="/",
                        data=data,
                    )
                )  # fmt: skip
            made[1].last_segment_at = utcnow() - timedelta(hours=1)
            folder = live.stream_dir(server.settings, made[0].id, "main")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / live.PLAYLIST).write_text("#EXTM3U\n")
            return node.id, folder / live.PLAYLIST
    finally:
        engine.dispose()


def _check_wall(page: Page, station_id: int, feed: Path, *, live_word: str, dark_word: str) -> None:
    feed.touch()  # a recorder rewrites it every second: fresh, so the tile counts as live
    page.goto(f"/stations/live?station={station_id}")
    expect(page.locator("#wall-summary")).to_contain_text(f"1 {live_word} · 2 {dark_word}")
    expect(page.locator(".wall a.tile")).to_have_count(3)
    badges = page.locator(".wall .badge.offline:visible")
    expect(badges.first).to_be_visible()
    assert "nigrani" not in page.locator("main").inner_text()
    feed.touch()
    page.locator("#problems").check()  # submits the filter
    page.wait_for_url("**problems=1**")
    expect(page.locator(".wall a.tile")).to_have_count(2)
    expect(page.locator("#problems")).to_be_checked()
    page.wait_for_timeout(2500)  # the tiles' watchers have run: dark tiles still say so
    expect(page.locator(".wall .badge.offline:visible")).to_have_count(2)


def test_the_wall_speaks_to_officers(
    page: Page, open_page: OpenPage, live_server: LiveServer
) -> None:
    station_id, feed = _cameras(live_server)
    sign_in(page, live_server.logins["commissioner"])
    _check_wall(page, station_id, feed, live_word="live", dark_word="no picture")
    tiles = page.locator(".wall a.tile")
    expect(tiles.filter(has_text=NAMES[1])).to_contain_text(
        "No picture: the camera or its recorder has been down since"
    )
    expect(tiles.filter(has_text=NAMES[2])).to_contain_text("nothing has been recorded")
    shot(page, "stations-wall-problems.png")

    phone = open_page(**PHONE)
    sign_in(phone, live_server.logins["commissioner"])
    _check_wall(phone, station_id, feed, live_word="चालू", dark_word="में तस्वीर नहीं")
    expect(phone.locator(".wall a.tile").filter(has_text=NAMES[1])).to_contain_text("से बंद है")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    shot(phone, "stations-wall-problems-phone-hi.png")
