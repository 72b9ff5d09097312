"""The control-room map's data: sites in view as points, or grid aggregates when there are many.

Only what a map needs leaves this module: position, category, public or private, camera and
linked counts, and how many linked cameras the health checks find offline (drawn red).
Owner fields are never selected, so no response built from here can leak them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import ColumnElement, Float, Select, Subquery, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras import service
from nigrani.cameras.models import Camera, Site
from nigrani.core.errors import PermissionDenied, ValidationFailed
from nigrani.core.i18n import _

MAX_POINTS = 1500
"""Above this many sites in view the map gets grid aggregates instead of points."""
GRID_ROW = 1 << 23
"""Cell key stride: more than the columns of the finest grid (360° / cell at zoom 20)."""
CELL_PX = 80
"""Aggregate cell size on screen, in pixels of a 256-pixel Web Mercator tile."""
SIMPLIFY_DEG = 0.0002
"""Boundary simplification tolerance (about 20 m): invisible at city scale, far fewer points."""


@dataclass(frozen=True, slots=True)
class BBox:
    """A view rectangle in degrees (WGS 84), west < east and south < north."""

    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True, slots=True)
class MapQuery:
    """What the map asks for: its view, its zoom level and the operator's filters."""

    bbox: BBox
    zoom: int
    category: str | None = None
    is_public: bool | None = None
    linked: bool | None = None
    station: str | None = None


class MapPoint(NamedTuple):
    id: int
    lat: float
    lon: float
    category: str
    is_public: bool
    cameras: int
    linked: int
    offline: int = 0  # linked cameras whose Camera.health is offline


class MapCluster(NamedTuple):
    lat: float
    lon: float
    sites: int
    cameras: int
    linked: int
    offline: int = 0  # of those linked, offline (the cluster's red badge)


@dataclass(frozen=True, slots=True)
class MapData:
    """Either points or clusters (never both) for one view."""

    points: list[MapPoint]
    clusters: list[MapCluster]

    @property
    def total(self) -> int:
        """Sites in view."""
        return len(self.points) + sum(c.sites for c in self.clusters)


class _GridIndex(FunctionElement[float]):
    """floor() of a non-negative number; SQLite builds without math functions lack floor()."""

    type = Float()
    inherit_cache = True


