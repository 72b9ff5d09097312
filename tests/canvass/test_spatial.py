"""Canvass radius search: exact against a brute-force haversine over every site."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nigrani.cameras import service as camera_service
from nigrani.cameras.models import CameraCategory, Site
from nigrani.canvass import spatial
from nigrani.core.db import utcnow
from tests.accounts.factories import make_tree

CENTRE = (26.47, 80.33)  # Kanpur, inside make_tree's commissionerate
Point = tuple[float, float, str]


def _rows(db: Session, points: list[Point]) -> list[dict[str, Any]]:
    station = make_tree(db)["S1"]
    if db.get(CameraCategory, "shop") is None:
        db.add(CameraCategory(code="shop", name_en="Shop", name_hi="दुकान"))
        db.flush()
    now = utcnow()
    return [
        {
            "name": f"site {i}",
            "lat": lat,
            "lon": lon,
            "status": status,
            "station_id": station.id,
            "node_path": station.path,
            "category_code": "shop",
            "created_at": now,
            "updated_at": now,
        }
        for i, (lat, lon, status) in enumerate(points)
    ]


def add_sites(db: Session, points: list[Point]) -> list[tuple[int, float, float, str]]:
    """Bulk-insert sites; every site as (id, lat, lon, status)."""
    db.execute(insert(Site), _rows(db, points))
    stmt = select(Site.id, Site.lat, Site.lon, Site.status).order_by(Site.id)
    return [(row[0], row[1], row[2], row[3]) for row in db.execute(stmt)]


def brute_force(
    sites: list[tuple[int, float, float, str]],
    lat: float,
    lon: float,
    radius_m: float,
    paused: bool,
) -> list[int]:
    """Every site within the radius, by computing the distance to all of them."""
    wanted = {"active", "paused"} if paused else {"active"}
    found = [
        (camera_service.metres_between(lat, lon, s_lat, s_lon), site_id)
        for site_id, s_lat, s_lon, status in sites
        if status in wanted
    ]
    return [site_id for distance, site_id in sorted(found) if distance <= radius_m]


def offset(lat: float, lon: float, metres: float, bearing_deg: float) -> tuple[float, float]:
    """The point `metres` away along a bearing on the sphere (direct geodesic problem)."""
    d = metres / spatial.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


def _scatter(rng: random.Random, n: int) -> list[Point]:
    statuses = ["active"] * 8 + ["paused", "withdrawn"]
    return [
        (CENTRE[0] + rng.gauss(0, 0.01), CENTRE[1] + rng.gauss(0, 0.01), rng.choice(statuses))
        for _ in range(n)
    ]


def test_matches_brute_force_for_random_points_and_radii(db: Session) -> None:
    rng = random.Random(4)
    sites = add_sites(db, _scatter(rng, 3_000))
    found_any = 0
    for _ in range(150):
        lat, lon = CENTRE[0] + rng.gauss(0, 0.012), CENTRE[1] + rng.gauss(0, 0.012)
        radius, paused = rng.uniform(50, 2_000), rng.random() < 0.5
        hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=radius, include_paused=paused)
        assert [h.site_id for h in hits] == brute_force(sites, lat, lon, radius, paused)
        found_any += len(hits)
    assert found_any > 1_000


def test_site_on_the_circle_is_in_and_one_metre_out_is_not(db: Session) -> None:
    lat, lon = CENTRE
    radius = 300.0
    inside = [offset(lat, lon, radius - 1, b) for b in range(0, 360, 15)]
    outside = [offset(lat, lon, radius + 1, b) for b in range(0, 360, 15)]
    sites = add_sites(db, [(a, o, "active") for a, o in inside + outside])
    hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=radius)
    assert len(hits) == len(inside)
    assert all(radius - 1.001 < h.distance_m < radius - 0.999 for h in hits)
    assert [h.site_id for h in hits] == brute_force(sites, lat, lon, radius, False)


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 270])
def test_site_exactly_at_the_radius_counts(db: Session, bearing: int) -> None:
    lat, lon = CENTRE
    s_lat, s_lon = offset(lat, lon, 500.0, bearing)
    ((site_id, *_),) = add_sites(db, [(s_lat, s_lon, "active")])
    exact = camera_service.metres_between(lat, lon, s_lat, s_lon)
    assert [h.site_id for h in spatial.sites_within(db, lat=lat, lon=lon, radius_m=exact)] == [
        site_id
    ]
    assert spatial.sites_within(db, lat=lat, lon=lon, radius_m=math.nextafter(exact, 0)) == []


def test_withdrawn_never_and_paused_only_when_asked(db: Session) -> None:
    lat, lon = CENTRE
    near = [offset(lat, lon, 10.0 * (i + 1), 30.0 * i) for i in range(3)]
    sites = add_sites(db, [(*near[0], "active"), (*near[1], "paused"), (*near[2], "withdrawn")])
    active, paused, _withdrawn = (s[0] for s in sites)
    assert [h.site_id for h in spatial.sites_within(db, lat=lat, lon=lon, radius_m=100)] == [active]
    with_paused = spatial.sites_within(db, lat=lat, lon=lon, radius_m=100, include_paused=True)
    assert [h.site_id for h in with_paused] == [active, paused]


def test_nearest_first_with_exact_distances(db: Session) -> None:
    lat, lon = CENTRE
    distances = [250.0, 20.0, 120.0, 75.0]
    sites = add_sites(
        db, [(*offset(lat, lon, d, 60.0 * i), "active") for i, d in enumerate(distances)]
    )
    hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=300)
    assert [round(h.distance_m, 3) for h in hits] == sorted(distances)
    by_distance = sorted(zip(distances, (s[0] for s in sites), strict=True))
    assert [h.site_id for h in hits] == [site_id for _, site_id in by_distance]


@pytest.mark.parametrize(
    ("lat", "lon"), [(89.9995, 10.0), (-89.9999, -40.0), (10.0, 179.9995), (-5.0, -179.9995)]
)
def test_poles_and_antimeridian(db: Session, lat: float, lon: float) -> None:
    rng = random.Random(int(lat * 1000))
    points = [
        (*offset(lat, lon, rng.uniform(0, 400), rng.uniform(0, 360)), "active") for _ in range(60)
    ]
    wrapped = [(a, (o + 540.0) % 360.0 - 180.0, s) for a, o, s in points]
    sites = add_sites(db, wrapped)
    hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=200)
    assert [h.site_id for h in hits] == brute_force(sites, lat, lon, 200, False)
    assert hits


def test_bounding_box_holds_the_whole_circle() -> None:
    for lat in (0.0, 26.47, 60.0, 85.0, -45.0):
        box = spatial.bounding_box(lat=lat, lon=80.0, radius_m=1_000)
        for bearing in range(0, 360, 5):
            p_lat, p_lon = offset(lat, 80.0, 1_000, bearing)
            assert box.south <= p_lat <= box.north
            ((west, east),) = box.lon_ranges
            assert west <= p_lon <= east
