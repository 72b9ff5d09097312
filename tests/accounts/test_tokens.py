"""API keys on the administrator's pages: issue (shown once), use on Open311, revoke;
who may do it; and a key never standing for its user outside the routes of its scopes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import service
from nigrani.accounts.models import ApiToken, User
from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.db import utcnow
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.accounts.test_permissions import HOME

SECRET = re.compile(r'<code class="secret" id="secret">(ngr_[0-9a-f]{8}_[A-Za-z0-9_-]+)</code>')
FILING = {
    "service_code": "theft",
    "lat": "26.47",
    "long": "80.27",
    "address_string": "Mall Road crossing, Kanpur",
    "description": "My bicycle was stolen from outside the sweet shop.",
}


@pytest.fixture()
def admin(client: TestClient, db: Session) -> User:
    """A signed-in administrator on the small test tree."""
    make_tree(db)
    user = make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    assert login(client, "admin1").status_code == 303
    return user


def _issue(client: TestClient, **form: str | list[str]) -> str:
    data = {"name": "Kanpur 311 app", "scope": ["open311"], **form}
    data["csrf_token"] = csrf_from(client, "/admin/tokens")
    answer = client.post("/admin/tokens", data=data)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "it will not be shown again" in answer.text
    found = SECRET.search(answer.text)
    assert found, answer.text
    return found.group(1)


def _file(client: TestClient, key: str) -> int:
    answer: Response = client.post("/open311/v2/requests.json", data={**FILING, "api_key": key})
    return answer.status_code


def _revoke(client: TestClient, token_id: int, reason: str) -> int:
    token = csrf_from(client, f"/admin/tokens/{token_id}/revoke")
    data = {"reason": reason, "csrf_token": token}
    path = f"/admin/tokens/{token_id}/revoke"
    answer: Response = client.post(path, data=data, follow_redirects=False)
    return answer.status_code


def _audit(db: Session, action: str, token_id: int) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.object_id == str(token_id)
    )
    return list(db.scalars(stmt))


def test_admin_issues_a_key_that_files_on_open311_until_revoked(
    client: TestClient, other_client: TestClient, db: Session, admin: User
) -> None:
    page = client.get("/admin/tokens")
    assert page.status_code == 200 and 'href="/admin/tokens"' in page.text  # the nav links it
    secret = _issue(client, expires_days="30")
    row = db.scalars(select(ApiToken)).one()
    assert row.name == "Kanpur 311 app" and row.scopes == "open311" and row.user_id == admin.id
    assert secret.split("_", 2)[2] not in row.token_hash  # only the hash is kept
    assert row.expires_at is not None and row.expires_at - utcnow() > timedelta(days=29)
    listed = client.get("/admin/tokens").text
    assert "Kanpur 311 app" in listed and secret not in listed
    assert f"ngr_{row.prefix}_…" in listed

    assert _file(other_client, secret) == 200
    assert _file(other_client, secret + "x") == 403
    assert client.get(f"/admin/tokens/{row.id}/revoke").status_code == 200
    assert _revoke(client, row.id, "  ") == 422  # a reason is required
    assert _file(other_client, secret) == 200
    assert _revoke(client, row.id, "the app was retired") == 303
    assert f"Key {row.id} is revoked" in client.get(f"/admin/tokens?revoked={row.id}").text
    assert _file(other_client, secret) == 403

    db.refresh(row)
    revoked_at = row.revoked_at
    assert revoked_at is not None
    assert _revoke(client, row.id, "again") == 409  # a revoked key stays revoked, as it was
    db.refresh(row)
    assert row.revoked_at == revoked_at and _file(other_client, secret) == 403

    [issued] = _audit(db, "token.issue", row.id)
    assert issued.actor_id == admin.id and issued.actor_label == "admin1"
    [revoked] = _audit(db, "token.revoke", row.id)
    assert revoked.actor_id == admin.id and "the app was retired" in str(revoked.detail)


@pytest.mark.usefixtures("admin")
def test_an_expired_key_is_listed_as_expired_and_refused(
    client: TestClient, other_client: TestClient, db: Session
) -> None:
    secret = _issue(client)
    row = db.scalars(select(ApiToken)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    assert _file(other_client, secret) == 403
    listed = client.get("/admin/tokens").text
    assert "Expired" in listed and f'href="/admin/tokens/{row.id}/revoke"' not in listed


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"scope": []}, "Scopes must be among"),
        ({"scope": ["everything"]}, "Scopes must be among"),
        ({"name": "   "}, "Name: 1–120 characters"),
    ],
)
@pytest.mark.usefixtures("admin")
def test_a_bad_form_comes_back_with_the_reason(
    client: TestClient, db: Session, form: dict[str, object], problem: str
) -> None:
    data = {"name": "app", "scope": ["open311"], **form}
    data["csrf_token"] = csrf_from(client, "/admin/tokens")
    answer = client.post("/admin/tokens", data=data)
    assert answer.status_code == 422 and problem in answer.text
    assert db.scalars(select(ApiToken)).first() is None


@pytest.mark.usefixtures("admin")
def test_issuing_needs_the_csrf_token(client: TestClient, db: Session) -> None:
    answer = client.post("/admin/tokens", data={"name": "app", "scope": "open311"})
    assert answer.status_code == 403
    assert db.scalars(select(ApiToken)).first() is None


@pytest.mark.parametrize("role", [r for r in HOME if r != Role.ADMIN])
def test_other_roles_may_not_issue_or_revoke(role: Role, client: TestClient, db: Session) -> None:
    make_tree(db)
    owner = make_staff(db, Role.ADMIN, "C", "admin1")
    key = service.issue_token(db, user=owner, name="app", scopes=["open311"], actor=audit.SYSTEM)
    user = make_staff(db, role, HOME[role])
    db.commit()
    login(client, user.username or "")
    token = csrf_from(client, "/dashboard")
    assert 'href="/admin/tokens"' not in client.get("/dashboard").text
    assert client.get("/admin/tokens").status_code == 403
    form = {"name": "mine", "scope": "admin", "csrf_token": token}
    assert client.post("/admin/tokens", data=form).status_code == 403
    path = f"/admin/tokens/{key.token.id}/revoke"
    assert client.get(path).status_code == 403
    assert client.post(path, data={"reason": "x", "csrf_token": token}).status_code == 403
    db.refresh(key.token)
    assert key.token.revoked_at is None and len(db.scalars(select(ApiToken)).all()) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    answer = client.get("/admin/tokens", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_key_stands_for_its_user_only_where_a_route_names_a_scope(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    owner = make_staff(db, Role.ADMIN, "C", "admin1")
    key = service.issue_token(db, user=owner, name="app", scopes=["open311"], actor=audit.SYSTEM)
    db.commit()
    bearer = {"Authorization": f"Bearer {key.secret}"}
    # Bearer requests skip the CSRF check, so before this an Open311 key could add an admin.
    form = {"username": "intruder", "full_name": "X", "role": "admin", "node_code": "C"}
    added = client.post("/admin/users", headers=bearer, data={**form, "password": "p" * 12})
    assert added.status_code == 403
    assert db.scalar(select(User).where(User.username == "intruder")) is None
    issued = client.post("/admin/tokens", headers=bearer, data={"name": "x", "scope": "admin"})
    assert issued.status_code == 403
    assert client.get("/api/v1/cameras/sites", headers=bearer).status_code == 403
    assert client.get("/dashboard", headers=bearer).status_code == 403
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == "admin1"


@pytest.mark.usefixtures("admin")
def test_the_page_speaks_hindi(client: TestClient) -> None:
    page = client.get("/admin/tokens?lang=hi").text
    assert "API कुंजियाँ" in page and "कुंजी जारी करें" in page
