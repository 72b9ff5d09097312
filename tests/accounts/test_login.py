"""Staff sign-in: password, TOTP, sign-out, CSRF, API tokens."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from tests.accounts.factories import PASSWORD, csrf_from, login, make_staff, make_tree


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


def test_totp_second_step(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.DCP, "Z1", "dcp1")
    db.commit()
    login(client, "dcp1")
    page = client.post("/account/totp", data={"csrf_token": csrf_from(client, "/account")})
    uri = unquote(re.search(r"(otpauth://[^<\s]+)", page.text).group(1))  # type: ignore[union-attr]
    secret = parse_qs(urlparse(uri.replace("&amp;", "&")).query)["secret"][0]
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    first = login(client, "dcp1")
    assert first.status_code == 303 and first.headers["location"].startswith("/login/totp")
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    token = csrf_from(client, "/login/totp")
    wrong = client.post("/login/totp", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401
    code = pyotp.TOTP(secret).now()
    ok = client.post(
        "/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303
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


def test_repeated_wrong_passwords_lock_the_account_for_a_while(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    for _ in range(10):
        assert login(client, "sho1", "guess guess guess").status_code == 401
    locked = login(client, "sho1")  # even the right password waits now
    assert locked.status_code == 429
    assert "15 minutes" in locked.text


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
        ({"node_code": "S1"}, 422, "attached to a circle"),
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
