"""Thousands of sites at once: stations for many points, owners in one pass, inserts
without an ORM flush per row."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import shapely
from shapely.geometry import shape
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras import owners
from nigrani.cameras.models import Camera, Site
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

T = TypeVar("T")
Tick = Callable[[int], None] | None
Owner = tuple[str | None, str | None]  # name, mobile as given
CHUNK = 2000
"""Rows per statement, and ids per IN list (well under SQLite's and PostgreSQL's limits)."""
OWNER_COLUMNS = ("owner_name_enc", "owner_phone_enc", "owner_phone_hash", "owner_name_masked",
                 "owner_phone_masked")  # fmt: skip
_BLANK_CAMERA = dict.fromkeys(("label", "resolution", "make", "model", "serial", "mac"), "")


def chunks(items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class Located:
    """The police station a point falls in."""

    station_id: int
    path: str


@dataclass(frozen=True, slots=True)
class _Areas:
    tree: Any  # STRtree of station and post areas
    owner: list[Located]  # per area: the station it belongs to
    depth: list[int]  # a post's area (1) wins over its station's (0), as in locate()
    city: Any  # union of the commissionerates, or None when none is drawn


def _areas(session: Session) -> _Areas:
    node = JurisdictionNode
    rows = session.execute(select(node.id, node.parent_id, node.level, node.path, node.boundary))
    nodes = rows.all()
    stations = {n.id: Located(n.id, n.path) for n in nodes if n.level == Level.STATION}
    geoms, owner, depth, tops = [], [], [], []
    for n in nodes:
        if n.boundary is None:
            continue
        geom = shape(json.loads(n.boundary))
        if n.level == Level.COMMISSIONERATE:
            tops.append(geom)
        station = stations.get(n.parent_id if n.level == Level.POST else n.id)
        if n.level in (Level.STATION, Level.POST) and station is not None:
            geoms.append(geom)
            owner.append(station)
            depth.append(int(n.level == Level.POST))
    city = shapely.union_all(tops) if tops else None
    if city is not None:
        shapely.prepare(city)
    return _Areas(shapely.STRtree(geoms), owner, depth, city)


def _outside(lat: float, lon: float, in_city: bool, found: bool) -> str:
    lon_min, lat_min, lon_max, lat_max = jurisdiction.INDIA_BBOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        return _("This place is not in India.")
    if not in_city:
        return _("This place is outside the commissionerate's area. Pick a point inside the city.")
    if not found:
        return _("No police station covers this place. Pick a point inside the city.")
    return ""


def locate_many(session: Session, points: list[tuple[float, float]]) -> list[Located | str]:
    """The station covering each (lat, lon), or why none does: one tree query for all points.

    Same answers as jurisdiction.station_for_point, which costs ~3 ms a point (two queries);
    this costs a few microseconds a point.
    """
    areas = _areas(session)
    shapes = shapely.points([lon for _, lon in points], [lat for lat, _ in points])
    in_city = [True] * len(points) if areas.city is None else shapely.covers(areas.city, shapes)
    best: dict[int, int] = {}
    hits = areas.tree.query(shapes, predicate="intersects") if points else [[], []]
    for p, g in zip(*(list(map(int, a)) for a in hits), strict=True):
        if p not in best or areas.depth[g] > areas.depth[best[p]]:
            best[p] = g
    found: list[Located | str] = []
    for i, (lat, lon) in enumerate(points):
        reason = _outside(lat, lon, bool(in_city[i]), i in best)
        found.append(reason or areas.owner[best[i]])
    return found


def owner_columns(
    settings: Settings, given: list[Owner], *, tick: Tick = None
) -> list[dict[str, Any] | str]:
    """Each (name, mobile) through owners.set_owner (encrypted, hashed, masked), or why the
    mobile is refused. At ~0.2 ms an owner this is most of an import's time."""
    # Spreading this over processes was measured here: no faster on a shared 2-core machine
    # (50,000 owners: 11.6 s in one process, 11.7 s in two), and each worker must first
    # import SQLAlchemy, Shapely and the models (~4 s).
    scratch, found = Site(), list[dict[str, Any] | str]()
    for part in chunks(given):
        for name, mobile in part:
            try:
                owners.set_owner(scratch, settings=settings, name=name, mobile=mobile)
            except ValidationFailed as exc:
                found.append(exc.message)
                continue
            found.append({key: getattr(scratch, key) for key in OWNER_COLUMNS})
        if tick is not None:
            tick(len(part))
    return found


def _write(
    session: Session, model: type[Site | Camera], rows: list[dict[str, Any]], tick: Tick
) -> None:
    """Insert rows that all have the same keys, a chunk at a time."""
    copy = session.get_bind().dialect.name == "postgresql"
    for chunk in chunks(rows):
        if copy:
            _copy(session, model.__tablename__, chunk)
        else:
            session.execute(insert(model), chunk)
        if tick is not None:
            tick(len(chunk))


def _copy(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    # PostgreSQL's COPY takes rows ~10x faster than executemany (psycopg 3 adapts the values).
    columns = list(rows[0])
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # names come from our models
    connection: Any = session.connection().connection.driver_connection  # psycopg.Connection
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def insert_sites(
    session: Session, *, rows: list[dict[str, Any]], tick: Tick = None
) -> dict[str, int]:
    """Insert many sites (every dict with the same keys, external_id among them); ids by it."""
    _write(session, Site, rows, tick)
    ids: dict[str, int] = {}
    for keys in chunks([r["external_id"] for r in rows]):
        stmt = select(Site.external_id, Site.id).where(Site.external_id.in_(keys))
        found = session.execute(stmt)
        ids.update((str(external_id), int(site_id)) for external_id, site_id in found)
    return ids


def add_linked_cameras(session: Session, *, counts: dict[int, int]) -> int:
    """Add this many linked cameras (no detail yet) to each site id; returns how many."""
    now = utcnow()
    new = {**_BLANK_CAMERA, "linked": True, "health": "unknown", "created_at": now}
    rows = [{**new, "site_id": site_id} for site_id, n in counts.items() for _ in range(n)]
    _write(session, Camera, rows, None)
    return len(rows)


def remove_linked_cameras(session: Session, *, counts: dict[int, int]) -> int:
    """Delete this many of each site's newest linked cameras; returns how many."""
    left, doomed = dict(counts), []
    for keys in chunks(list(counts)):
        stmt = (
            select(Camera.id, Camera.site_id)
            .where(Camera.linked.is_(True), Camera.site_id.in_(keys))
            .order_by(Camera.id.desc())
        )
        for camera_id, site_id in session.execute(stmt):
            if left[site_id] > 0:
                doomed.append(camera_id)
                left[site_id] -= 1
    for ids in chunks(doomed):
        session.execute(delete(Camera).where(Camera.id.in_(ids)))
    return len(doomed)
