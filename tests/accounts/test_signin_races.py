"""Sign-in tries arriving together, each on its own connection: the limits still hold.

The app is served over loopback HTTP on a database of its own (not the rolled-back test
transaction), on a fixed clock, and the tries go from a thread pool at one barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import signin, throttle
from nigrani.accounts.models import AuthThrottle, User, UserSession
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.core import clock as clocks
from nigrani.core.audit import AuditEntry
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import FieldCipher
from tests import serving
from tests.accounts.factories import CSRF, PASSWORD, make_staff, make_tree
from tests.conftest import TEST_KEY, fresh_database_url, make_settings

MOMENT = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
SECRET = pyotp.random_base32()
TOGETHER = 16


@dataclass
class Live:
    base: str
    sessions: sessionmaker[Session]
    clients: list[httpx.Client] = field(default_factory=list)

    def browser(self) -> tuple[httpx.Client, str]:
        """A client holding the CSRF cookie, and the token that goes with it."""
        client = httpx.Client(base_url=self.base, timeout=30)
        self.clients.append(client)
        match = CSRF.search(client.get("/login").text)
        assert match
        return client, match.group(1)

    def count(self, column: Any, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count(column)).where(*where)) or 0


def together(calls: list[Callable[[], httpx.Response]]) -> list[int]:
    """Run every call at once, one thread each; their statuses, sorted."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> int:
        start.wait()
        return call().status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return sorted(pool.map(run, calls))


@pytest.fixture()
def live(server: Live) -> Iterator[Live]:
    """The module's server; the browsers a test opened are closed after it."""
    yield server
    while server.clients:
        server.clients.pop().close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("signin-races")
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            make_tree(session)
            make_staff(session, Role.SHO, "S1", "sho1")
            for name in ("dcp1", "dcp2"):  # one account per test of the second factor
                dcp = make_staff(session, Role.DCP, "Z1", name)
                dcp.totp_secret_enc = FieldCipher(TEST_KEY).encrypt(SECRET)
        app = create_app(settings, clock=clocks.FixedClock(MOMENT))
        try:
            with serving.in_thread(app) as base:
                yield Live(base, sessions)
        finally:
            app.state.engine.dispose()
            engine.dispose()


def _password_try(
    live: Live, username: str, password: str, headers: dict[str, str] | None = None
) -> Callable[[], httpx.Response]:
    client, token = live.browser()
    form = {"username": username, "password": password, "csrf_token": token}
    return lambda: client.post("/login", data=form, headers=headers)


def test_wrong_passwords_together_are_counted_one_at_a_time(live: Live) -> None:
    calls = [_password_try(live, "sho1", "guess guess guess") for _ in range(TOGETHER)]
    free = throttle.ACCOUNT.free
    assert together(calls) == [401] * free + [429] * (TOGETHER - free)
    assert live.count(AuditEntry.id, AuditEntry.action == "login.failed") == free
    with live.sessions() as session:
        counted = session.scalars(
            select(AuthThrottle.failures).where(
                AuthThrottle.key.like("login-%"), AuthThrottle.failures > 0
            )
        )
        assert list(counted) == [free, free]  # the client's address and the name, alike


def test_many_names_together_from_one_address_stop_at_its_limit(live: Live) -> None:
    # uvicorn takes the client from X-Forwarded-For when the peer is 127.0.0.1, as behind
    # the nginx of deploy.md: one outside address, many names at once.
    behind = {"X-Forwarded-For": "203.0.113.50"}
    calls = [
        _password_try(live, f"spray{i}", "guess guess guess", behind)
        for i in range(throttle.ADDRESS.free + 4)
    ]
    free = throttle.ADDRESS.free
    assert together(calls) == [401] * free + [429] * 4
    row = throttle.key(throttle.ADDRESS, "203.0.113.50")
    assert live.count(AuthThrottle.key, AuthThrottle.key == row, AuthThrottle.failures == free)


def _pending_login(live: Live, username: str) -> tuple[httpx.Client, str]:
    client, token = live.browser()
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=form).status_code == 303
    return client, token


def _code_try(client: httpx.Client, token: str, code: str) -> Callable[[], httpx.Response]:
    return lambda: client.post("/login/totp", data={"code": code, "csrf_token": token})


def test_wrong_codes_together_on_one_pending_login_use_it_up_once(live: Live) -> None:
    client, token = _pending_login(live, "dcp1")
    wrong = [_code_try(client, token, "000000") for _ in range(TOGETHER)]
    assert together(wrong) == [401] * TOGETHER
    with live.sessions() as session:
        pending = session.scalars(
            select(UserSession).where(UserSession.pending_totp).order_by(UserSession.id.desc())
        ).first()
        assert pending is not None
        assert pending.totp_attempts == signin.SESSION_TRIES and pending.revoked_at is not None
    row = throttle.key(throttle.SECOND_FACTOR, str(_user_id(live, "dcp1")))
    assert live.count(AuthThrottle.key, AuthThrottle.key == row, AuthThrottle.failures == 5) == 1
    right = _code_try(client, token, pyotp.TOTP(SECRET).at(MOMENT))()
    assert right.status_code == 401 and "Start again" in right.text


def test_codes_together_over_many_pending_logins_stop_at_the_account_limit(
    live: Live,
) -> None:
    logins = [_pending_login(live, "dcp2") for _ in range(4)]
    wrong = [_code_try(c, t, "000000") for c, t in logins for _ in range(4)]
    free = throttle.SECOND_FACTOR.free  # 10, over pending logins that allow 5 each
    assert together(wrong) == [401] * free + [429] * (len(wrong) - free)
    user_id = _user_id(live, "dcp2")
    row = throttle.key(throttle.SECOND_FACTOR, str(user_id))
    assert live.count(AuthThrottle.key, AuthThrottle.key == row, AuthThrottle.failures == free)
    with live.sessions() as session:
        tried = session.scalar(
            select(func.sum(UserSession.totp_attempts)).where(UserSession.user_id == user_id)
        )
    assert tried == free


def _user_id(live: Live, username: str) -> int:
    with live.sessions() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()