@compiles(_GridIndex)
def _grid_index(element: _GridIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(_GridIndex, "sqlite")
def _grid_index_sqlite(element: _GridIndex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


def parse_bbox(raw: str) -> BBox:
    """Read "west,south,east,north"; refuse anything that is not a real, ordered rectangle."""
    parts = raw.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValidationFailed(
            _("bbox must be four numbers: west,south,east,north"), field="bbox"
        ) from None
    inside = -180 <= west < east <= 180 and -90 <= south < north <= 90
    if not inside:  # NaN compares false, so it lands here too
        raise ValidationFailed(
            _("bbox must have west < east within ±180 and south < north within ±90"),
            field="bbox",
        )
    return BBox(west, south, east, north)


def cell_degrees(zoom: int, mid_lat: float) -> tuple[float, float]:
    """Aggregate cell height and width in degrees: CELL_PX square on screen at this zoom."""
    dlon = 360.0 / (2**zoom) / 256 * CELL_PX
    dlat = dlon * max(math.cos(math.radians(mid_lat)), 0.05)
    return dlat, dlon


def _filter(session: Session, *, scope_path: str, query: MapQuery) -> service.SiteFilter:
    station_path = None
    if query.station:
        node = session.scalar(
            select(JurisdictionNode).where(JurisdictionNode.code == query.station)
        )
        if node is None:
            raise ValidationFailed(_("No such police station"), field="station")
        if not jurisdiction.within(node.path, scope_path):
            raise PermissionDenied(_("This jurisdiction is outside your charge."))
        station_path = node.path
    category = service.get_category(session, query.category).code if query.category else None
    return service.SiteFilter(
        category=category,
        is_public=query.is_public,
        linked=query.linked,
        station_path=station_path,
    )


def _in_view(session: Session, *, scope_path: str, query: MapQuery) -> Select[Site]:
    box = query.bbox
    stmt = select(Site).where(
        Site.lat.between(box.south, box.north), Site.lon.between(box.west, box.east)
    )
    return service.filtered(stmt, scope_path, _filter(session, scope_path=scope_path, query=query))


def _linked_of_site() -> ColumnElement[int]:
    return (
        select(func.count(Camera.id))
        .where(Camera.site_id == Site.id, Camera.linked.is_(True))
        .correlate(Site)
        .scalar_subquery()
    )


def _offline_of_site() -> ColumnElement[int]:
    return (
        select(func.count(Camera.id))
        .where(Camera.site_id == Site.id, Camera.linked.is_(True), Camera.health == "offline")
        .correlate(Site)
        .scalar_subquery()
    )


def _count_upto(session: Session, base: Select[Site], limit: int) -> int:
    limited = base.with_only_columns(Site.id).limit(limit).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def _points(session: Session, base: Select[Site]) -> list[MapPoint]:
    stmt = base.with_only_columns(
        Site.id,
        Site.lat,
        Site.lon,
        Site.category_code,
        Site.is_public,
        Site.camera_count,
        _linked_of_site(),
        _offline_of_site(),
    ).order_by(Site.id)
    return [MapPoint._make(row) for row in session.execute(stmt)]


def _cell_key(query: MapQuery) -> ColumnElement[float]:
    """One number per grid cell: row * GRID_ROW + column."""
    box = query.bbox
    dlat, dlon = cell_degrees(query.zoom, (box.south + box.north) / 2)
    # Grid anchored at (-90, -180), not at the view, so cells stay put while the map pans;
    # the offsets keep values positive, where truncation equals floor.
    row = _GridIndex((Site.lat + 90.0) / dlat)
    return row * GRID_ROW + _GridIndex((Site.lon + 180.0) / dlon)


def _is_offline() -> ColumnElement[int]:
    return case((Camera.health == "offline", 1), else_=0)


def _linked_per_cell(
    session: Session, base: Select[Site], key: ColumnElement[float]
) -> dict[float, tuple[int, int]]:
    """Linked and offline cameras per cell, in one statement."""
    # Few cameras are linked, so starting from them (ix_cameras_linked) touches few sites.
    inner = (
        base.with_only_columns(key.label("cell"), _is_offline().label("off"))
        .join(Camera, Camera.site_id == Site.id)
        .where(Camera.linked.is_(True))
        .subquery()
    )
    stmt = select(inner.c.cell, func.count(), func.sum(inner.c.off)).group_by(inner.c.cell)
    return {cell: (int(n), int(off or 0)) for cell, n, off in session.execute(stmt)}


def _linked_by_site() -> Subquery:
    stmt = select(
        Camera.site_id, func.count().label("n"), func.sum(_is_offline()).label("off")
    ).where(Camera.linked.is_(True))
    return stmt.group_by(Camera.site_id).subquery()


def _clusters(session: Session, base: Select[Site], query: MapQuery) -> list[MapCluster]:
    key = _cell_key(query)
    # PostgreSQL hash-joins the few linked cameras into its one pass over the sites; SQLite
    # would probe an index once per site, so there they are counted apart, from their side.
    one_pass = session.get_bind().dialect.name == "postgresql"
    columns = [key.label("cell"), Site.lat, Site.lon, Site.camera_count]
    if one_pass:
        per_site = _linked_by_site()
        counts = (per_site.c.n.label("linked"), per_site.c.off.label("off"))
        inner = base.with_only_columns(*columns, *counts).outerjoin(
            per_site, per_site.c.site_id == Site.id
        )
    else:
        inner = base.with_only_columns(
            *columns, literal(0).label("linked"), literal(0).label("off")
        )
    # Grouped by the label of a subquery: PostgreSQL would not match the same expression
    # written twice with separate bind parameters.
    cells = inner.subquery()
    stmt = select(
        cells.c.cell,
        func.avg(cells.c.lat),
        func.avg(cells.c.lon),
        func.count(),
        func.sum(cells.c.camera_count),
        func.sum(cells.c.linked),
        func.sum(cells.c.off),
    ).group_by(cells.c.cell)
    apart = {} if one_pass else _linked_per_cell(session, base, key)
    clusters = []
    for cell, lat, lon, n, cams, linked, off in session.execute(stmt):
        more, more_off = apart.get(cell, (0, 0))
        clusters.append(
            MapCluster(float(lat), float(lon), int(n), int(cams or 0),
                       int(linked or 0) + more, int(off or 0) + more_off)
        )  # fmt: skip
    return clusters


def map_data(session: Session, *, scope_path: str, query: MapQuery) -> MapData:
    """Sites in view inside the caller's jurisdiction: points, or clusters above MAX_POINTS."""
    base = _in_view(session, scope_path=scope_path, query=query)
    if _count_upto(session, base, MAX_POINTS + 1) <= MAX_POINTS:
        return MapData(points=_points(session, base), clusters=[])
    return MapData(points=[], clusters=_clusters(session, base, query))


def _feature(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": properties,
    }


def _point_feature(p: MapPoint) -> dict[str, Any]:
    properties = {
        "id": p.id,
        "category": p.category,
        "public": p.is_public,
        "cameras": p.cameras,
        "linked": p.linked,
        "offline": p.offline,
    }
    return {"id": p.id, **_feature(p.lon, p.lat, properties)}


def _cluster_feature(c: MapCluster) -> dict[str, Any]:
    properties = {
        "cluster": True,
        "count": c.sites,
        "cameras": c.cameras,
        "linked": c.linked,
        "offline": c.offline,
    }
    return _feature(c.lon, c.lat, properties)


def to_geojson(data: MapData) -> dict[str, Any]:
    """A GeoJSON FeatureCollection, with the mode and the total as foreign members."""
    features = [_point_feature(p) for p in data.points]
    features += [_cluster_feature(c) for c in data.clusters]
    mode = "clusters" if data.clusters else "points"
    return {"type": "FeatureCollection", "mode": mode, "total": data.total, "features": features}


def _simplified(boundary: str) -> dict[str, Any]:
    geom = shape(json.loads(boundary)).simplify(SIMPLIFY_DEG, preserve_topology=True)
    result: dict[str, Any] = mapping(shapely.set_precision(geom, 1e-5))
    return result


def boundaries(session: Session, *, scope_path: str, level: Level, lang: str) -> dict[str, Any]:
    """The boundaries of one level inside the caller's jurisdiction, simplified for display."""
    stmt = (
        select(JurisdictionNode)
        .where(
            jurisdiction.under(JurisdictionNode.path, scope_path),
            JurisdictionNode.level == level.value,
            JurisdictionNode.boundary.is_not(None),
        )
        .order_by(JurisdictionNode.name_en)
    )
    features = [
        {
            "type": "Feature",
            "id": node.code,
            "geometry": _simplified(node.boundary or ""),
            "properties": {"code": node.code, "name": node.name(lang), "level": node.level},
        }
        for node in session.scalars(stmt)
    ]
    return {"type": "FeatureCollection", "features": features}


def stations(session: Session, scope: JurisdictionNode) -> list[JurisdictionNode]:
    """The police stations in a jurisdiction (the map's station filter), by English name."""
    stmt = (
        select(JurisdictionNode)
        .where(
            jurisdiction.under(JurisdictionNode.path, scope.path),
            JurisdictionNode.level == Level.STATION.value,
        )
        .order_by(JurisdictionNode.name_en)
    )
    return list(session.scalars(stmt))


def initial_view(session: Session, scope: JurisdictionNode) -> BBox | None:
    """Where the map opens: the jurisdiction's boundary, else its sites' extent, if any."""
    if scope.boundary:
        west, south, east, north = shape(json.loads(scope.boundary)).bounds
        return BBox(west, south, east, north)
    row = session.execute(
        select(
            func.min(Site.lon), func.min(Site.lat), func.max(Site.lon), func.max(Site.lat)
        ).where(jurisdiction.under(Site.node_path, scope.path), Site.status != "withdrawn")
    ).one()
    if row[0] is None or row[0] == row[2] or row[1] == row[3]:
        return None
    return BBox(*(float(v) for v in row))
