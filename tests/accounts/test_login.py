"""Staff sign-in: password, TOTP, sign-out, CSRF, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import signin, throttle
from nigrani.accounts.models import AuthThrottle, User
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from tests.accounts.factories import PASSWORD, csrf_from, login, make_staff, make_tree
from tests.accounts.signin_helpers import code_tries, turn_on_totp
from tests.conftest import Freeze, SwitchClock


def test_wrong_password_is_refused_and_audited(client: TestClient, db: Session) -> None:
    make_tree(db)
    user = make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    response = login(client, "sho1", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert login(client, "nobody", PASSWORD).status_code == 401
    failed = db.scalar(
        select(func.count()).where(
            AuditEntry.action == "login.failed", AuditEntry.object_id == str(user.id)
        )
    )
    assert failed == 1
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_and_out(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    response = login(client, "sho1")
    assert response.headers["location"] == "/dashboard"
    cookie = client.cookies.get("nigrani_session")
    assert cookie and "S1 en" in client.get("/dashboard").text
    token = csrf_from(client, "/dashboard")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200
    client.cookies.set("nigrani_session", cookie)  # a stolen cookie is dead after sign-out
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_next_parameter_cannot_leave_the_site(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    token = csrf_from(client)
    response = client.post(
        "/login",
        follow_redirects=False,
        data={
            "username": "sho1",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["location"] == "/dashboard"


def test_state_changing_form_without_csrf_is_refused(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    login(client, "admin1")
    form = {
        "username": "newuser",
        "full_name": "New",
        "role": "sho",
        "node_code": "S1",
        "password": PASSWORD,
    }
    assert client.post("/admin/users", data=form).status_code == 403
    assert client.post("/admin/users", data={**form, "csrf_token": "f" * 64}).status_code == 403
    assert db.scalar(select(User).where(User.username == "newuser")) is None
    token = csrf_from(client, "/admin/users")
    assert client.post("/admin/users", data={**form, "csrf_token": token}).status_code == 200
    assert db.scalar(select(User).where(User.username == "newuser")) is not None


def test_login_form_itself_needs_csrf(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    response = client.post("/login", data={"username": "sho1", "password": PASSWORD})
    assert response.status_code == 403
    assert "nigrani_session" not in client.cookies


def test_totp_second_step(client: TestClient, db: Session, clock: SwitchClock) -> None:
    make_tree(db)
    make_staff(db, Role.DCP, "Z1", "dcp1")
    db.commit()
    login(client, "dcp1")
    secret = turn_on_totp(client, clock.now())
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    first = login(client, "dcp1")
    assert first.status_code == 303 and first.headers["location"].startswith("/login/totp")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    assert code_tries(client, "000000").status_code == 401
    assert code_tries(client, pyotp.TOTP(secret).at(clock.now())).status_code == 303
    assert client.get("/dashboard").status_code == 200


def test_api_token_scopes(client: TestClient, db: Session, other_client: TestClient) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    login(client, "admin1")
    headers = {"X-CSRF-Token": csrf_from(client, "/dashboard")}
    issued = client.post(
        "/api/v1/tokens", headers=headers, json={"name": "worker-1", "scopes": ["worker"]}
    )
    assert issued.status_code == 201
    secret = issued.json()["token"]
    full = client.post(
        "/api/v1/tokens", headers=headers, json={"name": "gis", "scopes": ["jurisdiction:read"]}
    ).json()["token"]
    bad_scope = client.post(
        "/api/v1/tokens", headers=headers, json={"name": "x", "scopes": ["everything"]}
    )
    assert bad_scope.status_code == 422
    auth = {"Authorization": f"Bearer {secret}"}
    assert other_client.get("/api/v1/me", headers=auth).json()["username"] == "admin1"
    assert other_client.get("/api/v1/jurisdiction/nodes", headers=auth).status_code == 403
    nodes = other_client.get(
        "/api/v1/jurisdiction/nodes", headers={"Authorization": f"Bearer {full}"}
    )
    assert nodes.status_code == 200 and nodes.json()["total"] == 9
    assert (
        other_client.get("/api/v1/me", headers={"Authorization": "Bearer ngr_x_y"}).status_code
        == 401
    )
    stored = db.execute(select(func.count()).select_from(User)).scalar()
    assert stored == 1


MOMENT = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)


@pytest.fixture()
def quick_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the counting, not of argon2: the password check without its 0.1 s hash."""
    monkeypatch.setattr(signin, "verify_password", lambda _stored, password: password == PASSWORD)


