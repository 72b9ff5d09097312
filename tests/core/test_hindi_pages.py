"""The Hindi pages are Hindi: each demo role, signed in with Hindi, walks the main pages,
and no Latin word shows outside an allow-list (proper nouns, technical words, codes, and
words people typed themselves, which stay as they were written)."""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.canvass.models import Incident
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.i18n import translate
from nigrani.core.web_context import LANG_COOKIE
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.health import seed_health
from nigrani.demo.incidents import seed_incidents
from nigrani.demo.seed import DemoLogin, seed_tree, seed_users
from nigrani.grievances.models import Complaint, ComplaintEvent, Feedback
from tests.accounts.factories import csrf_from, login
from tests.accounts.test_otp import deliver, sign_in_citizen

# Staff pages every role tries (a page a role may not open must refuse it in Hindi too).
STAFF_PAGES = (
    "/dashboard",
    "/cameras",
    "/cameras/map",
    "/cameras/report",
    "/stations/compliance",
    "/stations/cameras",
    "/incidents",
    "/grievances",
    "/grievances/dashboard",
    "/stations/live",
    "/audit",
    "/admin/users",
    "/account",
    "/notifications",
    "/health",
    "/health/cameras",
    "/health/cameras?state=offline",
    "/health/alerts",
    "/analytics",
    "/analytics/digest",
)
CITIZEN_PAGES = (
    "/citizen",
    "/citizen/cameras",
    "/citizen/cameras/new",
    "/citizen/complaints",
    "/citizen/complaints/new",
    "/citizen/complaints/track",
)
PUBLIC_PAGES = ("/login", "/citizen/login")

# Words that stay as they are in a Hindi page: the product, the demo city's proper nouns
# as written in Latin on purpose, technical abbreviations officers use, and units.
ALLOWED = frozenset(
    {
        "Nigrani", "English", "Kanpur", "Demo", "demo",
        "SMS", "OTP", "CCTV", "IST", "PDF", "CSV", "GeoJSON", "WhatsApp", "Open311",
        "TOTP", "API", "JSON", "SHA", "ID", "URL", "QR", "GPS", "OSM", "OpenStreetMap",
        "SHO", "ACP", "DCP", "IO", "FIR", "NVR", "DVR", "RTSP", "HLS", "MP", "ATM", "ONVIF",
        "km", "m", "MB", "GB", "KB", "fps", "px", "Leaflet",
    }
)  # fmt: skip
# Codes, URLs, addresses, hashes and masked names ("R***") are not words.
NOT_WORDS = re.compile(
    r"https?://\S+|\S+@\S+|\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b|\b[0-9a-f]{12,}\b|\+91[\d *]+"
    r"|\b\w\*\*\*"
)
# Timeline entries whose body the product writes (the others are what people wrote).
WRITTEN_BY_US = ("escalated", "created", "routed", "attachment")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’]*")


