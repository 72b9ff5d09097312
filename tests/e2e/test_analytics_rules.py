"""The SHO changes the own station's analytics rules, and then one zone's, on a 390 px
phone; the page fits the screen in both languages. Screenshots go to /tmp."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.stations import service as station_service
from nigrani.stations.schemas import StationCameraCreate
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, hindi, shot, sign_in


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def _zoned_camera(server: LiveServer) -> None:
    """A Kotwali camera with a waiting bench drawn on it."""
    engine = make_engine(server.settings.db_url)
    bench = [(0.0, 0.5), (0.6, 0.5), (0.6, 1.0), (0.0, 1.0)]
    try:
        with transaction(make_sessionmaker(engine)) as db:
            data = StationCameraCreate(
                station_id=jurisdiction.get_by_code(db, "KNP-S-KOTWALI").id,
                name="Visitors' porch",
                role="reception",
                main_url="rtsp://127.0.0.1:9/porch",
                zones=[{"name": "Bench by the gate", "points": bench, "kind": "waiting"}],
            )
            station_service.create_camera(
                db, settings=server.settings, actor=audit.SYSTEM, scope_path="/", data=data
            )
    finally:
        engine.dispose()


def test_the_sho_sets_the_stations_rules_on_a_phone(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    _zoned_camera(live_server)
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["sho.kotwali"])
    page.goto("/analytics/rules")
    for lang in ("hi", "en"):
        choose_language(page, lang)
        title = hindi("Analytics rules") if lang == "hi" else "Analytics rules"
        expect(page.locator("h1")).to_contain_text(title or "Analytics rules")
        _fits(page)
        shot(page, f"analytics-rules-{lang}.png")
    expect(page.locator("#precision-phone_in_hand")).to_be_visible()
    station = page.locator("#rules-form")
    expect(station.locator('input[name="phone_in_hand.enabled"]')).not_to_be_checked()
    station.locator('input[name="crowd_waiting.min_people"]').fill("4")
    station.locator('input[name="phone_in_hand.enabled"]').check()
    station.locator("button[type=submit]").click()
    expect(page.locator("#rules-saved")).to_be_visible()
    station = page.locator("#rules-form")
    expect(station.locator('input[name="crowd_waiting.min_people"]')).to_have_value("4")
    expect(station.locator('input[name="phone_in_hand.enabled"]')).to_be_checked()
    _fits(page)

    # then the bench's own crowd size, below the station's
    zone = page.locator('form.zone-rules[data-zone="Bench by the gate"]')
    zone.locator('input[name="crowd_waiting.min_people"]').fill("2")
    zone.locator('button[value="save"]').click()
    zone = page.locator('form.zone-rules[data-zone="Bench by the gate"]')
    expect(zone.locator(".zone-saved")).to_be_visible()
    expect(zone.locator('input[name="crowd_waiting.min_people"]')).to_have_value("2")
    expect(zone.locator('input[name="long_wait.for_s"]')).to_have_value("1200")
    _fits(page)
    shot(page, "analytics-rules-zone.png")
    zone.locator('button[value="reset"]').click()
    zone = page.locator('form.zone-rules[data-zone="Bench by the gate"]')
    expect(zone.locator('input[name="crowd_waiting.min_people"]')).to_have_value("4")
