"""Every "at most N" rule holds when one subject's requests arrive together: an officer's
contact reveals, a mobile number's codes and code tries, a footage link's unfinished uploads.

The app is served over loopback HTTP on a database of its own (not the rolled-back test
transaction), so every request has its own connection and the races are real; on
PostgreSQL they are what READ COMMITTED allows, on SQLite what its writer lock allows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import otp
from nigrani.accounts.models import OtpChallenge, User
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.cameras.models import Site
from nigrani.canvass import footage, uploads
from nigrani.canvass.models import FootageUpload, Incident, OwnerReveal
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import clock as clocks
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from tests import serving
from tests.accounts.factories import CSRF, PASSWORD, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.conftest import fresh_database_url, make_settings

AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
TOGETHER = 16
REASON = "CCTV footage needed for the snatching on Mall Road"


@dataclass
class Live:
    """The app on a loopback port, its database, and its (fixed) clock."""

    base: str
    settings: Settings
    sessions: sessionmaker[Session]
    clock: clocks.FixedClock

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, follow_redirects=False)

    def csrf(self, client: httpx.Client, path: str) -> str:
        match = CSRF.search(client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def together(self, cookies: httpx.Cookies, calls: list[dict[str, Any]]) -> list[httpx.Response]:
        """Send every call at once, one connection each, all with the same browser's cookies."""
        start = threading.Barrier(len(calls))

        def send(call: dict[str, Any]) -> httpx.Response:
            with self.browser() as client:
                client.cookies = httpx.Cookies(cookies)
                request = client.build_request(**call)
                start.wait()
                return client.send(request)

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(send, calls))

    def count(self, column: Any, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count(column)).where(*where)) or 0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("limits")
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        fixed = clocks.FixedClock(AT)
        with clocks.use(fixed), transaction(sessions) as session:
            make_tree(session)
        app = create_app(settings, clock=fixed)
        try:
            with serving.in_thread(app) as base:
                yield Live(base, settings, sessions, fixed)
        finally:
            app.state.engine.dispose()
            engine.dispose()


def _statuses(replies: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in replies)


def _refused_clearly(replies: list[httpx.Response], words: str) -> None:
    refused = [r for r in replies if r.status_code == 429]
    assert refused
    for reply in refused:
        assert int(reply.headers["retry-after"]) > 0
        assert words in reply.text


def _officer(live: Live, username: str, mobile: str) -> tuple[httpx.Cookies, int, int]:
    """An investigating officer signed in, their incident and a shop nearby."""
    with clocks.use(live.clock), transaction(live.sessions) as session:
        io = make_staff(session, Role.INVESTIGATING_OFFICER, "S1", username=username)
        site = make_site(session, live.settings, name=username, owner_mobile=mobile)
        incident = make_incident(session, io)
        ids = incident.id, site.id
    with live.browser() as client:
        token = live.csrf(client, "/login")
        form = {"username": username, "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 303
        return client.cookies, *ids


def test_an_officers_reveals_sent_together_stop_at_the_hourly_limit(live: Live) -> None:
    cookies, incident_id, site_id = _officer(live, "io-reveals", "+919812345611")
    with live.browser() as client:
        client.cookies = cookies
        token = live.csrf(client, f"/incidents/{incident_id}")
    call = {
        "method": "POST",
        "url": f"/incidents/{incident_id}/sites/{site_id}/reveal",
        "data": {"reason": REASON, "csrf_token": token},
    }
    replies = live.together(cookies, [call] * TOGETHER)

    allowed = live.settings.reveals_per_hour
    assert _statuses(replies) == [200] * allowed + [429] * (TOGETHER - allowed)
    _refused_clearly(replies, "in the last hour")
    assert live.count(OwnerReveal.id, OwnerReveal.site_id == site_id) == allowed
    revealed = (AuditEntry.action == "site.owner_revealed", AuditEntry.object_id == str(site_id))
    assert live.count(AuditEntry.id, *revealed) == allowed


def _citizen_form(live: Live) -> tuple[httpx.Cookies, str]:
    with live.browser() as client:
        return client.cookies, live.csrf(client, "/citizen/login")


def test_codes_asked_for_together_send_one_sms(live: Live) -> None:
    cookies, token = _citizen_form(live)
    call = {
        "method": "POST",
        "url": "/citizen/login",
        "data": {"mobile": "98765 43221", "csrf_token": token},
    }
    replies = live.together(cookies, [call] * TOGETHER)

    # The first code waits otp_resend_seconds for the next: one of the burst is sent.
    assert _statuses(replies) == [200] + [429] * (TOGETHER - 1)
    _refused_clearly(replies, "You can ask again in")
    ph = otp.phone_hash(live.settings, "+919876543221")
    assert live.count(OtpChallenge.id, OtpChallenge.phone_hash == ph) == 1


def test_code_tries_sent_together_stop_at_the_attempt_limit(live: Live) -> None:
    cookies, token = _citizen_form(live)
    mobile = "+919876543222"
    with live.browser() as client:
        client.cookies = cookies
        sent = client.post("/citizen/login", data={"mobile": mobile, "csrf_token": token})
        assert sent.status_code == 200
    form = {"mobile": mobile, "code": "1234567", "csrf_token": token}  # 7 digits: never right
    call = {"method": "POST", "url": "/citizen/login/code", "data": form}
    replies = live.together(cookies, [call] * TOGETHER)

    tries = live.settings.otp_max_attempts
    assert _statuses(replies) == [401] * tries + [429] * (TOGETHER - tries)
    assert all("Wrong code" in r.text for r in replies if r.status_code == 401)
    _refused_clearly(replies, "Too many wrong tries")
    ph = otp.phone_hash(live.settings, mobile)
    with live.sessions() as session:
        assert session.scalars(
            select(OtpChallenge.attempts).where(OtpChallenge.phone_hash == ph)
        ).all() == [tries]


def _owner_on_link(live: Live, incident_id: int, site_id: int) -> tuple[httpx.Cookies, str, int]:
    """A footage request sent to the shop's owner, opened on their phone; its CSRF token."""
    with clocks.use(live.clock), transaction(live.sessions) as session:
        incident = session.get_one(Incident, incident_id)
        link = footage.send_request(
            session,
            settings=live.settings,
            incident=incident,
            site=session.get_one(Site, site_id),
            data=FootageRequestCreate(site_id=site_id),
            user=session.get_one(User, incident.officer_id),
        )
        request_id = link.request.id
    with live.browser() as owner:
        token = live.csrf(owner, f"/f/{link.token}")
        assert owner.post(f"/f/{link.token}", data={"csrf_token": token}).status_code == 303
        return owner.cookies, live.csrf(owner, "/footage"), request_id


def test_uploads_started_together_on_one_link_stop_at_the_open_limit(live: Live) -> None:
    _, incident_id, site_id = _officer(live, "io-uploads", "+919812345612")
    cookies, csrf, request_id = _owner_on_link(live, incident_id, site_id)
    head = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, "Accept": "application/json"}
    call = {"method": "POST", "url": "/footage/uploads", "headers": {**head, "Upload-Length": "9"}}
    burst = uploads.MAX_OPEN_UPLOADS + 4
    replies = live.together(cookies, [call] * burst)

    allowed = uploads.MAX_OPEN_UPLOADS
    assert _statuses(replies) == [201] * allowed + [429] * (burst - allowed)
    _refused_clearly(replies, "uploads are already in progress")
    opened = (FootageUpload.request_id == request_id, FootageUpload.status == "open")
    assert live.count(FootageUpload.id, *opened) == allowed
