"""Sites within a radius of a point: candidates from a spatial index inside a bounding box,
then exact great-circle distances on those few. One interface, one index per database:

- SQLite: the R*Tree `camera_sites_rtree` (migration 0004, kept in step by triggers) gives
  ids; `camera_sites` gives their exact coordinates and status;
- PostgreSQL: the GiST index `ix_camera_sites_point` on `point(lon, lat)`, searched with
  `<@ box(...)` and covering the columns read (an index-only scan); no PostGIS.

The query text is built once per dialect and shape and sent on the session's own connection
(so it sees the session's uncommitted rows): an ORM select built per call cost ~0.3 ms, about
twice the indexed query on 1,000,000 sites (bench/bench_canvass.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from sqlalchemy.orm import Session

EARTH_RADIUS_M = 6371008.8
# Widen the box a little so float rounding never drops a site that lies on the circle.
BOX_SLACK = 1e-9
LonRange = tuple[float, float]
EVERY_MERIDIAN: LonRange = (-180.0, 180.0)
RTREE = "camera_sites_rtree"
GIST_INDEX = "ix_camera_sites_point"
# Made by migration 0004, not declared by the models: a schema comparison must skip them.
UNMODELLED = frozenset({RTREE, f"{RTREE}_node", f"{RTREE}_parent", f"{RTREE}_rowid", GIST_INDEX})


class Hit(NamedTuple):
    """A site found near a point and its great-circle distance in metres."""

    site_id: int
    distance_m: float


class Box(NamedTuple):
    """Latitude bounds and longitude ranges (none: every meridian, two: across ±180°)."""

    south: float
    north: float
    lon_ranges: tuple[LonRange, ...]


def bounding_box(*, lat: float, lon: float, radius_m: float) -> Box:
    """The smallest lat/lon rectangle holding every point within radius_m of (lat, lon)."""
    delta = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(delta) * (1 + BOX_SLACK) + BOX_SLACK
    south, north = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    cos_lat = math.cos(math.radians(lat))
    # The cap's widest meridian span is asin(sin δ / cos φ); a cap over a pole spans them all.
    if south <= -90.0 or north >= 90.0 or math.sin(delta) >= cos_lat:
        return Box(south, north, ())
    dlon = math.degrees(math.asin(math.sin(delta) / cos_lat)) * (1 + BOX_SLACK) + BOX_SLACK
    return Box(south, north, _lon_ranges(lon - dlon, lon + dlon))


def _lon_ranges(west: float, east: float) -> tuple[LonRange, ...]:
    if west < -180.0:
        return ((-180.0, east), (west + 360.0, 180.0))
    if east > 180.0:
        return ((west, 180.0), (-180.0, east - 360.0))
    return ((west, east),)


class _Dialect(NamedTuple):
    part: str  # one longitude range; parameters west, south, east, north, then the statuses
    mark: str  # the driver's placeholder


_DIALECTS = {
    # The R*Tree keeps 32-bit floats rounded outwards, so a point inside the box always
    # overlaps it. Its ids go in as an IN list, which SQLite always estimates at ~25 rows and
    # so answers by id lookups; a join was planned with a Bloom filter (a scan of every site
    # per search) whenever the R*Tree's row estimate was stale. The unary + keeps the status
    # index out (unanalysed, SQLite looked ids up through it: two searches per site).
    "sqlite": _Dialect(
        "SELECT id, lat, lon FROM camera_sites WHERE id IN (SELECT r.id FROM camera_sites_rtree"
        " AS r WHERE r.max_lon >= ? AND r.max_lat >= ? AND r.min_lon <= ? AND r.min_lat <= ?)"
        " AND +status IN ({marks})",
        "?",
    ),
    # Written exactly as the expression index, so the planner can use it.
    "postgresql": _Dialect(
        "SELECT id, lat, lon FROM camera_sites"
        " WHERE point(lon, lat) <@ box(point(%s, %s), point(%s, %s)) AND status IN ({marks})",
        "%s",
    ),
}


@cache
def box_sql(dialect: str, *, lon_ranges: int, statuses: int) -> str:
    """The candidate query a search sends: one indexed SELECT per longitude range."""
    spec = _DIALECTS[dialect]
    part = spec.part.format(marks=", ".join([spec.mark] * statuses))
    # The ranges of a box never overlap, so UNION ALL returns each site once.
    return " UNION ALL ".join([part] * lon_ranges)


def box_params(box: Box, statuses: tuple[str, ...]) -> list[object]:
    """The parameters of box_sql for this box, in its order."""
    return [
        value
        for west, east in box.lon_ranges or (EVERY_MERIDIAN,)
        for value in (west, box.south, east, box.north, *statuses)
    ]


def _candidates(
    session: Session, box: Box, statuses: tuple[str, ...]
) -> list[tuple[int, float, float]]:
    conn = session.connection()
    sql = box_sql(conn.dialect.name, lon_ranges=len(box.lon_ranges) or 1, statuses=len(statuses))
    # The driver's cursor on the session's connection (same transaction): SQLAlchemy's
    # result wrapping costs more than the indexed query on SQLite.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, box_params(box, statuses))
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
    finally:
        cursor.close()


def sites_within(
    session: Session, *, lat: float, lon: float, radius_m: float, include_paused: bool = False
) -> list[Hit]:
    """Active (and, if asked, paused) sites within radius_m of a point, nearest first."""
    box = bounding_box(lat=lat, lon=lon, radius_m=radius_m)
    statuses = ("active", "paused") if include_paused else ("active",)
    candidates = _candidates(session, box, statuses)
    hits = [Hit(i, d) for i, d in _distances(lat, lon, candidates) if d <= radius_m]
    hits.sort(key=lambda hit: (hit.distance_m, hit.site_id))
    return hits


def _distances(
    lat: float, lon: float, sites: list[tuple[int, float, float]]
) -> Iterator[tuple[int, float]]:
    """Haversine with the very arithmetic of `camera_service.metres_between` (so the same
    bits), the query point's terms computed once."""
    p1 = math.radians(lat)
    cos_p1 = math.cos(p1)
    for site_id, site_lat, site_lon in sites:
        p2 = math.radians(site_lat)
        dp, dl = p2 - p1, math.radians(site_lon - lon)
        a = math.sin(dp / 2) ** 2 + cos_p1 * math.cos(p2) * math.sin(dl / 2) ** 2
        yield site_id, 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
