"""The notifications badge in a real browser on the Kanpur demo: the desk officer of
Kotwali (told of every complaint that came to the station) sees the unread count in the
top bar on a 390 px phone and at 1366 px, and the newest on the home page, in Hindi and
English; opening a notification goes to its complaint and the badge counts one less. No
sideways scroll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, shot, sign_in

WIDE = {"viewport": {"width": 1366, "height": 768}}
COMPLAINT = re.compile(r"/grievances/\d+$")


def unread(page: Page) -> int:
    """The count the top bar's badge shows (0: no badge)."""
    badge = page.locator("header a.bell .badge")
    return int(badge.get_attribute("data-unread") or 0) if badge.count() else 0


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scroll)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize(("device", "options"), [("phone", PHONE), ("desktop", WIDE)])
def test_the_badge_counts_unread_and_opening_one_reads_it(
    open_page: OpenPage, live_server: LiveServer, device: str, options: dict[str, object]
) -> None:
    page = open_page(**options)
    sign_in(page, live_server.logins["staff.kotwali"])
    bell = page.locator("header a.bell")
    expect(bell).to_be_visible()  # outside the phone's folded menu
    before = unread(page)
    assert before > 0, "the demo's complaints to Kotwali tell its desk officer"
    expect(page.locator("#home-notifications li")).to_have_count(5)  # the newest five
    assert overflow(page) == 0, f"{device} home: {overflow(page)} px sideways"
    shot(page, f"notifications-home-{device}.png", max_height=1600)
    bell.click()
    page.wait_for_url("**/notifications")
    for lang in ("hi", "en"):
        choose_language(page, lang)
        expect(page.locator("ul.notes li.unread").first).to_be_visible()
        assert overflow(page) == 0, f"{device} {lang}: {overflow(page)} px sideways"
        shot(page, f"notifications-{device}-{lang}.png")
    expect(page.locator("header a.bell")).to_contain_text("Notifications")
    page.locator("ul.notes li.unread button").first.click()
    page.wait_for_url(COMPLAINT)
    assert unread(page) == before - 1
    shot(page, f"notifications-opened-{device}.png", max_height=500)