class _Text(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in ("script", "style", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def latin_words(html: str, allowed: frozenset[str]) -> set[str]:
    """The Latin words of a page's visible text that are not allowed to stay English."""
    parser = _Text()
    parser.feed(html)
    text = NOT_WORDS.sub(" ", " ".join(parser.parts))
    return {w for w in LATIN_WORD.findall(text) if w not in allowed}


def typed_words(db: Session) -> frozenset[str]:
    """Words people typed (names, complaint texts, addresses, site names): data, kept as
    written, so they may be English on a Hindi page."""
    values: list[str | None] = []
    for user in db.scalars(select(User)):
        values += [user.full_name, user.username]
    for c in db.scalars(select(Complaint)):
        values += [c.text, c.address, c.number]
    for site in db.scalars(select(Site)):
        values += [site.name, site.address, site.external_id]
    for incident in db.scalars(select(Incident)):
        values += [incident.number, incident.description, incident.address, incident.fir_number]
    for event in db.scalars(
        select(ComplaintEvent).where(ComplaintEvent.kind.not_in(WRITTEN_BY_US))
    ):
        values.append(event.body)
    for feedback in db.scalars(select(Feedback)):
        values.append(feedback.comment)
    values += db.scalars(select(AuditEntry.reason))
    text = " ".join(v for v in values if v)
    return frozenset(LATIN_WORD.findall(text))


def test_latin_words_are_found_outside_tags_and_scripts() -> None:
    page = (
        '<p title="English title">थाना Kotwali <b>SMS</b> KNP-S-KOTWALI '
        "https://x.example/a</p><script>var english = 1;</script><style>p{}</style>"
    )
    assert latin_words(page, ALLOWED) == {"Kotwali"}


@pytest.fixture()
def demo(db: Session, settings: Settings) -> list[DemoLogin]:
    seed_tree(db)
    logins = seed_users(db)
    seed_cameras(db, settings)
    seed_incidents(db, settings)
    seed_grievances(db, settings)
    seed_health(db, settings)
    db.commit()
    return logins


def _hindi(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "hi")


def _first_link(client: TestClient, page: str, pattern: str) -> str | None:
    response = client.get(page)
    match = re.search(pattern, response.text) if response.status_code == 200 else None
    return match.group(0) if match else None


SHOWN: list[str] = []  # every page read, so a walk that reads nothing cannot pass


def _walk(client: TestClient, pages: list[str], allowed: frozenset[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for path in pages:
        response = client.get(path)
        if response.status_code in (301, 302, 303, 307):
            continue
        if response.status_code == 200:
            SHOWN.append(path)
        for word in latin_words(response.text, allowed):
            found[word].add(path)
    return found


def _report(found: dict[str, set[str]]) -> str:
    lines = [f"{w}: {', '.join(sorted(p))}" for w, p in sorted(found.items())]
    return f"{len(found)} English words on Hindi pages:\n" + "\n".join(lines)


def test_every_role_sees_hindi_pages(
    client: TestClient, db: Session, demo: list[DemoLogin]
) -> None:
    allowed = ALLOWED | typed_words(db)
    found: dict[str, set[str]] = defaultdict(set)
    SHOWN.clear()
    _hindi(client)
    for path, words in _walk(client, list(PUBLIC_PAGES), allowed).items():
        found[path] |= words
    for demo_login in demo:
        client.cookies.clear()
        _hindi(client)
        assert login(client, demo_login.username, demo_login.password).status_code == 303
        pages = list(STAFF_PAGES)
        for listing, pattern in (
            ("/incidents", r"/incidents/\d+"),
            ("/grievances", r"/grievances/\d+"),
            ("/cameras", r"/cameras/sites/\d+"),
            ("/health/cameras", r"/health/cameras/\d+"),  # a broken camera's panel
        ):
            if link := _first_link(client, listing, pattern):
                pages.append(link)
        for word, paths in _walk(client, pages, allowed).items():
            found[word] |= {f"{demo_login.username} {p}" for p in paths}
    assert len(SHOWN) > len(demo) * 8 and {"/incidents", "/grievances", "/audit"} <= set(SHOWN)
    assert {"/health", "/health/cameras", "/health/alerts"} <= set(SHOWN)
    assert any(re.fullmatch(r"/health/cameras/\d+", p) for p in SHOWN)  # a camera's panel
    assert not found, _report(found)


def _register_own_cameras(client: TestClient, db: Session) -> None:
    """The citizen lists cameras of their own, asking for the health SMS (its switch shows)."""
    near = db.scalars(select(Site).order_by(Site.id)).first()
    assert near is not None
    form = {
        "name": "Verma Niwas", "owner_name": "Verma", "lat": str(near.lat),
        "lon": str(near.lon), "category": "residence", "camera_count": "2",
        "retention_days": "30", "consent": "yes", "health_sms": "yes",
        "csrf_token": csrf_from(client, "/citizen/cameras/new"),
    }  # fmt: skip
    assert client.post("/citizen/cameras", data=form, follow_redirects=False).status_code == 303


def _own_sites(client: TestClient) -> list[str]:
    mine = re.findall(r'href="(/citizen/cameras/\d+)"', client.get("/citizen/cameras").text)
    assert mine
    return sorted(set(mine))


@pytest.mark.usefixtures("demo")
def test_a_citizen_sees_hindi_pages(client: TestClient, db: Session) -> None:
    allowed = ALLOWED | typed_words(db)
    _hindi(client)
    deliver(client)  # the demo's own SMS first, so the sign-in code is the one sent next
    sign_in_citizen(client, db, "+919000020000")  # the first demo complainant
    _register_own_cameras(client, db)
    allowed |= typed_words(db)
    pages = [*CITIZEN_PAGES, *_own_sites(client)]
    if link := _first_link(client, "/citizen/complaints", r"/citizen/complaints/KNP-[\w-]+"):
        pages.append(link)
    SHOWN.clear()
    found = _walk(client, pages, allowed)
    assert len(SHOWN) >= len(CITIZEN_PAGES), SHOWN
    assert not found, _report(found)


def test_a_reopened_complaint_says_so(
    client: TestClient, db: Session, demo: list[DemoLogin]
) -> None:
    reopened = db.scalar(select(Complaint).where(Complaint.reopen_count > 0))
    assert reopened is not None and reopened.status == "acknowledged"
    control = next(d for d in demo if d.username == "control")
    _hindi(client)
    assert login(client, control.username, control.password).status_code == 303
    status = re.search(r'id="status">([^<]*)<', client.get(f"/grievances/{reopened.id}").text)
    assert status and status.group(1) == translate("Reopened", "hi") == "फिर से खोली गई"
