"""Browser steps the e2e tests share: sign in, take a documentation screenshot, look up
the Hindi catalogue."""

from __future__ import annotations

import os
import re
import string
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from nigrani.core.i18n import LOCALE_DIR
from nigrani.core.sms import templates
from nigrani.core.sms.templates import Template
from nigrani.demo.seed import DemoLogin

# Tests write nothing into the repository: screenshots go to a temporary folder, and
# `make screenshots` points this at docs/img to refresh the documentation's pictures.
SHOTS = Path(os.environ.get("NIGRANI_SCREENSHOTS") or Path(tempfile.gettempdir()) / "nigrani-shots")
HINDI_PO = LOCALE_DIR / "hi" / "LC_MESSAGES" / "messages.po"
FOOTAGE_LINK = re.compile(r"/f/([A-Za-z0-9_-]{20,})")
DASHBOARD = re.compile(r"^http://[^/]+/dashboard$")
# A citizen's phone: a small touch screen, in Hindi.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "hi-IN",
    "device_scale_factor": 2,
}


def sign_in(page: Page, login: DemoLogin) -> None:
    """Fill the staff sign-in form and press the button, as a person would."""
    page.goto("/login")
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # The exact path: a refused session would land on /login?next=/dashboard instead.
    expect(page).to_have_url(DASHBOARD)


def _sign_in_sms(template: Template) -> re.Pattern[str]:
    """The sign-in SMS's text with its code as the one group, its other values as any text."""
    parts = [
        re.escape(literal) + ("" if field is None else r"(\d{6})" if field == "code" else ".*?")
        for literal, field, _spec, _conv in string.Formatter().parse(template.text)
    ]
    return re.compile("".join(parts))


# The page shows the number's newest SMS: until the code goes out, that can be an older
# one (a demo complainant's complaint number has six digits too), so the code is read from
# the sign-in message only.
SIGN_IN_SMS = re.compile(
    "|".join(_sign_in_sms(templates.for_language("otp", lang)).pattern for lang in ("en", "hi"))
)


def sign_in_by_sms(page: Page, mobile: str, *, then: str) -> None:
    """A citizen signs in with the code the demo shows on the page, and lands on `then`."""
    page.goto(f"/citizen/login?next={then}")
    page.locator("#mobile").fill(mobile)
    page.locator("main form button[type=submit]").click()
    sms = page.locator("#demo-sms .mono")
    expect(sms).to_have_text(SIGN_IN_SMS, timeout=15_000)
    code = SIGN_IN_SMS.search(sms.inner_text())
    assert code is not None
    page.locator("#code").fill(next(group for group in code.groups() if group))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{then}")


def choose_language(page: Page, lang: str) -> None:
    """Click the header's language link (?lang=hi or ?lang=en, after the page's own query
    when it has one) and wait for the page."""
    page.locator(f'header .langs a[lang="{lang}"]').click()
    page.wait_for_url(re.compile(rf"[?&]lang={lang}$"))


def shot(page: Page, name: str, *, max_height: int = 1400) -> Path:
    """Save the whole page (up to max_height pixels) under SHOTS."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    size = page.viewport_size
    assert size is not None
    height = min(int(page.evaluate("document.documentElement.scrollHeight")), max_height)
    page.screenshot(
        path=path,
        full_page=True,
        animations="disabled",
        clip={"x": 0, "y": 0, "width": size["width"], "height": height},
    )
    return path


def fill_camera_registration(page: Page) -> None:
    """A citizen fills the camera registration form: a place found by name (Kalyanpur),
    the address, names, two cameras kept 30 days facing the road, and consent."""
    page.locator("#place-q").fill("Kalyan")
    choice = page.locator("#place-list button.choice").first
    expect(choice).to_be_visible()
    choice.click()
    station_text = hindi("This place is in the area of police station {station}.") or ""
    expect(page.locator("#place-status")).to_contain_text(station_text.split("{")[0].strip())
    page.locator("#address").fill("मकान 12, गली 4")
    page.locator("#name").fill("शर्मा निवास")
    page.locator("#owner_name").fill("सुनीता शर्मा")
    page.locator("#camera_count").fill("2")
    page.locator("#retention_days").select_option("30")
    page.locator("#facing").select_option("road")
    page.locator("input[name=consent]").check()


def footage_link(page: Page) -> str:
    """On an incident's page, the owner's one-time link from the footage SMS the scheduler
    sent (shown in demo mode), reloading until it is there."""
    sms = page.locator("#requests .sms-body")
    for _ in range(40):
        if sms.count() and FOOTAGE_LINK.search(sms.first.inner_text()):
            break
        page.wait_for_timeout(250)
        page.reload()
    match = FOOTAGE_LINK.search(sms.first.inner_text())
    assert match, "the footage SMS was never sent"
    return match.group(1)


def hindi(msgid: str) -> str | None:
    """The reviewed Hindi translation of a message, or None while the catalogue lacks it."""
    if not HINDI_PO.exists():
        return None
    with HINDI_PO.open("rb") as po:
        message = read_po(po, locale="hi").get(msgid)
    if message is None or message.fuzzy or not isinstance(message.string, str):
        return None
    return message.string or None
