"""The owner's own page shows the owner's name in clear; staff still see it masked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras.models import Site
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.accounts.test_otp import sign_in_citizen
from tests.cameras.test_citizen import FORM


def test_the_owner_sees_their_own_name_and_staff_see_it_masked(
    client: TestClient, other_client: TestClient, db: Session
) -> None:
    make_tree(db)
    officer = make_staff(db, Role.INVESTIGATING_OFFICER, "S1", "io-own-name")
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    token = csrf_from(client, "/citizen/cameras/new")
    assert client.post("/citizen/cameras", data={**FORM, "csrf_token": token}).status_code == 200
    site = db.scalars(select(Site)).one()
    own = client.get(f"/citizen/cameras/{site.id}").text
    assert '<strong id="owner-name">Sunita Sharma</strong>' in own
    login(other_client, officer.username or "")
    staff = other_client.get(f"/cameras/sites/{site.id}").text
    assert "S***" in staff and "Sunita Sharma" not in staff
