"""A citizen's complaint on a phone, and the station calling them back, in Chromium.

The citizen finds "File a complaint" and "Track" on the signed-in page, files with a photo
and sees the number, the place and the photo confirmed; a mistyped number on the tracking
form is said on the form. Kotwali's SHO sees the complaint in the queue (text, channel,
age), shows the complainant's number with a reason, and acknowledges it with a message.
Every citizen page fits a 390 px screen, in Hindi and in English."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from nigrani.demo.grievances import KOTWALI_POINT
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, hindi, shot, sign_in, sign_in_by_sms

CITIZEN = {
    **PHONE,
    "geolocation": {"latitude": KOTWALI_POINT[0], "longitude": KOTWALI_POINT[1]},
    "permissions": ["geolocation"],
}
MOBILE = "9123456795"
FILED = re.compile(r"/citizen/complaints/(KNP-\d{4}-\d{6})\?filed=1$")


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px screen"


def _file(page: Page, photo: Path) -> str:
    page.locator("#category").select_option("theft")
    page.locator("#text").fill("मेरी साइकिल दुकान के बाहर से चोरी हो गई। ताला कटा मिला।")
    page.locator("#address").fill("हनुमान मंदिर के पास, चौक बाज़ार")
    page.locator("#use-location").click()
    expect(page.locator("#location-note")).to_have_text("✓")
    page.locator("#attachment").set_input_files(str(photo))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(FILED)
    match = FILED.search(page.url)
    assert match is not None
    return match.group(1)


def test_citizen_files_with_a_photo_and_sees_it_confirmed_on_a_phone(
    open_page: OpenPage, tmp_path: Path
) -> None:
    photo = tmp_path / "cycle.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 5000)
    page = open_page(**CITIZEN)
    sign_in_by_sms(page, MOBILE, then="/citizen")
    _fits(page)
    shot(page, "citizen-home-hi.png")
    page.get_by_role("link", name=hindi("File a complaint") or "", exact=True).first.click()
    number = _file(page, photo)
    filed = page.locator("#filed")
    expect(filed).to_contain_text(number)
    expect(page.locator("#place")).to_contain_text("हनुमान मंदिर के पास")
    expect(page.locator("#files")).to_contain_text("cycle.jpg")
    _fits(page)
    shot(page, "citizen-filed-hi.png", max_height=2400)
    choose_language(page, "en")
    expect(filed).to_contain_text(f"Its number is {number}.")
    _fits(page)
    shot(page, "citizen-filed-en.png", max_height=2400)

    page.goto("/citizen")
    page.get_by_role("link", name="Track a complaint", exact=True).click()
    page.locator("#number").fill("KNP-2026-999999")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#number-error")).to_contain_text("No complaint KNP-2026-999999")
    expect(page.locator("#number")).to_have_value("KNP-2026-999999")
    _fits(page)
    shot(page, "citizen-track-wrong-en.png")
    choose_language(page, "hi")
    expect(page.locator("#number-error")).to_be_visible()
    _fits(page)
    shot(page, "citizen-track-wrong-hi.png")


def test_sho_sees_the_complaint_calls_back_and_acknowledges(
    open_page: OpenPage, live_server: LiveServer, tmp_path: Path
) -> None:
    photo = tmp_path / "lock.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2000)
    citizen = open_page(**CITIZEN)
    sign_in_by_sms(citizen, "9123456796", then="/citizen/complaints/new")
    number = _file(citizen, photo)

    officer = open_page()
    sign_in(officer, live_server.logins["sho.kotwali"])
    officer.goto("/grievances?lang=en")
    row = officer.locator(f'tr[data-complaint="{number}"]')
    expect(row).to_contain_text("मेरी साइकिल दुकान के बाहर से चोरी हो गई।")
    expect(row).to_contain_text("Web")
    expect(row).to_contain_text("min")
    shot(officer, "sho-queue-en.png", max_height=1400)
    row.locator("a").click()
    officer.locator("summary", has_text="Show number").click()
    officer.locator("#reveal-reason").fill("Calling back to ask where the cycle was parked")
    officer.get_by_role("button", name="Confirm and show", exact=True).click()
    expect(officer.locator("#complainant-shown")).to_contain_text("+919123456796")
    shot(officer, "sho-complaint-shown-en.png", max_height=1600)
    officer.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(officer.locator("#done")).to_have_text("Complaint acknowledged.")
    expect(officer.locator("#complainant-shown")).to_have_count(0)  # shown once, not kept


def test_show_number_fits_a_phone_in_hindi(open_page: OpenPage, live_server: LiveServer) -> None:
    officer = open_page(**PHONE)
    sign_in(officer, live_server.logins["sho.kotwali"])
    officer.goto("/grievances?channel=web")
    _fits(officer)
    shot(officer, "sho-queue-phone-hi.png", max_height=2400)
    officer.locator("table tbody tr a").first.click()
    officer.locator("summary", has_text=hindi("Show number") or "").click()
    expect(officer.locator("#reveal-reason")).to_be_visible()
    _fits(officer)
    shot(officer, "sho-show-number-phone-hi.png", max_height=2400)
