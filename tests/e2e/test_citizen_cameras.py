"""A citizen lists their cameras in Hindi on a phone, sees the listing, then withdraws."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, fill_camera_registration, hindi, shot, sign_in, sign_in_by_sms


def test_register_then_withdraw_in_hindi_on_a_phone(open_page: OpenPage) -> None:
    page = open_page(**PHONE)
    sign_in_by_sms(page, "9123456780", then="/citizen/cameras/new")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.locator("h1")).to_have_text(hindi("Register your cameras") or "")
    fill_camera_registration(page)
    shot(page, "citizen-register-form-hi.png", max_height=2600)
    page.locator("#register-form button[type=submit]").click()
    page.wait_for_url("**/citizen/cameras?done=*")
    expect(page.locator(".notice")).to_have_text(
        hindi("Thank you. Your cameras are registered.") or ""
    )
    expect(page.locator(".site-card")).to_contain_text("शर्मा निवास")
    shot(page, "citizen-cameras-hi.png")
    page.locator(".site-card a").click()
    expect(page.locator("main")).to_contain_text("सुनीता शर्मा")  # the owner sees their own name
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/withdraw'] button").click()
    page.wait_for_url("**/citizen/cameras?withdrawn=1")
    expect(page.locator("main")).not_to_contain_text("शर्मा निवास")
    expect(page.locator(".notice")).to_be_visible()
    shot(page, "citizen-withdrawn-hi.png")


def test_the_form_says_what_is_missing(open_page: OpenPage) -> None:
    page = open_page(**PHONE)
    sign_in_by_sms(page, "9123456781", then="/citizen/cameras/new")
    page.locator("#name").fill("Test")
    page.locator("#owner_name").fill("Test")
    page.locator("#camera_count").fill("1")
    page.locator("input[name=consent]").check()
    page.locator("#register-form button[type=submit]").click()
    # no place chosen: the page stays and says so, nothing is sent
    expect(page.locator("#place-status")).not_to_be_empty()
    assert page.url.endswith("/citizen/cameras/new")


def test_control_room_map_and_report(open_page: OpenPage, live_server: LiveServer) -> None:
    page = open_page(locale="en-US")
    sign_in(page, live_server.logins["control"])
    page.goto("/cameras/map?lang=en")
    expect(page.locator(".leaflet-container")).to_be_visible()
    page.wait_for_timeout(3000)
    shot(page, "citizen-cameras-map-en.png", max_height=1000)
    page.goto("/cameras/report?lang=hi")
    expect(page.locator("main")).to_contain_text("1719")
    shot(page, "citizen-cameras-report-hi.png", max_height=1800)
    with page.expect_download() as download:
        page.locator("a[href*='report.pdf']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
