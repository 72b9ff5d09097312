"""Staff registry API: validation, duplicates, service area, jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras.models import Site
from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import make_site

BODY: dict[str, Any] = {
    "name": "Junction 4",
    "lat": 26.55,
    "lon": 80.25,
    "category": "road",
    "camera_count": 2,
    "external_id": "SC-0004",
    "cameras": [{"label": "north", "heading_deg": 0, "fov_deg": 90, "linked": True}],
}


def _staff(
    client: TestClient, db: Session, role: Role = Role.CONTROL_ROOM, node: str = "C"
) -> dict[str, str]:
    make_tree(db)
    make_staff(db, role, node, "staff1")
    db.commit()
    login(client, "staff1")
    return {"X-CSRF-Token": csrf_from(client, "/dashboard")}


def test_create_places_the_site_in_its_station(client: TestClient, db: Session) -> None:
    headers = _staff(client, db)
    created = client.post("/api/v1/cameras/sites", json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["station_code"] == "S2" and body["is_public"] is True
    assert body["linked_count"] == 1 and body["camera_count"] == 2


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"camera_count": -1}, 422, "camera_count"),
        ({"lat": 26.9}, 422, "outside the commissionerate"),
        ({"lat": 91}, 422, "lat"),
        ({"category": "spaceport"}, 422, "Unknown category"),
        ({"cameras": [{"heading_deg": 400}]}, 422, "heading_deg"),
        ({"cameras": [{"stream_url": "file:///etc/passwd"}]}, 422, "stream URL"),
        ({"owner_mobile": "12345"}, 422, "10-digit"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    client: TestClient, db: Session, change: dict[str, Any], status: int, says: str
) -> None:
    headers = _staff(client, db)
    response = client.post("/api/v1/cameras/sites", json={**BODY, **change}, headers=headers)
    assert response.status_code == status, response.text
    assert says in response.text
    assert db.scalar(select(func.count(Site.id))) == 0


def test_duplicates_are_refused(client: TestClient, db: Session) -> None:
    headers = _staff(client, db)
    assert client.post("/api/v1/cameras/sites", json=BODY, headers=headers).status_code == 201
    again = client.post("/api/v1/cameras/sites", json=BODY, headers=headers)
    assert again.status_code == 409 and "SC-0004" in again.text
    near = client.post(
        "/api/v1/cameras/sites",
        headers=headers,
        json={**BODY, "external_id": "SC-9", "lat": 26.55005},
    )
    assert near.status_code == 409 and "already registered" in near.text
    assert db.scalar(select(func.count(Site.id))) == 1


def test_station_staff_see_only_their_sites(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _staff(client, db, Role.SHO, "S1")
    mine = make_site(db, settings)
    theirs = make_site(db, settings, name="Far Shop", lat=26.5, lon=80.35, owner_mobile=None)
    db.commit()
    listed = client.get("/api/v1/cameras/sites").json()
    assert [s["id"] for s in listed["items"]] == [mine.id]
    assert client.get(f"/api/v1/cameras/sites/{theirs.id}").status_code == 404
    assert client.get(f"/cameras/sites/{theirs.id}").status_code == 404
    outside = client.post(
        "/api/v1/cameras/sites", headers=headers, json={**BODY, "lat": 26.5, "lon": 80.35}
    )
    assert outside.status_code == 403
    assert db.scalar(select(func.count(Site.id))) == 2


def test_filters(client: TestClient, db: Session, settings: Settings) -> None:
    _staff(client, db)
    make_site(db, settings)
    make_site(
        db,
        settings,
        name="Bus Stand",
        category="bus_stand",
        lat=26.5,
        lon=80.35,
        owner_mobile=None,
        owner_name=None,
        cameras=[],
    )
    db.commit()

    def names(**params: Any) -> list[str]:
        return [
            s["name"] for s in client.get("/api/v1/cameras/sites", params=params).json()["items"]
        ]

    assert names(is_public="true") == ["Bus Stand"]
    assert names(linked="true") == ["Gupta Sweets"]
    assert names(linked="false") == ["Bus Stand"]
    assert names(category="shop") == ["Gupta Sweets"]
    assert names(q="bus") == ["Bus Stand"]
    html = client.get("/cameras", params={"public": "no"}).text
    assert "Gupta Sweets" in html and "Bus Stand" not in html


@pytest.mark.parametrize(("role", "node"), [(Role.AUDITOR, "C"), (Role.STATION_STAFF, "S1")])
def test_read_only_roles_cannot_change_the_registry(
    client: TestClient, db: Session, settings: Settings, role: Role, node: str
) -> None:
    headers = _staff(client, db, role, node)
    site = make_site(db, settings)
    db.commit()
    owner = {"owner_name": "Ramesh Kumar Gupta", "owner_mobile": "+919812345678"}
    at_s1 = {**BODY, "lat": 26.47, "lon": 80.26, **owner}
    created = client.post("/api/v1/cameras/sites", json=at_s1, headers=headers)
    renamed = client.patch(f"/api/v1/cameras/sites/{site.id}", json={"name": "X"}, headers=headers)
    assert (created.status_code, renamed.status_code) == (403, 403)
    assert "not change it" in renamed.json()["error"]["message"]
    db.expire_all()
    assert db.scalars(select(Site.name)).all() == ["Gupta Sweets"]
    assert client.get(f"/api/v1/cameras/sites/{site.id}").status_code == 200  # reading is fine


def test_the_sho_registers_and_edits_sites_of_the_own_station(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _staff(client, db, Role.SHO, "S1")
    site = make_site(db, settings)
    db.commit()
    at_s1 = {**BODY, "lat": 26.47, "lon": 80.26}
    assert client.post("/api/v1/cameras/sites", json=at_s1, headers=headers).status_code == 201
    renamed = client.patch(f"/api/v1/cameras/sites/{site.id}", json={"name": "G"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "G"


def test_the_duplicate_check_does_not_confirm_a_guessed_mobile(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _staff(client, db)
    site = make_site(db, settings)  # Gupta Sweets, owner +91 98123 45678
    db.commit()
    statuses = []
    for n, mobile in enumerate(("+919812345678", "+919812345600")):  # right, then wrong
        guess = {"name": f"Shop {n}", "lat": site.lat + 0.00005, "lon": site.lon}
        body = {**BODY, "external_id": None, **guess, "owner_mobile": mobile}
        response = client.post("/api/v1/cameras/sites", json=body, headers=headers)
        statuses.append((response.status_code, f"site {site.id}" in response.text))
    assert statuses == [(201, False), (201, False)]
