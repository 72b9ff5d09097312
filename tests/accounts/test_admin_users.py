"""Administrators change staff accounts: edit, disable and enable, reset a password, move to
another node or role; each change audited with what it was before and after, refused
outside the administrator's jurisdiction, and confirmed with a message."""

from __future__ import annotations

import json
import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction, service
from nigrani.accounts.models import User, UserSession
from nigrani.accounts.roles import Level, Role
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.security import FieldCipher, verify_password
from tests.accounts.factories import PASSWORD, csrf_from, login, make_staff, make_tree
from tests.accounts.signin_helpers import code_tries, turn_on_totp

TEMPORARY = re.compile(r'<code class="secret">([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>')


@pytest.fixture()
def admin(client: TestClient, db: Session) -> User:
    """A signed-in administrator on the small test tree."""
    make_tree(db)
    user = make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    assert login(client, "admin1").status_code == 303
    return user


@pytest.fixture()
def io(db: Session, admin: User) -> User:  # noqa: ARG001 - signed in first
    """An investigating officer at S1, to be changed."""
    user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1", "io-ram")
    db.commit()
    return user


def _post(client: TestClient, path: str, **form: str) -> Response:
    form["csrf_token"] = csrf_from(client, "/admin/users")
    answer: Response = client.post(path, data=form, follow_redirects=False)
    return answer


def _edit(client: TestClient, user: User, **form: str) -> Response:
    data = {"full_name": user.full_name, "role": user.role, "node_code": "S1", **form}
    return _post(client, f"/admin/users/{user.id}", **data)


def _last(db: Session, action: str) -> AuditEntry:
    db.expire_all()
    row = db.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    )
    assert row is not None, action
    return row


@pytest.mark.usefixtures("admin")
def test_adding_a_user_says_so(client: TestClient) -> None:
    answer = _post(
        client,
        "/admin/users",
        username="sho-new",
        full_name="Naya SHO",
        role="sho",
        node_code="S1",
        password=PASSWORD,
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["location"])
    assert "The account was added." in page.text
    assert "sho-new" in page.text


def test_the_list_links_each_account_to_its_page(client: TestClient, io: User) -> None:
    page = client.get("/admin/users")
    assert f'href="/admin/users/{io.id}"' in page.text
    one = client.get(f"/admin/users/{io.id}")
    assert one.status_code == 200
    assert "io-ram" in one.text


def test_edit_name_and_mobile_is_audited_before_and_after(
    client: TestClient, db: Session, settings: Settings, io: User
) -> None:
    answer = _edit(client, io, full_name="Ram Prasad", mobile="98765 43210")
    assert answer.status_code == 303
    assert "The changes were saved." in client.get(answer.headers["location"]).text
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None
    assert user.full_name == "Ram Prasad"
    assert user.phone_enc and FieldCipher(settings.encryption_key).decrypt(user.phone_enc) == (
        "+919876543210"
    )
    assert user.phone_masked == "+91 ********10"
    assert user.phone_hash is None  # no citizen sign-in by mobile for a staff account
    detail = json.loads(_last(db, "user.update").detail)
    assert detail["before"] == {"full_name": "Test investigating_officer", "mobile": None}
    assert detail["after"] == {"full_name": "Ram Prasad", "mobile": "+91 ********10"}
    assert "9876543210" not in _last(db, "user.update").detail


def test_an_empty_mobile_keeps_the_number_and_the_box_removes_it(
    client: TestClient, db: Session, io: User
) -> None:
    _edit(client, io, mobile="9876543210")
    _edit(client, io, mobile="")
    db.expire_all()
    assert db.get(User, io.id).phone_masked == "+91 ********10"  # type: ignore[union-attr]
    _edit(client, io, mobile="", clear_mobile="1")
    db.expire_all()
    assert db.get(User, io.id).phone_enc is None  # type: ignore[union-attr]


def test_move_to_another_node_and_role(client: TestClient, db: Session, io: User) -> None:
    answer = _edit(client, io, role="sho", node_code="S2")
    assert answer.status_code == 303
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None and user.role == "sho" and user.node is not None
    assert user.node.code == "S2"
    detail = json.loads(_last(db, "user.update").detail)
    assert detail["before"] == {"node": "S1", "role": "investigating_officer"}
    assert detail["after"] == {"node": "S2", "role": "sho"}


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"role": "sho", "node_code": "C1"}, 422),  # an SHO sits at a station, not a circle
        ({"role": "citizen"}, 422),
        ({"role": "nope"}, 422),
        ({"node_code": "NOPE"}, 404),
        ({"full_name": "  "}, 422),
        ({"mobile": "12345"}, 422),
    ],
)
def test_a_wrong_change_is_refused_and_nothing_changes(
    client: TestClient, db: Session, io: User, form: dict[str, str], status: int
) -> None:
    answer = _edit(client, io, **form)
    assert answer.status_code == status
    assert 'role="alert"' in answer.text
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None and user.role == "investigating_officer"
    assert user.node is not None and user.node.code == "S1"
    assert user.full_name == "Test investigating_officer" and user.phone_enc is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user.update")) is None


