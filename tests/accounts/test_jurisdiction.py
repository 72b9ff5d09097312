"""Which station covers a point, the service area, and GeoJSON boundary import."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Role
from nigrani.core.errors import ValidationFailed
from nigrani.demo.seed import seed_tree
from tests.accounts.factories import box, csrf_from, login, make_staff, make_tree


def test_point_lookup_prefers_the_deepest_node(db: Session) -> None:
    make_tree(db)
    assert jurisdiction.locate(db, lat=26.42, lon=80.22).code == "P1"  # type: ignore[union-attr]
    station = jurisdiction.station_for_point(db, lat=26.42, lon=80.22)
    assert station is not None and station.code == "S1"
    assert jurisdiction.station_for_point(db, lat=26.55, lon=80.25).code == "S2"  # type: ignore[union-attr]
    assert jurisdiction.station_for_point(db, lat=26.5, lon=80.39).code == "S3"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lat", "lon", "says"),
    [
        (26.7, 80.3, "outside the commissionerate"),
        (51.5, -0.12, "not in India"),
        (28.61, 77.2, "outside the commissionerate"),
    ],
)
def test_points_outside_are_refused(db: Session, lat: float, lon: float, says: str) -> None:
    make_tree(db)
    with pytest.raises(ValidationFailed, match=says):
        jurisdiction.station_for_point(db, lat=lat, lon=lon)


def test_demo_stations_cover_their_own_locations(db: Session) -> None:
    seed_tree(db)
    stations = db.scalars(select(JurisdictionNode).where(JurisdictionNode.level == "station"))
    for node in stations:
        assert node.lat is not None and node.lon is not None
        found = jurisdiction.station_for_point(db, lat=node.lat, lon=node.lon)
        assert found is not None and found.code == node.code


def _api_client(
    client: TestClient, db: Session, role: Role = Role.ADMIN, code: str = "C"
) -> dict[str, str]:
    make_tree(db)
    user = make_staff(db, role, code, "api-user")
    db.commit()
    login(client, user.username or "")
    return {"X-CSRF-Token": csrf_from(client, "/dashboard")}


def test_locate_endpoint(client: TestClient, db: Session) -> None:
    _api_client(client, db, Role.CONTROL_ROOM)
    found = client.get("/api/v1/jurisdiction/locate", params={"lat": 26.55, "lon": 80.25})
    assert found.status_code == 200
    body = found.json()
    assert body["station"]["code"] == "S2"
    assert [n["code"] for n in body["chain"]] == ["C", "Z1", "C1"]
    outside = client.get("/api/v1/jurisdiction/locate", params={"lat": 26.9, "lon": 80.3})
    assert outside.status_code == 422
    assert "outside the commissionerate" in outside.json()["error"]["message"]
    bad = client.get("/api/v1/jurisdiction/locate", params={"lat": 126.9, "lon": 80.3})
    assert bad.status_code == 422


def feature(
    code: str, parent: str | None, geometry: Any, level: str = "station", **extra: Any
) -> dict[str, Any]:
    props = {
        "code": code,
        "name_en": code,
        "name_hi": "थाना " + code,
        "level": level,
        "parent": parent,
        **extra,
    }
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_import_creates_and_updates(client: TestClient, db: Session) -> None:
    headers = _api_client(client, db)
    data = collection(
        feature("S9", "C2", box(80.3, 26.4, 80.35, 26.45)),
        feature("S3", "C2", box(80.35, 26.4, 80.4, 26.6)),
        feature("P9", "S9", box(80.3, 26.4, 80.31, 26.41), level="post"),
    )
    result = client.post("/api/v1/jurisdiction/boundaries", content=data, headers=headers)
    assert result.status_code == 200, result.text
    assert result.json() == {"created": 2, "updated": 1}
    assert jurisdiction.locate(db, lat=26.405, lon=80.305).code == "P9"  # type: ignore[union-attr]
    assert jurisdiction.get_by_code(db, "S9").path.startswith(
        jurisdiction.get_by_code(db, "C2").path
    )


BAD_FILES: list[tuple[bytes, str]] = [
    (b"{not json", "Not valid GeoJSON"),
    (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
    (collection(), "no features"),
    (
        collection(feature("S9", "C2", {"type": "Point", "coordinates": [80.3, 26.4]})),
        "Polygon or MultiPolygon",
    ),
    (
        collection(
            feature(
                "S9",
                "C2",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[80.3, 26.4], [80.4, 26.5], [80.3, 26.5], [80.4, 26.4], [80.3, 26.4]]
                    ],
                },
            )
        ),
        "invalid",
    ),
    (collection(feature("S9", "C2", {"type": "Polygon", "coordinates": "x"})), "malformed"),
    (collection(feature("S9", "C2", box(26.4, 80.3, 26.5, 80.4))), "outside India"),
    (collection(feature("S9", "C2", box(80.3, 26.4, 80.4, 26.5), level="district")), "level"),
    (collection(feature("S9", "Z1", box(80.3, 26.4, 80.4, 26.5))), "must be an existing circle"),
    (collection(feature("S9", None, box(80.3, 26.4, 80.4, 26.5))), "'parent' is required"),
    (collection(feature("", "C2", box(80.3, 26.4, 80.4, 26.5))), "'code' is required"),
    (
        collection(
            feature("S9", "C2", box(80.3, 26.4, 80.4, 26.5)),
            feature("S9", "C2", box(80.3, 26.4, 80.4, 26.5)),
        ),
        "more than once",
    ),
]


@pytest.mark.parametrize(("data", "says"), BAD_FILES)
def test_bad_geojson_is_refused_and_nothing_written(
    client: TestClient, db: Session, data: bytes, says: str
) -> None:
    headers = _api_client(client, db)
    before = db.scalar(select(func.count(JurisdictionNode.id)))
    # a good feature first: the whole file must still be refused
    response = client.post("/api/v1/jurisdiction/boundaries", content=data, headers=headers)
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]
    assert db.scalar(select(func.count(JurisdictionNode.id))) == before


def test_one_bad_feature_spoils_the_file(client: TestClient, db: Session) -> None:
    headers = _api_client(client, db)
    data = collection(
        feature("S8", "C2", box(80.3, 26.4, 80.35, 26.45)),
        feature("S9", "NOPE", box(80.3, 26.4, 80.35, 26.45)),
    )
    assert (
        client.post("/api/v1/jurisdiction/boundaries", content=data, headers=headers).status_code
        == 422
    )
    assert db.scalar(select(JurisdictionNode).where(JurisdictionNode.code == "S8")) is None


def test_oversized_geojson_is_refused(client: TestClient, db: Session) -> None:
    headers = _api_client(client, db)
    huge = b" " * (21 * 1024 * 1024)
    response = client.post("/api/v1/jurisdiction/boundaries", content=huge, headers=headers)
    assert response.status_code == 413


def test_upload_page_reports_problems(client: TestClient, db: Session) -> None:
    _api_client(client, db)
    token = csrf_from(client, "/admin/tree")
    bad = collection(feature("S9", "C2", {"type": "Point", "coordinates": [80.3, 26.4]}))
    page = client.post(
        "/admin/boundaries",
        data={"csrf_token": token, "level": ""},
        files={"file": ("b.geojson", bad, "application/geo+json")},
    )
    assert "Polygon or MultiPolygon" in page.text
    good = collection(feature("S9", "C2", box(80.3, 26.4, 80.35, 26.45)))
    page = client.post(
        "/admin/boundaries",
        data={"csrf_token": token, "level": "station"},
        files={"file": ("b.geojson", good, "application/geo+json")},
    )
    assert "1 created" in page.text and "S9" in page.text


def test_only_admins_import(client: TestClient, db: Session) -> None:
    headers = _api_client(client, db, Role.COMMISSIONER)
    data = collection(feature("S9", "C2", box(80.3, 26.4, 80.35, 26.45)))
    response = client.post("/api/v1/jurisdiction/boundaries", content=data, headers=headers)
    assert response.status_code == 403
