"""Citizen-Eye through HTTP: register with consent, edit, see who looked, pause, withdraw."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.cameras import owners
from nigrani.cameras.models import Site
from nigrani.core import audit
from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, make_staff, make_tree
from tests.accounts.test_otp import sign_in_citizen

FORM = {
    "name": "Sharma House",
    "owner_name": "Sunita Sharma",
    "address": "117/45 Kakadeo",
    "lat": "26.47",
    "lon": "80.25",
    "category": "residence",
    "camera_count": "3",
    "facing": "road",
    "retention_days": "30",
    "consent": "yes",
}


def _register(client: TestClient, **changes: str) -> tuple[int, str]:
    token = csrf_from(client, "/citizen/cameras/new")
    data = {**FORM, **changes, "csrf_token": token}
    data = {k: v for k, v in data.items() if v is not None}
    response = client.post("/citizen/cameras", data=data, follow_redirects=True)
    return response.status_code, response.text


def test_register_edit_and_see_access(client: TestClient, db: Session, settings: Settings) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    status, text = _register(client)
    assert status == 200 and "Your cameras are registered" in text and "Sharma House" in text
    site = db.scalars(select(Site)).one()
    assert site.source == "citizen" and site.consent_version and site.camera_count == 3
    assert "Sunita" not in (site.owner_name_enc or "") and site.owner_name_masked == "S***"
    owner = db.get(User, site.owner_user_id)
    assert owner is not None and owner.role == Role.CAMERA_OWNER
    token = csrf_from(client, f"/citizen/cameras/{site.id}")
    client.post(
        f"/citizen/cameras/{site.id}/edit",
        data={"camera_count": "4", "retention_days": "60", "csrf_token": token},
    )
    db.refresh(site)
    assert (site.camera_count, site.retention_days) == (4, 60)
    officer = make_staff(db, Role.INVESTIGATING_OFFICER, "S1", "io1")
    owners.reveal(
        db,
        site=site,
        settings=settings,
        actor=audit.Actor(officer.id, "io1"),
        reference="FIR 101/2026",
        reason="Chain snatching outside the house",
    )
    db.commit()
    page = client.get(f"/citizen/cameras/{site.id}").text
    assert "Police viewed your contact details" in page and "FIR 101/2026" in page
    assert "Police — S1 en" in page and "io1" not in page


def test_consent_and_place_are_required(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    assert _register(client, consent="no")[0] == 422
    status, text = _register(client, lat="", lon="")
    assert status == 422 and "Place" in text
    status, text = _register(client, lat="26.9", lon="80.3")
    assert status == 422 and "outside the commissionerate" in text
    status, text = _register(client, camera_count="-2")
    assert status == 422 and "Number of cameras" in text
    assert db.scalar(select(func.count(Site.id))) == 0


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"category": "smart_city"}, "What kind of place is it?"),  # the city's own category
        ({"category": "spaceport"}, "What kind of place is it?"),
        ({"facing": "towards the temple"}, "Which way do they face?"),
        ({"facing": "<b>N</b>"}, "Which way do they face?"),
    ],
)
def test_category_and_facing_come_from_the_lists(
    client: TestClient, db: Session, change: dict[str, str], says: str
) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    status, text = _register(client, **change)
    assert status == 422 and says in text
    assert db.scalar(select(func.count(Site.id))) == 0


def test_an_edit_keeps_facing_to_the_list(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    _register(client)
    site = db.scalars(select(Site)).one()
    token = csrf_from(client, f"/citizen/cameras/{site.id}")
    form = {"camera_count": "4", "retention_days": "60", "csrf_token": token}
    refused = client.post(f"/citizen/cameras/{site.id}/edit", data={**form, "facing": "up"})
    assert refused.status_code == 422 and "from the list" in refused.text
    db.refresh(site)
    assert (site.facing, site.camera_count) == ("road", 3)
    client.post(f"/citizen/cameras/{site.id}/edit", data={**form, "facing": "NE"})
    db.refresh(site)
    assert (site.facing, site.camera_count) == ("NE", 4)


def test_same_place_twice_is_a_duplicate(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    assert _register(client)[0] == 200
    status, text = _register(client, name="Another name", lat="26.47005")
    assert status == 409 and "already registered" in text
    assert db.scalar(select(func.count(Site.id))) == 1


def test_pause_and_withdraw_erase_personal_data(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    _register(client, keep_point="yes")
    site = db.scalars(select(Site)).one()
    token = csrf_from(client, f"/citizen/cameras/{site.id}")
    client.post(f"/citizen/cameras/{site.id}/pause", data={"paused": "yes", "csrf_token": token})
    db.refresh(site)
    assert site.status == "paused"
    client.post(f"/citizen/cameras/{site.id}/withdraw", data={"csrf_token": token})
    db.expire_all()
    kept = db.get(Site, site.id)
    assert kept is not None and kept.status == "withdrawn"
    assert kept.owner_name_enc is None and kept.owner_phone_enc is None
    assert kept.owner_phone_hash is None and kept.address == "" and kept.name == "—"
    assert client.get(f"/citizen/cameras/{site.id}").status_code == 404


def test_withdraw_without_keeping_deletes_the_site(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    _register(client)
    site_id = db.scalars(select(Site.id)).one()
    token = csrf_from(client, "/citizen/cameras")
    client.post(f"/citizen/cameras/{site_id}/withdraw", data={"csrf_token": token})
    assert db.scalar(select(func.count(Site.id))) == 0
    assert audit.verify(db).ok


def test_others_cannot_touch_a_listing(
    client: TestClient, other_client: TestClient, db: Session
) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    _register(client)
    site_id = db.scalars(select(Site.id)).one()
    sign_in_citizen(other_client, db, "9123456789")
    assert other_client.get(f"/citizen/cameras/{site_id}").status_code == 404
    token = csrf_from(other_client, "/citizen/cameras")
    response = other_client.post(f"/citizen/cameras/{site_id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 404
    assert db.scalar(select(func.count(Site.id))) == 1


def test_locality_search_and_station_check(client: TestClient, db: Session) -> None:
    from nigrani.demo.seed import seed_tree

    seed_tree(db)
    db.commit()
    sign_in_citizen(client, db, "9876543210")
    found = client.get("/citizen/places", params={"q": "kaly"}).text
    match = re.search(r'data-lat="([\d.]+)" data-lon="([\d.]+)" data-name="Kalyanpur', found)
    assert match, found
    check = client.get(
        "/citizen/places/check", params={"lat": match.group(1), "lon": match.group(2)}
    ).text
    assert "police station" in check
    far = client.get("/citizen/places/check", params={"lat": 28.6, "lon": 77.2}).text
    assert "outside" in far
