"""The administrator issues an Open311 key on a 390 px phone, copies it, files with it,
then revokes it; the pages fit the screen in both languages. Screenshots go to /tmp."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, hindi, sign_in

SHOTS = Path(tempfile.gettempdir()) / "nigrani-shots"
FILING = {
    "service_code": "theft",
    "lat": "26.47",
    "long": "80.33",
    "address_string": "Mall Road, Kanpur",
    "description": "My bicycle was stolen from outside the sweet shop.",
}


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True, animations="disabled")


def _file(server: LiveServer, key: str) -> int:
    """File a complaint as a civic app would, outside the browser."""
    data = {**FILING, "api_key": key}
    return httpx.post(f"{server.url}/open311/v2/requests.json", data=data, timeout=10).status_code


def test_admin_issues_and_revokes_a_key_on_a_phone(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page(**PHONE, permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, live_server.logins["admin"])
    page.goto("/admin/tokens")
    for lang, title in (("hi", hindi("API keys") or "API keys"), ("en", "API keys")):
        choose_language(page, lang)
        expect(page.locator("h1")).to_have_text(title)
        _fits(page)
        _shot(page, f"tokens-{lang}.png")

    page.locator("#name").fill("Kanpur 311 app")
    expect(page.locator('input[name="scope"][value="open311"]')).to_be_checked()
    page.locator("#expires_days").select_option("90")
    page.locator("#issue-key button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Key issued")
    expect(page.get_by_text("it will not be shown again")).to_be_visible()
    _fits(page)
    secret = page.locator("#secret").inner_text().strip()
    assert secret.startswith("ngr_")
    page.locator("button[data-copy]").click()
    expect(page.locator("button[data-copy]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    _shot(page, "token-issued-en.png")
    choose_language(page, "hi")  # the page again, in Hindi: the secret is not on it now
    expect(page.locator("#secret")).to_have_count(0)
    assert _file(live_server, secret) == 200

    page.goto("/admin/tokens?lang=en")
    row = page.locator("#keys tr", has_text="Kanpur 311 app")
    expect(row).to_contain_text("open311")
    row.get_by_role("link", name="Revoke").click()
    _fits(page)
    _shot(page, "token-revoke-en.png")
    page.locator("#reason").fill("the app was retired")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("is revoked")
    expect(row).to_contain_text("Revoked")
    _fits(page)
    _shot(page, "tokens-revoked-en.png")
    assert _file(live_server, secret) == 403

    choose_language(page, "hi")
    page.locator("#name").fill("GIS")
    page.locator("#issue-key button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(hindi("Key issued") or "Key issued")
    _fits(page)
    _shot(page, "token-issued-hi.png")