@pytest.fixture()
def few_per_address(
    monkeypatch: pytest.MonkeyPatch,
    quick_hash: None,  # noqa: ARG001 - a fixture cannot use usefixtures: its patch only
) -> int:
    """A per-address allowance of 4 free failures, so the tests need few tries."""
    monkeypatch.setattr(throttle, "ADDRESS", throttle.Policy("login-addr", free=4))
    return 4


def _tries(client: TestClient, username: str, passwords: list[str]) -> list[tuple[int, str]]:
    """(status, Retry-After) of each sign-in try, in order."""
    answers = []
    for password in passwords:
        response = login(client, username, password)
        answers.append((response.status_code, response.headers.get("retry-after", "")))
    return answers


@pytest.mark.usefixtures("quick_hash")
def test_wrong_passwords_slow_down_but_the_owner_gets_back_in(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    wrong = ["guess guess guess"] * 5
    assert _tries(client, "sho1", wrong) == [(401, "")] * 5
    waiting = login(client, "sho1")  # even the right password waits now, but not for long
    assert (waiting.status_code, waiting.headers["retry-after"]) == (429, "15")
    assert "Try again in 15 seconds" in waiting.text
    clock.advance(timedelta(seconds=15))
    assert login(client, "sho1").status_code == 303
    # The owner's success forgets the failures: five free ones again.
    assert _tries(client, "sho1", wrong) == [(401, "")] * 5


@pytest.mark.usefixtures("quick_hash")
def test_the_waits_double_up_to_five_minutes_and_an_hour_forgets_them(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    _tries(client, "sho1", ["guess guess guess"] * 5)
    waits = []
    for _ in range(7):
        refused = login(client, "sho1", "guess guess guess")
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))
        assert login(client, "sho1", "guess guess guess").status_code == 401
    assert waits == [15, 30, 60, 120, 240, 300, 300]
    assert "Try again in 5 minutes" in login(client, "sho1").text
    clock.advance(throttle.FORGET)
    assert _tries(client, "sho1", ["guess guess guess"] * 5) == [(401, "")] * 5


