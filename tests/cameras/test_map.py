"""The control-room map: points or clusters, filters, jurisdiction, owner privacy, page."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.cameras.categories import DEFAULT_CATEGORIES
from nigrani.cameras.mapdata import MAX_POINTS, BBox, cell_degrees, parse_bbox
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import ValidationFailed
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import OWNER_MOBILE, OWNER_NAME, make_site
from tests.conftest import make_settings

API = "/api/v1/cameras/map"
CITY = "80.2,26.4,80.4,26.6"
S1_BOX = (80.2, 26.4, 80.3, 26.5)
S3_BOX = (80.3, 26.4, 80.4, 26.6)
Nodes = dict[str, JurisdictionNode]


@pytest.fixture()
def nodes(db: Session) -> Nodes:
    """The small test tree, with the registry's categories present."""
    have = set(db.scalars(select(CameraCategory.code)))
    db.add_all(
        CameraCategory(**c._asdict(), sort_order=i)
        for i, c in enumerate(DEFAULT_CATEGORIES)
        if c.code not in have
    )
    return make_tree(db)


def add_sites(
    db: Session, node: JurisdictionNode, box: tuple[float, ...], n: int, **fields: Any
) -> None:
    """Bulk-insert n anonymous sites at random points inside a station's box."""
    rng, now = random.Random(n), utcnow()
    rows = [
        {
            "name": f"site {i}",
            "lat": rng.uniform(box[1], box[3]),
            "lon": rng.uniform(box[0], box[2]),
            "station_id": node.id,
            "node_path": node.path,
            "category_code": "shop",
            "is_public": False,
            "camera_count": 2,
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        for i in range(n)
    ]
    db.execute(insert(Site), rows)


def sign_in(client: TestClient, db: Session, role: Role, code: str) -> None:
    user = make_staff(db, role, code)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def fetch(client: TestClient, bbox: str = CITY, zoom: int = 12, **params: Any) -> dict[str, Any]:
    response = client.get(API, params={"bbox": bbox, "zoom": zoom, **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> set[int]:
    return {f["id"] for f in body["features"]}


def test_few_sites_come_as_points(
    client: TestClient, db: Session, nodes: Nodes, settings: Settings
) -> None:
    site = make_site(db, settings)
    add_sites(db, nodes["S1"], S1_BOX, 40)
    sign_in(client, db, Role.COMMISSIONER, "C")
    body = fetch(client)
    assert body["type"] == "FeatureCollection"
    assert body["mode"] == "points" and body["total"] == 41 == len(body["features"])
    mine = next(f for f in body["features"] if f["id"] == site.id)
    assert mine["geometry"] == {"type": "Point", "coordinates": [80.25, 26.47]}
    assert mine["properties"] == {
        "id": site.id,
        "category": "shop",
        "public": False,
        "cameras": 2,
        "linked": 1,
        "offline": 0,
    }


@pytest.mark.usefixtures("nodes")
def test_a_site_with_an_offline_linked_camera_says_how_many(
    client: TestClient, db: Session, settings: Settings
) -> None:
    """The map draws a site red when the health checks find one of its linked cameras
    offline; a degraded or unlinked camera does not count."""
    site = make_site(db, settings)  # one linked camera
    for linked, health in ((True, "offline"), (True, "degraded"), (False, "offline")):
        db.add(Camera(site_id=site.id, linked=linked, health=health, created_at=utcnow()))
    db.flush()
    sign_in(client, db, Role.COMMISSIONER, "C")
    mine = next(f for f in fetch(client)["features"] if f["id"] == site.id)
    assert (mine["properties"]["linked"], mine["properties"]["offline"]) == (3, 1)
    page = client.get("/cameras/map?lang=en")
    assert "A linked camera is offline" in page.text and '"offline": "{n} offline"' in page.text


def test_many_sites_come_as_clusters_until_zoomed_in(
    client: TestClient, db: Session, nodes: Nodes
) -> None:
    add_sites(db, nodes["S1"], S1_BOX, MAX_POINTS + 300)
    add_sites(db, nodes["S3"], S3_BOX, 200, camera_count=5)
    sign_in(client, db, Role.COMMISSIONER, "C")
    body = fetch(client)
    assert body["mode"] == "clusters" and body["total"] == MAX_POINTS + 500
    props = [f["properties"] for f in body["features"]]
    assert all(set(p) == {"cluster", "count", "cameras", "linked", "offline"} for p in props)
    assert sum(p["count"] for p in props) == MAX_POINTS + 500
    assert sum(p["cameras"] for p in props) == (MAX_POINTS + 300) * 2 + 200 * 5
    assert sum(p["linked"] for p in props) == 0
    for f in body["features"]:  # each cluster sits at its sites' centroid, inside the city
        lon, lat = f["geometry"]["coordinates"]
        assert 80.2 <= lon <= 80.4 and 26.4 <= lat <= 26.6
    finer = fetch(client, zoom=14)
    assert len(finer["features"]) > len(body["features"])
    street = fetch(client, bbox="80.2,26.4,80.21,26.41", zoom=17)
    assert street["mode"] == "points" and 0 < street["total"] < MAX_POINTS


def test_cells_are_square_on_screen_and_halve_per_zoom() -> None:
    dlat12, dlon12 = cell_degrees(12, 26.5)
    dlat13, dlon13 = cell_degrees(13, 26.5)
    assert dlon12 == pytest.approx(2 * dlon13)
    assert dlat12 / dlon12 == pytest.approx(0.895, abs=0.001)  # cos 26.5°
    assert dlat13 < dlat12


@pytest.mark.usefixtures("nodes")
def test_filters(client: TestClient, db: Session, settings: Settings) -> None:
    shop = make_site(db, settings)  # private shop in S1, one camera linked
    road = make_site(
        db,
        settings,
        name="Mall Road crossing",
        category="road",
        lat=26.55,
        lon=80.25,
        owner_name=None,
        owner_mobile=None,
        cameras=[],
    )
    school = make_site(
        db,
        settings,
        name="City school",
        category="school",
        lat=26.5,
        lon=80.35,
        owner_name=None,
        owner_mobile=None,
        cameras=[],
    )
    sign_in(client, db, Role.COMMISSIONER, "C")
    assert ids(fetch(client)) == {shop.id, road.id, school.id}
    assert ids(fetch(client, category="road")) == {road.id}
    assert ids(fetch(client, is_public="true")) == {road.id}
    assert ids(fetch(client, is_public="false")) == {shop.id, school.id}
    assert ids(fetch(client, linked="true")) == {shop.id}
    assert ids(fetch(client, linked="false")) == {road.id, school.id}
    assert ids(fetch(client, station="S3")) == {school.id}
    assert ids(fetch(client, station="C1")) == {shop.id, road.id}
    assert ids(fetch(client, station="S1", category="shop", linked="true")) == {shop.id}
    assert ids(fetch(client, bbox="80.2,26.4,80.3,26.5")) == {shop.id}
    assert ids(fetch(client, category="", station="")) == {shop.id, road.id, school.id}


def test_withdrawn_sites_leave_the_map(client: TestClient, db: Session, nodes: Nodes) -> None:
    add_sites(db, nodes["S1"], S1_BOX, 3, status="withdrawn")
    add_sites(db, nodes["S1"], S1_BOX, 2)
    sign_in(client, db, Role.COMMISSIONER, "C")
    assert fetch(client)["total"] == 2


BAD_REQUESTS: list[dict[str, Any]] = [
    {"zoom": 12},
    {"bbox": "80.2,26.4,80.4", "zoom": 12},
    {"bbox": "80.2,26.4,80.4,26.6,1", "zoom": 12},
    {"bbox": "west,26.4,80.4,26.6", "zoom": 12},
    {"bbox": "80.4,26.4,80.2,26.6", "zoom": 12},
    {"bbox": "80.2,26.6,80.4,26.4", "zoom": 12},
    {"bbox": "80.2,26.4,80.2,26.6", "zoom": 12},
    {"bbox": "-181,26.4,80.4,26.6", "zoom": 12},
    {"bbox": "80.2,-91,80.4,26.6", "zoom": 12},
    {"bbox": "nan,26.4,80.4,26.6", "zoom": 12},
    {"bbox": "80.2,26.4,inf,26.6", "zoom": 12},
    {"bbox": "1," * 200 + "1", "zoom": 12},
    {"bbox": CITY},
    {"bbox": CITY, "zoom": 0},
    {"bbox": CITY, "zoom": 21},
    {"bbox": CITY, "zoom": "x"},
    {"bbox": CITY, "zoom": 12, "is_public": "maybe"},
    {"bbox": CITY, "zoom": 12, "category": "spaceship"},
    {"bbox": CITY, "zoom": 12, "station": "NOWHERE"},
]


@pytest.mark.usefixtures("nodes")
def test_bad_requests_are_refused(client: TestClient, db: Session) -> None:
    sign_in(client, db, Role.COMMISSIONER, "C")
    for params in BAD_REQUESTS:
        response = client.get(API, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] == "invalid", params


def test_parse_bbox() -> None:
    assert parse_bbox(" 80.2, 26.4 ,80.4,26.6") == BBox(80.2, 26.4, 80.4, 26.6)
    assert parse_bbox("-180,-90,180,90") == BBox(-180, -90, 180, 90)
    with pytest.raises(ValidationFailed):
        parse_bbox("")


def test_an_sho_sees_only_their_station(
    client: TestClient, db: Session, nodes: Nodes, settings: Settings
) -> None:
    mine = make_site(db, settings)
    add_sites(db, nodes["S3"], S3_BOX, MAX_POINTS + 10)
    add_sites(db, nodes["S2"], (80.2, 26.5, 80.3, 26.6), 30)
    sign_in(client, db, Role.SHO, "S1")
    assert ids(fetch(client)) == {mine.id}
    assert ids(fetch(client, bbox="80.3,26.4,80.4,26.6", zoom=13)) == set()
    refused = client.get(API, params={"bbox": CITY, "zoom": 12, "station": "S3"})
    assert refused.status_code == 403
    assert client.get(f"/cameras/map/site/{mine.id}").status_code == 200
    other = db.scalar(select(Site.id).where(Site.station_id == nodes["S3"].id).limit(1))
    assert (
        client.get(f"/cameras/map/site/{other}", headers={"HX-Request": "true"}).status_code == 404
    )


def test_an_acp_gets_clusters_of_their_circle_only(
    client: TestClient, db: Session, nodes: Nodes
) -> None:
    add_sites(db, nodes["S1"], S1_BOX, MAX_POINTS)
    add_sites(db, nodes["S2"], (80.2, 26.5, 80.3, 26.6), 10)
    add_sites(db, nodes["S3"], S3_BOX, 500)
    sign_in(client, db, Role.ACP, "C1")
    body = fetch(client)
    assert body["mode"] == "clusters" and body["total"] == MAX_POINTS + 10
    assert all(f["geometry"]["coordinates"][0] <= 80.3 for f in body["features"])


@pytest.mark.usefixtures("nodes")
def test_only_staff_may_see_the_map(client: TestClient) -> None:
    assert client.get(API, params={"bbox": CITY, "zoom": 12}).status_code == 401
    page = client.get("/cameras/map", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    boundaries = client.get("/api/v1/jurisdiction/boundaries.geojson")
    assert boundaries.status_code == 401


@pytest.mark.usefixtures("nodes")
def test_no_owner_contact_anywhere(client: TestClient, db: Session, settings: Settings) -> None:
    site = make_site(db, settings)
    sign_in(client, db, Role.COMMISSIONER, "C")
    replies = [
        client.get(API, params={"bbox": CITY, "zoom": 12}),
        client.get(API, params={"bbox": "80.24,26.46,80.26,26.48", "zoom": 18}),
        client.get(f"/cameras/map/site/{site.id}", headers={"HX-Request": "true"}),
        client.get(f"/cameras/map/site/{site.id}"),
        client.get("/cameras/map"),
        client.get("/api/v1/jurisdiction/boundaries.geojson"),
    ]
    secrets = [OWNER_NAME, OWNER_MOBILE, OWNER_MOBILE[3:], "Ramesh", "98123", "admin:secret"]
    for reply in replies:
        assert reply.status_code == 200, reply.url
        for secret in secrets:
            assert secret not in reply.text, (reply.url, secret)
    panel = replies[2].text
    assert site.owner_name_masked and site.owner_name_masked in panel
    assert site.owner_phone_masked and site.owner_phone_masked in panel


@pytest.mark.usefixtures("nodes")
def test_site_panel(client: TestClient, db: Session, settings: Settings) -> None:
    site = make_site(db, settings)
    sign_in(client, db, Role.SHO, "S1")
    partial = client.get(f"/cameras/map/site/{site.id}", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and "Gupta Sweets" in partial.text
    assert f'href="/cameras/sites/{site.id}"' in partial.text
    assert "S1 en" in partial.text and "Shops" in partial.text and "30 days" in partial.text
    full = client.get(f"/cameras/map/site/{site.id}")
    assert "<html" in full.text and "Gupta Sweets" in full.text
    config = page_config(full.text)
    assert config["selected"] == site.id and config["focus"][:2] == [26.47, 80.25]
    assert client.get("/cameras/map/site/999999").status_code == 404


def page_config(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S)
    assert match, "no map configuration on the page"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


@pytest.mark.usefixtures("nodes")
def test_page_without_tiles_is_offline(client: TestClient, db: Session) -> None:
    sign_in(client, db, Role.ACP, "C1")
    response = client.get("/cameras/map?category=school&linked=true")
    assert response.status_code == 200
    html = response.text
    for asset in (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/map.js",
    ):
        assert asset in html
        assert client.get(asset).status_code == 200
    assert client.get("/static/vendor/leaflet/LICENSE").status_code == 200
    config = page_config(html)
    assert config["tiles"] is None
    assert config["bounds"] == [[26.4, 80.2], [26.6, 80.3]]  # the circle's boundary
    assert config["categories"]["school"] == "Schools"
    assert '<option value="school" selected>' in html
    assert '<option value="true" selected>' in html
    stations = re.findall(r'<option value="(S\d)"', html)
    assert stations == ["S1", "S2"]
    assert "http" not in json.dumps(config)
    assert len(re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)) == 0


@pytest.mark.usefixtures("nodes")
def test_page_with_tiles(
    settings: Settings, sessions: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    tiles = "https://tiles.example.org/{z}/{x}/{y}.png"
    app = create_app(make_settings(settings.db_url, tmp_path, map_tiles_url=tiles))
    app.state.sessions = sessions
    with TestClient(app) as client:
        sign_in(client, db, Role.COMMISSIONER, "C")
        response = client.get("/cameras/map", headers={"Accept-Language": "hi"})
    assert response.status_code == 200
    config = page_config(response.text)
    assert config["tiles"]["url"] == tiles
    assert "tiles.example.org" in config["tiles"]["attribution"]
    assert config["categories"]["shop"] == "दुकानें"


def codes(body: dict[str, Any]) -> list[str]:
    return [f["properties"]["code"] for f in body["features"]]


@pytest.mark.usefixtures("nodes")
def test_boundaries_follow_the_scope(
    client: TestClient, db: Session, other_client: TestClient
) -> None:
    url = "/api/v1/jurisdiction/boundaries.geojson"
    sign_in(client, db, Role.COMMISSIONER, "C")
    stations = client.get(url)
    assert stations.status_code == 200
    assert stations.headers["content-type"].startswith("application/geo+json")
    assert codes(stations.json()) == ["S1", "S2", "S3"]
    assert codes(client.get(url, params={"level": "zone"}).json()) == ["Z1", "Z2"]
    assert codes(client.get(url, params={"level": "circle"}).json()) == ["C1", "C2"]
    feature = stations.json()["features"][0]
    assert feature["properties"] == {"code": "S1", "name": "S1 en", "level": "station"}
    assert feature["geometry"]["type"] == "Polygon"
    assert client.get(url, params={"level": "post"}).status_code == 422
    sign_in(other_client, db, Role.SHO, "S1")
    assert codes(other_client.get(url).json()) == ["S1"]
    assert codes(other_client.get(url, params={"level": "zone"}).json()) == []


def test_boundaries_are_simplified(client: TestClient, db: Session, nodes: Nodes) -> None:
    import math

    ring = [
        [
            80.3 + 0.05 * math.cos(a / 500 * 2 * math.pi),
            26.5 + 0.05 * math.sin(a / 500 * 2 * math.pi),
        ]
        for a in range(500)
    ]
    nodes["S3"].boundary = json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    sign_in(client, db, Role.SHO, "S3")
    body = client.get("/api/v1/jurisdiction/boundaries.geojson").json()
    drawn = body["features"][0]["geometry"]["coordinates"][0]
    assert 8 < len(drawn) < 100
    assert all(len(str(v)) <= 9 for point in drawn for v in point)  # 5 decimals at most


def test_camera_rows_count_as_linked_and_offline(
    client: TestClient, db: Session, nodes: Nodes
) -> None:
    add_sites(db, nodes["S1"], S1_BOX, MAX_POINTS + 1, camera_count=3)
    first = db.scalars(select(Site.id).order_by(Site.id).limit(4)).all()
    now = utcnow()
    db.execute(
        insert(Camera),
        [
            {
                "site_id": i,
                "label": "",
                "resolution": "",
                "make": "",
                "model": "",
                "serial": "",
                "mac": "",
                "linked": linked,
                "health": "offline" if i == first[0] else "unknown",
                "created_at": now,
            }
            for i in first
            for linked in (True, True, False)  # the unlinked one is not the control room's
        ],
    )
    sign_in(client, db, Role.COMMISSIONER, "C")
    clusters = fetch(client)["features"]
    assert sum(f["properties"]["linked"] for f in clusters) == 8
    # the red badge: the first site's two linked cameras are offline, in the same query
    assert sum(f["properties"]["offline"] for f in clusters) == 2
    assert fetch(client, linked="true")["total"] == 4
