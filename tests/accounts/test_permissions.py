"""Every role against each protected page: allowed, or 403 — and jurisdiction scoping."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from tests.accounts.factories import login, make_staff, make_tree

HOME = {
    Role.STATION_STAFF: "S1",
    Role.SHO: "S1",
    Role.INVESTIGATING_OFFICER: "S2",
    Role.CONTROL_ROOM: "C",
    Role.ACP: "C1",
    Role.DCP: "Z1",
    Role.COMMISSIONER: "C",
    Role.AUDITOR: "C",
    Role.ADMIN: "C",
}
ALL_STAFF_PAGES = ("/dashboard", "/account")
PAGES = {
    "/audit": {Role.COMMISSIONER, Role.AUDITOR, Role.ADMIN},
    "/admin/users": {Role.ADMIN},
    "/admin/tree": {Role.ADMIN},
    "/citizen": set(),
}


@pytest.mark.parametrize("role", list(HOME))
def test_each_role_sees_exactly_its_pages(role: Role, client: TestClient, db: Session) -> None:
    make_tree(db)
    user = make_staff(db, role, HOME[role])
    db.commit()
    assert login(client, user.username or "").status_code == 303
    for path in ALL_STAFF_PAGES:
        assert client.get(path).status_code == 200, path
    for path, allowed in PAGES.items():
        expected = 200 if role in allowed else 403
        assert client.get(path).status_code == expected, (path, role)


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (Role.SHO, ["S1", "P1"], ["S2", "C1", "Z2", "C"]),
        (Role.ACP, ["C1", "S1", "S2"], ["S3", "Z1", "C"]),
        (Role.DCP, ["Z1", "C1", "S2"], ["Z2", "S3", "C"]),
        (Role.COMMISSIONER, ["C", "Z2", "S3", "P1"], []),
    ],
)
def test_officers_see_only_their_jurisdiction(
    role: Role, visible: list[str], hidden: list[str], client: TestClient, db: Session
) -> None:
    make_tree(db)
    user = make_staff(db, role, HOME[role] if role != Role.SHO else "S1")
    db.commit()
    login(client, user.username or "")
    for code in visible:
        assert client.get(f"/jurisdiction/{code}").status_code == 200, code
    for code in hidden:
        assert client.get(f"/jurisdiction/{code}").status_code == 403, code
    listed = {n["code"] for n in client.get("/api/v1/jurisdiction/nodes").json()["items"]}
    assert set(visible) <= listed
    assert not listed & set(hidden)


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"
    assert client.get("/api/v1/me").status_code == 401


def test_citizen_cannot_open_staff_pages(client: TestClient, db: Session) -> None:
    from tests.accounts.test_otp import sign_in_citizen

    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    assert client.get("/citizen").status_code == 200
    for path in ("/dashboard", "/audit", "/admin/users", "/jurisdiction/S1"):
        assert client.get(path).status_code == 403, path


def test_unknown_node_is_404(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.COMMISSIONER, "C", "cp1")
    db.commit()
    login(client, "cp1")
    assert client.get("/jurisdiction/NOPE").status_code == 404