@pytest.mark.usefixtures("quick_hash")
def test_subjects_quiet_long_enough_are_dropped_when_new_ones_come(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(MOMENT)
    make_tree(db)
    db.commit()
    for name in ("old1", "old2"):
        login(client, name, "guess guess guess")
    assert db.scalar(select(func.count(AuthThrottle.key))) == 3  # two names, one address
    clock.advance(throttle.FORGET + throttle.ADDRESS.cap)
    login(client, "old1", "guess guess guess")  # known subjects: nothing new, nothing dropped
    assert db.scalar(select(func.count(AuthThrottle.key))) == 3
    clock.advance(throttle.FORGET + throttle.ADDRESS.cap)
    with TestClient(client.app, client=("198.51.100.8", 1)) as newcomer:
        login(newcomer, "new1", "guess guess guess")
    keys = set(db.scalars(select(AuthThrottle.key)))
    assert "login-addr:198.51.100.8" in keys and len(keys) == 2  # the new address and name


def test_known_and_unknown_names_are_answered_alike(
    client: TestClient, db: Session, freeze: Freeze, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    hashed: list[str] = []

    def verify(stored: str, password: str) -> bool:  # noqa: ARG001 - the verifier's signature
        hashed.append(stored)
        return False

    monkeypatch.setattr(signin, "verify_password", verify)
    answers = {}
    for name in ("sho1", "nobody-here"):
        texts: list[object] = []
        for _ in range(7):
            response = login(client, name, "guess guess guess")
            texts.append((response.status_code, response.headers.get("retry-after")))
            texts.append(response.text.replace(name, "NAME"))
        answers[name] = texts
    assert answers["sho1"] == answers["nobody-here"]
    assert len(hashed) == 10  # a hash computed for every try that was not refused, both names
    failed = db.scalars(select(AuditEntry.object_type).where(AuditEntry.action == "login.failed"))
    assert sorted(failed) == ["login"] * 5 + ["user"] * 5


def test_one_address_trying_many_names_slows_down_and_others_do_not(
    client: TestClient, db: Session, freeze: Freeze, few_per_address: int
) -> None:
    freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    for i in range(few_per_address):
        assert login(client, f"name{i}", "guess guess guess").status_code == 401
    refused = login(client, "sho1")  # a new name, but the same client
    assert refused.status_code == 429 and refused.headers["retry-after"] == "15"
    # X-Forwarded-For is not believed from a peer that is no trusted proxy.
    forged = csrf_from(client)
    spoofed = client.post(
        "/login",
        data={"username": "sho1", "password": PASSWORD, "csrf_token": forged},
        headers={"X-Forwarded-For": "203.0.113.9"},
        follow_redirects=False,
    )
    assert spoofed.status_code == 429
    with TestClient(client.app, client=("198.51.100.7", 40000)) as elsewhere:
        assert login(elsewhere, "sho1").status_code == 303
    keys = set(db.scalars(select(AuthThrottle.key)))
    assert "login-addr:testclient" in keys and "login-addr:198.51.100.7" in keys
    assert not any("sho1" in k or "name1" in k for k in keys)  # names are only hashed


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    app: FastAPI, db: Session, freeze: Freeze, settings: Settings, few_per_address: int
) -> None:
    freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    proxied = create_app(
        settings.model_copy(update={"trusted_proxies": ("127.0.0.0/8",)}), clock=app.state.clock
    )
    proxied.state.sessions = app.state.sessions
    with TestClient(proxied, client=("127.0.0.1", 40000)) as via_proxy:
        token = csrf_from(via_proxy)
        for i in range(few_per_address):
            via_proxy.post(
                "/login",
                data={"username": f"n{i}", "password": "guess guess guess", "csrf_token": token},
                headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.5"},  # the proxy appended .5
            )
        other = via_proxy.post(
            "/login",
            data={"username": "sho1", "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.6"},
            follow_redirects=False,
        )
        assert other.status_code == 303
        same_one = via_proxy.post(
            "/login",
            data={"username": "sho1", "password": PASSWORD, "csrf_token": token},
            headers={"X-Forwarded-For": "9.9.9.9, 203.0.113.5"},
            follow_redirects=False,
        )
        assert same_one.status_code == 429
    assert db.get(AuthThrottle, "login-addr:203.0.113.5") is not None
    assert db.get(AuthThrottle, "login-addr:1.2.3.4") is None


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_nul_in_the_name_is_refused_before_anything_is_counted(
    client: TestClient, db: Session, encoding: str
) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    fields = {"username": "sho\x001", "password": PASSWORD, "csrf_token": csrf_from(client)}
    if encoding == "form":
        response = client.post("/login", data=fields)
    else:
        response = client.post("/login", files={k: (None, v) for k, v in fields.items()})
    assert response.status_code == 422
    assert "control character" in response.text
    assert db.scalar(select(func.count(AuthThrottle.key))) == 0
    assert (
        db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login.failed")) == 0
    )


def test_a_bogus_bearer_header_does_not_skip_csrf(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    login(client, "sho1")
    refused = client.post("/logout", headers={"Authorization": "Bearer ngr_bogus_token"})
    assert refused.status_code == 401
    assert client.get("/dashboard", follow_redirects=False).status_code == 200  # still in


def test_a_live_bearer_skips_csrf_and_its_request_uses_no_cookie(
    client: TestClient, db: Session, other_client: TestClient
) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    login(client, "admin1")
    headers = {"X-CSRF-Token": csrf_from(client, "/dashboard")}
    issued = client.post("/api/v1/tokens", headers=headers, json={"name": "w", "scopes": ["admin"]})
    auth = {"Authorization": f"Bearer {issued.json()['token']}"}
    # No CSRF token: the live bearer is enough; the session cookie is not used (not ended).
    cookie = client.cookies.get("nigrani_session")
    assert client.post("/logout", headers=auth, follow_redirects=False).status_code == 303
    client.cookies.set("nigrani_session", cookie or "")
    assert client.get("/dashboard", follow_redirects=False).status_code == 200
    body = {
        "username": "acp9",
        "full_name": "A",
        "role": "acp",
        "node_code": "C1",
        "password": PASSWORD,
    }
    assert other_client.post("/api/v1/users", headers=auth, json=body).status_code == 201


def test_user_api_validates_and_writes_nothing_on_error(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    login(client, "admin1")
    headers = {"X-CSRF-Token": csrf_from(client, "/dashboard")}
    body = {
        "username": "acp2",
        "full_name": "ACP Two",
        "role": "acp",
        "node_code": "C2",
        "password": PASSWORD,
    }
    cases = [
        ({"role": "superuser"}, 422, "Unknown role"),
        ({"node_code": "S1"}, 422, "attached only to: Circle. This is: Police station"),
        ({"node_code": "NOPE"}, 404, "NOPE"),
        ({"password": "short"}, 422, "password"),
        ({"username": "Bad Name"}, 422, "Username"),
    ]
    for change, status, says in cases:
        response = client.post("/api/v1/users", headers=headers, json={**body, **change})
        assert response.status_code == status, change
        assert says in response.text
    count = db.scalar(select(func.count(User.id)))
    assert count == 1
    created = client.post("/api/v1/users", headers=headers, json=body)
    assert created.status_code == 201 and created.json()["node_code"] == "C2"
    again = client.post("/api/v1/users", headers=headers, json=body)
    assert again.status_code == 409
