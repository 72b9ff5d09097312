"""Sites within a radius of a point: a bounding box on the (lat, lon) index, then exact
great-circle distances on the few candidates. The same SQL runs on SQLite and PostgreSQL.

The box query is compiled once per dialect and sent on the session's own connection (so it
sees the session's uncommitted rows): an ORM select built per call cost ~0.3 ms, about
twice the indexed query on 1,000,000 sites (bench/bench_canvass.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from sqlalchemy import Dialect, bindparam, or_, select, true
from sqlalchemy.orm import Session

from nigrani.cameras.models import Site

EARTH_RADIUS_M = 6371008.8
# Widen the box a little so float rounding never drops a site that lies on the circle.
BOX_SLACK = 1e-9
LonRange = tuple[float, float]


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


class _BoxQuery(NamedTuple):
    sql: str
    names: tuple[str, ...] | None  # the parameters' order, for positional drivers


@cache
def _box_query(dialect: Dialect, lon_ranges: int, statuses: int) -> _BoxQuery:
    """The box query compiled once per dialect and shape; sent as-is on each call."""
    site = Site.__table__.c
    lon = [site.lon.between(bindparam(f"w{i}"), bindparam(f"e{i}")) for i in range(lon_ranges)]
    stmt = select(site.id, site.lat, site.lon).where(
        site.lat.between(bindparam("s"), bindparam("n")),
        or_(*lon) if lon else true(),
        site.status.in_([bindparam(f"st{i}") for i in range(statuses)]),
    )
    compiled = stmt.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    return _BoxQuery(str(compiled), names)


def _candidates(
    session: Session, box: Box, statuses: tuple[str, ...]
) -> list[tuple[int, float, float]]:
    conn = session.connection()
    query = _box_query(conn.dialect, len(box.lon_ranges), len(statuses))
    values: dict[str, object] = {"s": box.south, "n": box.north}
    for i, (west, east) in enumerate(box.lon_ranges):
        values |= {f"w{i}": west, f"e{i}": east}
    values |= {f"st{i}": status for i, status in enumerate(statuses)}
    params = values if query.names is None else tuple(values[n] for n in query.names)
    # The driver's cursor on the session's connection (same transaction): SQLAlchemy's
    # result wrapping costs more than the indexed query on SQLite.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(query.sql, params)
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
