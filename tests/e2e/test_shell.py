"""The page shell in a real browser: languages, staff and citizen sign-in, jurisdiction
scope, CSRF. (The README's pictures are taken of the full demo: test_demo_wall.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from nigrani.accounts.deps import SESSION_COOKIE
from nigrani.demo.seed import DEMO_USERS
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import choose_language, hindi, shot, sign_in

ZONES = ("Central Zone", "East Zone", "West Zone", "South Zone")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "hi-IN",
}
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


def test_login_page_in_hindi_and_english(page: Page) -> None:
    page.goto("/login")
    choose_language(page, "hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.locator('header .langs a[lang="hi"]')).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("h1")).to_have_text(hindi("Staff sign-in") or "Staff sign-in")
    shot(page, "shell-login-hi.png")
    choose_language(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('header .langs a[lang="en"]')).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("h1")).to_have_text("Staff sign-in")
    shot(page, "shell-login-en.png")


def test_admin_sees_the_jurisdiction_tree_in_both_languages(
    page: Page, live_server: LiveServer
) -> None:
    sign_in(page, live_server.logins["admin"])
    page.goto("/admin/tree")
    for lang, kotwali in (("hi", "कोतवाली"), ("en", "Kotwali")):
        choose_language(page, lang)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("h1 .level")).to_contain_text(str(live_server.nodes))
        expect(page.locator(".tree li")).to_have_count(live_server.nodes)
        station = page.locator('.tree a[href="/jurisdiction/KNP-S-KOTWALI"]')
        expect(station).to_have_text(kotwali)
        expect(station.locator("xpath=..")).to_contain_text("KNP-S-KOTWALI")
        shot(page, f"shell-admin-tree-{lang}.png")


@pytest.mark.parametrize("username", [row[0] for row in DEMO_USERS])
def test_each_role_lands_on_its_own_dashboard(
    page: Page, live_server: LiveServer, username: str
) -> None:
    login = live_server.logins[username]
    sign_in(page, login)
    expect(page.locator("h1")).to_contain_text(login.jurisdiction)
    expect(page.locator("header .who")).to_have_text(username)


def test_sho_is_refused_another_station(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.logins["sho.kotwali"])
    expect(page.locator("h1")).to_contain_text("Kotwali")
    response = page.goto("/jurisdiction/KNP-S-COLONELGANJ")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page).to_have_title("Not allowed · Nigrani")  # the tab says what went wrong
    expect(page.locator(".error-card .error")).to_have_text(
        "This jurisdiction is outside your charge."
    )
    expect(page.get_by_text("ask your administrator to change your role")).to_be_visible()


def test_commissioner_sees_all_four_zones(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.logins["commissioner"])
    bars = page.locator("#scores-chart a")  # compliance by zone on the home page
    expect(bars).to_have_count(len(ZONES))
    for zone in ZONES:
        expect(bars.filter(has_text=zone)).to_have_count(1)
    shot(page, "shell-dashboard-commissioner-en.png")
    page.goto("/jurisdiction/KNP")
    expect(page.locator("svg.map path")).to_have_count(len(ZONES))


def test_citizen_signs_in_on_a_phone_with_the_sms_code(open_page: OpenPage) -> None:
    page = open_page(**PHONE)
    page.goto("/citizen/login")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    page.locator("#mobile").fill("9876543210")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#code")).to_be_visible()
    sms = page.locator("#demo-sms .mono")
    expect(sms).to_have_text(SIX_DIGITS, timeout=15_000)
    match = SIX_DIGITS.search(sms.inner_text())
    assert match is not None
    shot(page, "citizen-otp-hi.png")
    page.locator("#code").fill(match.group(1))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/citizen")
    expect(page.locator("main")).to_contain_text("+91 ********10")
    expect(page.locator("header .who")).to_have_text("+91 ********10")


def test_tampered_csrf_token_is_refused(page: Page, live_server: LiveServer) -> None:
    login = live_server.logins["admin"]
    page.goto("/login")
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    page.evaluate("""() => {
        const field = document.querySelector('main form input[name="csrf_token"]');
        field.value = field.value.slice(0, -1) + (field.value.endsWith('0') ? '1' : '0');
    }""")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".error-card .error")).to_contain_text("This form has expired")
    assert SESSION_COOKIE not in {c.get("name") for c in page.context.cookies()}
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard$"))
    sign_in(page, login)  # the same form, untampered, works
