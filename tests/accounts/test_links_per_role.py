"""Every link a role is shown opens for it. Signed in as each demo role (and as a citizen),
the links in the navigation and on every page the navigation leads to (home, cameras,
stations, complaints…) are followed; none may answer 403 (or 404, 405, 5xx): a page shows a
link only to those with the permission behind it (the Commissioner was once shown "Import")."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.incidents import seed_incidents
from nigrani.demo.seed import DemoLogin, seed_tree, seed_users
from nigrani.demo.stations import seed_station_cameras
from tests.accounts.factories import login
from tests.accounts.test_otp import deliver, sign_in_citizen

HREF = re.compile(r"<a\b[^>]*?\bhref=\"(/[^\"#]*)\"")
NAV = re.compile(r'<nav class="nav">(.*?)</nav>', re.DOTALL)
# Followed, but never collected: signing out, the language switch and the static files.
SKIP = re.compile(r"^/(static/|logout)|[?&]lang=")
HOMES = {True: "/citizen", False: "/dashboard"}


@pytest.fixture()
def demo(db: Session, settings: Settings) -> dict[Role, DemoLogin]:
    """The Kanpur demo, one sign-in per staff role."""
    seed_tree(db)
    logins = seed_users(db)
    seed_cameras(db, settings)
    seed_incidents(db, settings)
    seed_grievances(db, settings)
    seed_station_cameras(db, settings)
    db.commit()
    return {login.role: login for login in logins}


def _hrefs(text: str) -> list[str]:
    found = (html.unescape(href) for href in HREF.findall(text))
    return [href for href in found if not SKIP.search(href)]


def _shape(href: str) -> str:
    """One link of each kind is enough: /cameras/sites/12 and /cameras/sites/13 are one, so
    are /jurisdiction/KNP-S-KOTWALI and /jurisdiction/KNP-S-BARRA (ids and codes)."""
    parts = urlsplit(href)
    path = re.sub(r"(?<=/)[A-Z0-9][A-Za-z0-9_-]*", "N", parts.path)
    return path + "?" + re.sub(r"=[^&]*", "=", parts.query)


def _shown_links(client: TestClient, home: str) -> tuple[dict[str, str], dict[str, int]]:
    """Each kind of link shown in the navigation, on the pages it leads to and on the pages
    those link to (link → the page showing it), and the status of each page opened."""
    start = client.get(home)
    assert start.status_code == 200, home
    nav = NAV.search(start.text)
    assert nav is not None
    shown = dict.fromkeys([home, *_hrefs(nav.group(1))], home)
    kinds = {_shape(href) for href in shown}
    opened: dict[str, int] = {}
    for _depth in range(2):
        for page in [href for href in shown if href not in opened]:
            response = client.get(page)
            opened[page] = response.status_code
            if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
                continue
            for href in _hrefs(response.text):
                if _shape(href) not in kinds:
                    kinds.add(_shape(href))
                    shown[href] = page
    return shown, opened


def _refused(client: TestClient, home: str) -> list[str]:
    """The links shown that do not open: 'link (status, shown on page)'."""
    shown, opened = _shown_links(client, home)
    refused = []
    for href, page in shown.items():
        status = opened[href] if href in opened else client.get(href).status_code
        if status in (403, 404, 405) or status >= 500:
            refused.append(f"{href} ({status}, shown on {page})")
    return refused


def test_no_staff_role_is_shown_a_link_it_may_not_open(
    client: TestClient, demo: dict[Role, DemoLogin]
) -> None:
    refused: dict[str, list[str]] = {}
    for role, sign_in in demo.items():
        client.cookies.clear()
        assert login(client, sign_in.username, sign_in.password).status_code == 303
        if problems := _refused(client, HOMES[False]):
            refused[role.value] = problems
    assert refused == {}


def test_a_citizen_is_shown_only_links_it_may_open(
    client: TestClient,
    db: Session,
    demo: dict[Role, DemoLogin],  # noqa: ARG001 - the cameras and complaints a citizen sees
) -> None:
    deliver(client)  # the demo's own messages first: then the one outgoing SMS is the code
    sign_in_citizen(client, db, "9876543210")
    assert _refused(client, HOMES[True]) == []
