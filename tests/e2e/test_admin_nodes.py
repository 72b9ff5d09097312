"""The administrator on a 390 px phone: the user form's long list of jurisdictions narrows
as a name is typed (the box appears only with the script; the select works without it), the
tree and the audit log have their search forms, and the pages fit the screen in both
languages. Screenshots go to helpers.SHOTS."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, choose_language, shot, sign_in


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def _shown_options(page: Page) -> list[str]:
    values: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('#node_code option'))"
        ".filter(o => !o.hidden).map(o => o.value)"
    )
    return values


def test_the_node_list_narrows_as_a_name_is_typed(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["admin"])
    page.goto("/admin/users")
    box = page.locator("#node_code-filter")
    expect(box).to_be_visible()
    everything = _shown_options(page)
    assert len(everything) > 20  # a city's worth of jurisdictions
    # The last station in the list, found by a part of its English name.
    target = page.locator("#node_code option").last
    code = target.get_attribute("value") or ""
    english = (target.get_attribute("data-search") or "").split(" ")[0]
    box.fill(english.lower())
    shown = _shown_options(page)
    assert code in shown and len(shown) < len(everything)
    expect(page.locator("#node_code")).to_have_value(shown[0])
    box.fill(code)
    assert _shown_options(page) == [code]
    expect(page.locator("#node_code")).to_have_value(code)
    box.fill("no such place anywhere")
    expect(page.locator("#node_code-none")).to_be_visible()
    box.fill("")
    assert _shown_options(page) == everything
    for lang in ("hi", "en"):
        choose_language(page, lang)
        _fits(page)
        shot(page, f"admin-users-{lang}.png")


def test_admin_pages_fit_a_phone_in_both_languages(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["admin"])
    page.goto("/admin/users")
    page.locator("table a[href^='/admin/users/']").first.click()
    page.wait_for_url("**/admin/users/*")
    account = page.url.split("?")[0]
    for path, name in (
        (account, "admin-user"),
        ("/admin/tree?q=kalyanpur", "admin-tree"),
        ("/audit?action=login", "audit"),
    ):
        for lang in ("hi", "en"):
            page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            expect(page.locator("html")).to_have_attribute("lang", lang)
            _fits(page)
            shot(page, f"{name}-{lang}.png")
    page.goto("/admin/tree?q=kalyanpur")
    expect(page.locator("mark.hit").first).to_be_visible()
