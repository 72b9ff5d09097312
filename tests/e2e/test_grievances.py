"""Grievances end to end in Chromium: a citizen on a phone in Hindi signs in by SMS, files a
complaint from where they stand and tracks it; Kotwali's SHO finds it in the queue, works it
to closure; the citizen sees it closed and says they are satisfied."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from nigrani.demo.grievances import KOTWALI_POINT
from nigrani.grievances.labels import resolution_label, status_label
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, hindi, shot, sign_in, sign_in_by_sms

CITIZEN = {
    **PHONE,
    # The citizen stands in Kotwali and lets the page read their location.
    "geolocation": {"latitude": KOTWALI_POINT[0], "longitude": KOTWALI_POINT[1]},
    "permissions": ["geolocation"],
}
NUMBER = re.compile(r"/citizen/complaints/(KNP-\d{4}-\d{6})(?:\?filed=1)?$")
TEXT = "रात में घर के बाहर खड़ी मेरी मोटरसाइकिल चोरी हो गई। ताला टूटा मिला।"


def _file(page: Page, *, screenshot: bool = False) -> str:
    """Fill and send the complaint form; returns the complaint number."""
    expect(page.locator("h1")).to_have_text(hindi("File a complaint") or "")
    page.locator("#category").select_option("theft")
    page.locator("#text").fill(TEXT)
    page.locator("#address").fill("मकान 7, चौक बाज़ार")
    page.locator("#use-location").click()
    expect(page.locator("#location-note")).to_have_text("✓")
    expect(page.locator("#lat")).to_have_value(f"{KOTWALI_POINT[0]:.6f}")
    if screenshot:
        shot(page, "grievance-form-hi.png", max_height=2400)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(NUMBER)
    match = NUMBER.search(page.url)
    assert match is not None
    return match.group(1)


def test_citizen_files_and_tracks_in_hindi_on_a_phone(open_page: OpenPage) -> None:
    page = open_page(**CITIZEN)
    sign_in_by_sms(page, "9123456790", then="/citizen/complaints/new")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    number = _file(page, screenshot=True)
    expect(page.locator("h1")).to_have_text(number)
    page.goto("/citizen/complaints/track")
    expect(page.locator("h1")).to_have_text(hindi("Track a complaint") or "")
    page.locator("#number").fill(number.lower())  # any case finds it
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/citizen/complaints/{number}")
    expect(page.locator("#status")).to_have_text(status_label("assigned", "hi"))
    expect(page.locator("main")).to_contain_text("कोतवाली")
    expect(page.locator("#timeline li")).to_have_count(2)  # registered, sent to the station
    shot(page, "grievance-filed-track-hi.png", max_height=2400)


def _step(officer: Page, button: str, status: str) -> None:
    officer.get_by_role("button", name=button, exact=True).click()
    expect(officer.locator("#status")).to_have_text(status)


def _work_to_closure(officer: Page, number: str) -> None:
    officer.goto("/grievances?lang=en")
    row = officer.locator(f'tr[data-complaint="{number}"]')
    expect(row).to_be_visible()
    expect(officer.locator("table tbody tr")).not_to_have_count(1)  # the demo's are there too
    shot(officer, "grievance-queue-en.png", max_height=1200)
    row.locator("a").click()
    officer.wait_for_url(re.compile(r".*/grievances/\d+$"))
    expect(officer.locator("h1")).to_contain_text(number)
    _step(officer, "Acknowledge", status_label("acknowledged", "en"))
    _step(officer, "Start investigation", status_label("investigating", "en"))
    _step(officer, "Action taken", status_label("action_taken", "en"))
    # The SHO answers a Hindi complainant in Hindi
    officer.locator("#body").fill("आपकी मोटरसाइकिल नवीन मार्केट की पार्किंग में मिल गई है।")
    officer.get_by_role("button", name="Send", exact=True).click()
    expect(officer.locator("#timeline")).to_contain_text("नवीन मार्केट")
    officer.locator("summary", has_text="Close the complaint").click()
    officer.locator("#resolution").select_option("resolved")
    officer.locator("#close-message").fill("मोटरसाइकिल थाने पर है; उसके कागज़ लेकर आएँ।")
    officer.get_by_role("button", name="Close", exact=True).click()
    expect(officer.locator("#status")).to_have_text(status_label("closed", "en"))
    expect(officer.locator("main")).to_contain_text(resolution_label("resolved", "en"))
    shot(officer, "grievance-closed-en.png", max_height=2000)


def test_sho_closes_a_complaint_and_the_citizen_is_satisfied(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    citizen = open_page(**CITIZEN)
    sign_in_by_sms(citizen, "9123456791", then="/citizen/complaints/new")
    number = _file(citizen)

    officer = open_page()
    sign_in(officer, live_server.logins["sho.kotwali"])
    _work_to_closure(officer, number)
    officer.goto("/grievances/dashboard")
    expect(officer.locator("#figures tbody tr").first).to_be_visible()
    expect(officer.locator("#overdue li")).not_to_have_count(0)  # the demo's escalated one
    shot(officer, "grievance-dashboard-en.png", max_height=1200)

    citizen.reload()
    expect(citizen.locator("#status")).to_have_text(status_label("closed", "hi"))
    expect(citizen.locator("main")).to_contain_text(resolution_label("resolved", "hi"))
    expect(citizen.locator("#timeline")).to_contain_text("नवीन मार्केट")
    citizen.locator("#comment").fill("धन्यवाद, गाड़ी मिल गई।")
    citizen.locator("#feedback button[value=true]").click()
    expect(citizen.locator("#timeline li.tl-feedback")).to_contain_text("धन्यवाद")
    expect(citizen.locator("#feedback")).to_have_count(0)  # one verdict per closure
    expect(citizen.locator("#feedback-given")).to_have_text(
        hindi("Thank you for your feedback.") or ""
    )
    shot(citizen, "grievance-closed-hi.png", max_height=2400)