def test_disable_ends_sessions_and_api_keys_and_enable_restores_sign_in(
    client: TestClient, other_client: TestClient, db: Session, io: User
) -> None:
    assert login(other_client, "io-ram").status_code == 303
    key = service.issue_token(
        db, user=io, name="worker", scopes=["canvass"], actor=audit.SYSTEM
    ).secret
    db.commit()
    assert other_client.get("/dashboard").status_code == 200
    answer = _post(client, f"/admin/users/{io.id}/active", active="0")
    assert answer.status_code == 303
    assert "The account was disabled" in client.get(answer.headers["location"]).text
    assert other_client.get("/dashboard", follow_redirects=False).status_code == 303  # signed out
    api = other_client.get("/api/v1/incidents/1", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 401
    assert login(other_client, "io-ram").status_code == 401
    db.expire_all()
    assert db.scalars(select(UserSession.revoked_at).where(UserSession.user_id == io.id)).all() != [
        None
    ]
    assert json.loads(_last(db, "user.disable").detail)["after"] == {"active": False}
    answer = _post(client, f"/admin/users/{io.id}/active", active="1")
    assert "The account was enabled again." in client.get(answer.headers["location"]).text
    assert login(other_client, "io-ram").status_code == 303
    assert json.loads(_last(db, "user.enable").detail)["before"] == {"active": False}


def test_an_admin_cannot_disable_or_move_themselves(
    client: TestClient, db: Session, admin: User
) -> None:
    assert _post(client, f"/admin/users/{admin.id}/active", active="0").status_code == 409
    moved = _post(client, f"/admin/users/{admin.id}", full_name="A", role="auditor", node_code="C")
    assert moved.status_code == 409
    db.expire_all()
    user = db.get(User, admin.id)
    assert user is not None and user.is_active and user.role == "admin"


def test_reset_shows_a_temporary_password_once_and_forces_a_new_one(
    client: TestClient, other_client: TestClient, db: Session, io: User
) -> None:
    assert login(other_client, "io-ram").status_code == 303
    answer = _post(client, f"/admin/users/{io.id}/password")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    found = TEMPORARY.search(answer.text)
    assert found, answer.text
    temporary = found.group(1)
    assert temporary not in client.get(f"/admin/users/{io.id}").text  # shown once
    assert other_client.get("/dashboard", follow_redirects=False).status_code == 303  # ended
    entry = _last(db, "user.password_reset")
    assert json.loads(entry.detail) == {"generated": True, "username": "io-ram"}
    assert temporary not in entry.detail
    assert login(other_client, "io-ram", PASSWORD).status_code == 401
    signed = login(other_client, "io-ram", temporary)
    assert signed.headers["location"] == "/account/password"
    assert other_client.get("/dashboard").status_code == 403  # a new password first
    form = {"csrf_token": csrf_from(other_client, "/account/password")}
    short = other_client.post("/account/password", data={**form, "password": "x", "confirm": "x"})
    assert short.status_code == 422
    fresh = "my own new password"
    done = other_client.post(
        "/account/password", data={**form, "password": fresh, "confirm": fresh}
    )
    assert done.status_code == 200 and "Your new password is in force." in done.text
    assert other_client.get("/dashboard").status_code == 200
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None and not user.must_change_password
    assert user.password_hash and verify_password(user.password_hash, fresh)


def test_reset_to_a_password_the_admin_types(client: TestClient, db: Session, io: User) -> None:
    assert _post(client, f"/admin/users/{io.id}/password", password="short").status_code == 422
    answer = _post(client, f"/admin/users/{io.id}/password", password="given by the admin")
    assert answer.status_code == 303
    assert "The new password is set." in client.get(answer.headers["location"]).text
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None and user.must_change_password
    assert user.password_hash and verify_password(user.password_hash, "given by the admin")


def test_an_admin_of_another_city_gets_404_and_changes_nothing(
    client: TestClient, other_client: TestClient, db: Session, io: User
) -> None:
    other = jurisdiction.create_node(
        db,
        code="LKO",
        level=Level.COMMISSIONERATE,
        name_en="Lucknow",
        name_hi="लखनऊ",
        parent=None,
    )
    make_staff(db, Role.ADMIN, other.code, "admin-lko")
    db.commit()
    assert login(other_client, "admin-lko").status_code == 303
    token = csrf_from(other_client, "/admin/users")
    assert other_client.get(f"/admin/users/{io.id}").status_code == 404
    for path, form in (
        ("", {"full_name": "X", "role": "sho", "node_code": "S1"}),
        ("/active", {"active": "0"}),
        ("/password", {}),
    ):
        answer = other_client.post(
            f"/admin/users/{io.id}{path}", data={**form, "csrf_token": token}
        )
        assert answer.status_code == 404, path
    # Nor may a local administrator move someone into another city.
    assert _edit(client, io, node_code="LKO", role="admin").status_code == 422
    db.expire_all()
    user = db.get(User, io.id)
    assert user is not None and user.is_active and user.full_name == "Test investigating_officer"
    changes = ("user.update", "user.disable", "user.password_reset")
    assert db.scalar(select(AuditEntry).where(AuditEntry.action.in_(changes))) is None


@pytest.mark.usefixtures("admin")
def test_a_citizen_account_is_no_staff_account_to_edit(
    client: TestClient, db: Session, settings: Settings
) -> None:
    from nigrani.accounts import otp

    citizen = otp.citizen_for(db, settings=settings, e164="+919876500099")
    db.commit()
    assert client.get(f"/admin/users/{citizen.id}").status_code == 404


def test_after_a_reset_the_authenticator_step_also_leads_to_the_new_password(
    client: TestClient, other_client: TestClient, io: User
) -> None:
    now = utcnow()
    assert login(other_client, "io-ram").status_code == 303
    secret = turn_on_totp(other_client, now)
    answer = _post(client, f"/admin/users/{io.id}/password", password="given by the admin")
    assert answer.status_code == 303
    assert login(other_client, "io-ram", "given by the admin").status_code == 303
    done = code_tries(other_client, pyotp.TOTP(secret).at(now))
    assert done.headers["location"] == "/account/password"
    assert "Your password was reset" in other_client.get("/grievances").text
