"""Canvass radius search: exact against a brute-force haversine over every site."""

from __future__ import annotations

import csv
import io
import math
import random
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras import bulk, importer, spatial
from nigrani.cameras import service as camera_service
from nigrani.cameras.models import CameraCategory, Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, utcnow
from nigrani.core.migrate import upgrade
from tests.accounts.factories import make_tree
from tests.conftest import make_settings

CENTRE = (26.47, 80.33)  # Kanpur, inside make_tree's commissionerate
Point = tuple[float, float, str]


def _station(db: Session) -> JurisdictionNode:
    """Station S1 of the test tree, made on first use."""
    station = db.scalar(select(JurisdictionNode).where(JurisdictionNode.code == "S1"))
    return station or make_tree(db)["S1"]


def _rows(db: Session, points: list[Point]) -> list[dict[str, Any]]:
    """Complete rows (every NOT NULL column, so COPY takes them too) for sites in S1."""
    station = _station(db)
    if db.get(CameraCategory, "shop") is None:
        db.add(CameraCategory(code="shop", name_en="Shop", name_hi="दुकान"))
        db.flush()
    now = utcnow()
    return [
        {
            "external_id": f"T-{i}",
            "name": f"site {i}",
            "address": "",
            "is_public": False,
            "camera_count": 1,
            "source": "staff",
            "facing": "",
            "keep_point_on_withdrawal": False,
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
    return stored(db)


def stored(db: Session) -> list[tuple[int, float, float, str]]:
    """Every site as it is in the database: (id, lat, lon, status)."""
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


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def _rtree_mismatches(db: Session) -> int:
    """SQLite: sites whose R*Tree entry is missing or does not hold their point, plus entries
    left behind by deleted sites (PostgreSQL's index cannot go stale: always 0)."""
    if _dialect(db) != "sqlite":
        return 0
    wrong = db.scalar(
        text(
            "SELECT count(*) FROM camera_sites AS s LEFT JOIN camera_sites_rtree AS r"
            " ON r.id = s.id WHERE r.id IS NULL OR NOT (r.min_lat <= s.lat AND s.lat <= r.max_lat"
            " AND r.min_lon <= s.lon AND s.lon <= r.max_lon)"
        )
    )
    orphans = db.scalar(
        text(
            "SELECT count(*) FROM camera_sites_rtree WHERE id NOT IN (SELECT id FROM camera_sites)"
        )
    )
    return int(wrong or 0) + int(orphans or 0)


def _assert_all_match(db: Session, rng: random.Random, queries: int = 60) -> int:
    """Random searches around CENTRE equal the brute force; returns how many sites found."""
    sites, found = stored(db), 0
    for _ in range(queries):
        lat, lon = CENTRE[0] + rng.gauss(0, 0.012), CENTRE[1] + rng.gauss(0, 0.012)
        radius, paused = rng.uniform(50, 1_500), rng.random() < 0.5
        hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=radius, include_paused=paused)
        assert [h.site_id for h in hits] == brute_force(sites, lat, lon, radius, paused)
        found += len(hits)
    assert _rtree_mismatches(db) == 0
    return found


def test_matches_brute_force_across_india(db: Session) -> None:
    rng = random.Random(11)
    cities = [(28.61, 77.21), (19.08, 72.88), (12.97, 77.59), (22.57, 88.36), (34.08, 74.8)]
    statuses = ["active"] * 8 + ["paused", "withdrawn"]
    points = [
        (c_lat + rng.gauss(0, 0.02), c_lon + rng.gauss(0, 0.02), rng.choice(statuses))
        for c_lat, c_lon in (rng.choice(cities) for _ in range(4_000))
    ]
    sites = add_sites(db, points)
    found = 0
    for _ in range(150):
        c_lat, c_lon = rng.choice(cities)
        lat, lon = c_lat + rng.gauss(0, 0.02), c_lon + rng.gauss(0, 0.02)
        hits = spatial.sites_within(db, lat=lat, lon=lon, radius_m=300, include_paused=True)
        assert [h.site_id for h in hits] == brute_force(sites, lat, lon, 300, True)
        found += len(hits)
    assert found > 200


def test_index_follows_inserts_moves_status_changes_and_deletes(db: Session) -> None:
    lat, lon = CENTRE
    near, far = offset(lat, lon, 50, 0), offset(lat, lon, 5_000, 0)
    (near_id, *_), (far_id, *_) = add_sites(db, [(*near, "active"), (*far, "active")])

    def found() -> list[int]:
        return [h.site_id for h in spatial.sites_within(db, lat=lat, lon=lon, radius_m=100)]

    assert found() == [near_id]
    site = db.get(Site, far_id)
    assert site is not None
    site.lat, site.lon = offset(lat, lon, 20, 90)
    db.flush()
    assert found() == [far_id, near_id]
    site.status = "withdrawn"
    db.flush()
    assert found() == [near_id]
    site.status = "active"
    db.flush()
    assert found() == [far_id, near_id]
    site.lat, site.lon = far
    db.flush()
    assert found() == [near_id]
    db.delete(db.get(Site, near_id))
    db.flush()
    assert found() == []
    assert _rtree_mismatches(db) == 0


def test_index_follows_bulk_writes(db: Session) -> None:
    rng = random.Random(5)
    add_sites(db, _scatter(rng, 1_000))
    ids = [site_id for site_id, *_ in stored(db)]
    moved = rng.sample(ids, 300)
    # The importer's own statement for changed rows: an UPDATE executemany by primary key.
    db.execute(
        update(Site),
        [
            {"id": i, "lat": p[0], "lon": p[1]}
            for i, p in zip(moved, _scatter(rng, 300), strict=True)
        ],
    )
    paused = [
        {"id": i, "status": rng.choice(["active", "paused", "withdrawn"])}
        for i in rng.sample(ids, 300)
    ]
    db.execute(update(Site), paused)
    db.execute(delete(Site).where(Site.id.in_(rng.sample(ids, 150))))
    # The bulk writer behind the importer and the demo (COPY on PostgreSQL).
    rows = [dict(r, external_id=f"B-{i}") for i, r in enumerate(_rows(db, _scatter(rng, 500)))]
    bulk.insert_sites(db, rows=rows)
    assert _assert_all_match(db, rng) > 1_000


def _csv(points: list[tuple[float, float]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=importer.COLUMNS)
    writer.writeheader()
    for i, (lat, lon) in enumerate(points):
        values: dict[str, object] = dict.fromkeys(importer.COLUMNS, "")
        values |= {"external_id": f"E-{i}", "name": f"Shop {i}", "lat": lat, "lon": lon}
        writer.writerow(values | {"category": "shop", "camera_count": 1, "linked_cameras": 0})
    return out.getvalue().encode()


def _import(db: Session, settings: Settings, data: bytes) -> importer.ImportReport:
    return importer.import_sites(
        db, settings=settings, data=data, file_name="sites.csv", actor=audit.SYSTEM, dry_run=False
    )


def test_index_follows_the_importer(db: Session, settings: Settings) -> None:
    rng = random.Random(9)
    _rows(db, [])  # the tree and the category
    points = [(lat, lon) for lat, lon, _ in _scatter(rng, 400)]
    assert _import(db, settings, _csv(points)).created == 400
    assert _assert_all_match(db, rng) > 500
    moved = [(lat, lon) for lat, lon, _ in _scatter(rng, 200)] + points[200:]
    assert _import(db, settings, _csv(moved)).updated == 200
    assert _assert_all_match(db, rng) > 500


def _plan(db: Session, box: spatial.Box, prefix: str) -> str:
    sql = spatial.box_sql(_dialect(db), lon_ranges=len(box.lon_ranges), statuses=1)
    cursor = db.connection().connection.cursor()
    try:
        cursor.execute(prefix + sql, spatial.box_params(box, ("active",)))
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
    finally:
        cursor.close()


def _sqlite_plan_is_the_rtree(plan: str, ranges: int) -> None:
    """Each longitude range: the R*Tree searched on all four bounds, then sites by id."""
    searches = re.findall(r"SCAN r VIRTUAL TABLE INDEX 2:(?:[A-F]\d){4}$", plan, re.M)
    assert len(searches) == ranges
    assert plan.count("SEARCH camera_sites USING INTEGER PRIMARY KEY (rowid=?)") == ranges
    assert "BLOOM" not in plan


@pytest.mark.parametrize("lon", [80.33, 179.9999])
def test_the_search_uses_the_spatial_index(db: Session, lon: float) -> None:
    """SQLite: the R*Tree for each longitude range; PostgreSQL: the GiST index."""
    box = spatial.bounding_box(lat=CENTRE[0], lon=lon, radius_m=300)
    if _dialect(db) == "sqlite":
        _sqlite_plan_is_the_rtree(_plan(db, box, "EXPLAIN QUERY PLAN "), len(box.lon_ranges))
        return
    rng = random.Random(3)
    bulk.insert_sites(db, rows=_rows(db, _scatter(rng, 20_000)))
    db.execute(text("ANALYZE camera_sites"))
    assert spatial.GIST_INDEX in _plan(db, box, "EXPLAIN ")


def test_sqlite_plan_holds_with_fresh_statistics(tmp_path: Path) -> None:
    # The R*Tree reads its row count once per connection: here the default (1,048,576)
    # against 3,000 analysed sites, the case where a join got a Bloom filter (a full scan).
    # Its own SQLite file, so it runs (for the embedded default) in the PostgreSQL pass too.
    settings = make_settings(f"sqlite:///{tmp_path / 'stats.sqlite3'}", tmp_path)
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as session:
        session.execute(insert(Site), _rows(session, _scatter(random.Random(2), 3_000)))
        session.execute(text("SELECT count(*) FROM camera_sites_rtree"))
        session.execute(text("ANALYZE"))
        box = spatial.bounding_box(lat=CENTRE[0], lon=CENTRE[1], radius_m=300)
        _sqlite_plan_is_the_rtree(_plan(session, box, "EXPLAIN QUERY PLAN "), 1)
    engine.dispose()


def test_migration_builds_exactly_the_unmodelled_objects(db: Session) -> None:
    if _dialect(db) == "sqlite":
        rows = db.execute(text("SELECT type, name FROM sqlite_master WHERE name LIKE '%rtree%'"))
        found = {(kind, name) for kind, name in rows}
        tables = {name for kind, name in found if kind == "table"}
        assert tables == spatial.UNMODELLED - {spatial.GIST_INDEX}
        assert {name for kind, name in found if kind == "trigger"} == {
            f"{spatial.RTREE}_{event}" for event in ("insert", "update", "delete")
        }
        return
    stmt = text("SELECT indexdef FROM pg_indexes WHERE tablename = 'camera_sites'")
    (gist,) = [d for d in db.scalars(stmt) if "gist" in d]
    assert f"INDEX {spatial.GIST_INDEX} " in gist
    assert "INCLUDE (id, lat, lon, status)" in gist
