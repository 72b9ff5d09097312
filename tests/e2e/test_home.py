"""The role home pages in a real browser on the Kanpur demo: the Commissioner's ranking and
charts, the SHO's figures, each number opening its list; at 1366 px and on a 390 px phone,
in Hindi and English, with no sideways scroll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, shot, sign_in

WIDE = {"viewport": {"width": 1366, "height": 768}}
ZONES = ("Central Zone", "East Zone", "West Zone", "South Zone")
TOTAL = re.compile(r"\d+")


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def opens_its_list(page: Page, figure: str) -> None:
    """The figure's number, clicked, opens a list whose total is that number."""
    card = page.locator(f'[data-figure="{figure}"] a.stat')
    number = card.inner_text().strip()
    card.click()
    page.wait_for_load_state()
    expect(page.locator("h1 .level")).to_have_text(number)
    page.go_back()


@pytest.mark.parametrize(("device", "options"), [("desktop", WIDE), ("phone", PHONE)])
def test_commissioner_home_ranks_stations_and_draws_charts(
    open_page: OpenPage, live_server: LiveServer, device: str, options: dict[str, object]
) -> None:
    page = open_page(**options)
    sign_in(page, live_server.logins["commissioner"])
    for lang in ("en", "hi"):
        choose_language(page, lang)
        expect(page.locator("table.ranking tbody tr")).to_have_count(50)
        expect(page.locator("#trend-chart rect.received")).to_have_count(30)
        expect(page.locator("#scores-chart a")).to_have_count(len(ZONES))
        expect(page.locator('[data-figure="overdue"] .stat')).to_have_text(TOTAL)
        assert overflow(page) == 0, f"{device} {lang}: {overflow(page)} px sideways"
        shot(page, f"home-commissioner-{device}-{lang}.png", max_height=2400)
    choose_language(page, "en")
    for zone in ZONES:
        expect(page.locator("#scores-chart a", has_text=zone)).to_have_count(1)
    opens_its_list(page, "overdue")
    opens_its_list(page, "incidents_week")


def test_sho_home_on_a_phone(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["sho.kotwali"])
    for lang in ("hi", "en"):
        choose_language(page, lang)
        for figure in ("new", "due_today", "overdue", "walk_ins_today", "stopped", "compliance"):
            expect(page.locator(f'[data-figure="{figure}"] a.stat')).to_be_visible()
        expect(page.locator("#trend-chart")).to_be_visible()
        assert overflow(page) == 0, f"{lang}: {overflow(page)} px sideways"
        shot(page, f"home-sho-phone-{lang}.png", max_height=2400)
    opens_its_list(page, "overdue")
    opens_its_list(page, "new")


@pytest.mark.parametrize(
    ("username", "figures"),
    [
        ("io.colonelganj", ("my_incidents", "footage_waiting", "footage_received")),
        ("admin", ("staff", "audit_today", "stations")),
        ("acp.kotwali", ("overdue", "stopped", "alerts", "incidents_week")),
    ],
)
def test_other_roles_have_a_home(
    open_page: OpenPage, live_server: LiveServer, username: str, figures: tuple[str, ...]
) -> None:
    page = open_page(**WIDE)
    sign_in(page, live_server.logins[username])
    for lang in ("en", "hi"):
        choose_language(page, lang)
        for figure in figures:
            expect(page.locator(f'[data-figure="{figure}"] a.stat')).to_be_visible()
        shot(page, f"home-{username.split('.')[0]}-desktop-{lang}.png", max_height=1600)
