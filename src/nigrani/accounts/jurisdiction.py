"""The jurisdiction tree: nodes, subtrees, boundary import and point-in-station lookup."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.attributes import set_committed_value

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import LEVEL_ORDER, PARENT_LEVEL, Level
from nigrani.core import audit
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.core.i18n import _

INDIA_BBOX = (68.0, 6.0, 98.0, 37.5)  # lon_min, lat_min, lon_max, lat_max


def _closed(path: str) -> str:
    """The path with its closing "/": "/1/4" and "/1/4/" name the same node."""
    if not path.startswith("/"):
        # An unsaved node's "" would otherwise read as the root and hold everything.
        raise ValueError(f"not a node path: {path!r}")
    return path if path.endswith("/") else path + "/"


def within(path: str, scope_path: str) -> bool:
    """Whether the object at materialised `path` lies inside the node at `scope_path`.

    The one jurisdiction check. Paths are node ids between slashes ("/1/4/9/", see
    create_node), compared whole id by whole id: "/1/4/" holds "/1/4/9/" and itself, never
    "/1/41/" — even when a path is written without its closing slash. An object without a
    node path ("") lies in no jurisdiction; a scope without one is a bug (ValueError).
    """
    scope = _closed(scope_path)
    return path.startswith("/") and _closed(path).startswith(scope)


def under(
    column: ColumnElement[str] | InstrumentedAttribute[str], path: str
) -> ColumnElement[bool]:
    """Rows whose materialised path lies under `path`, as an index-friendly range.

    The query form of `within`. Paths end with "/" and hold digits, and "0" follows "/" in
    ASCII, so every path that starts with "/1/4/" sorts in ["/1/4/", "/1/40") — unlike
    LIKE, a B-tree can use it.
    """
    path = _closed(path)
    return and_(column >= path, column < path[:-1] + "0")


def get_by_code(session: Session, code: str) -> JurisdictionNode:
    """A node by its code, or NotFound."""
    node = session.scalar(select(JurisdictionNode).where(JurisdictionNode.code == code))
    if node is None:
        raise NotFound(_("No jurisdiction with code {code}").format(code=code))
    return node


def create_node(
    session: Session,
    *,
    code: str,
    level: Level,
    name_en: str,
    name_hi: str,
    parent: JurisdictionNode | None,
    boundary: dict[str, Any] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    is_demo: bool = False,
) -> JurisdictionNode:
    """Add a node under a parent of the level just above it."""
    expected = PARENT_LEVEL.get(level)
    if (parent.level if parent else None) != (expected.value if expected else None):
        raise ValidationFailed(
            _("A {level} must sit under a {parent}").format(
                level=level.value, parent=expected.value if expected else "—"
            ),
            field="parent",
        )
    node = JurisdictionNode(
        code=code,
        level=level.value,
        name_en=name_en,
        name_hi=name_hi,
        parent_id=parent.id if parent else None,
        path="",
        boundary=json.dumps(boundary) if boundary else None,
        lat=lat,
        lon=lon,
        is_demo=is_demo,
    )
    session.add(node)
    session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    session.flush()
    return node


def subtree(session: Session, node: JurisdictionNode) -> list[JurisdictionNode]:
    """The node and everything under it, in tree order."""
    stmt = select(JurisdictionNode).where(under(JurisdictionNode.path, node.path))
    nodes = list(session.scalars(stmt))
    nodes.sort(key=lambda n: (len(n.path.split("/")), n.level, n.name_en))
    return nodes


def children(session: Session, node: JurisdictionNode) -> list[JurisdictionNode]:
    """The direct children of a node, by English name."""
    stmt = (
        select(JurisdictionNode)
        .where(JurisdictionNode.parent_id == node.id)
        .order_by(JurisdictionNode.name_en)
    )
    return list(session.scalars(stmt))


def path_ids(path: str) -> list[int]:
    """The ids in a node path ("/1/4/9/"), root first, the node itself last."""
    return [int(part) for part in path.strip("/").split("/")]


def ancestors(session: Session, node: JurisdictionNode) -> list[JurisdictionNode]:
    """The chain from the root down to the node's parent."""
    ids = path_ids(node.path)[:-1]
    if not ids:
        return []
    found = {
        n.id: n
        for n in session.scalars(select(JurisdictionNode).where(JurisdictionNode.id.in_(ids)))
    }
    return [found[i] for i in ids]


def roots(session: Session) -> list[JurisdictionNode]:
    """Top-level nodes (commissionerates)."""
    stmt = select(JurisdictionNode).where(JurisdictionNode.parent_id.is_(None))
    return list(session.scalars(stmt.order_by(JurisdictionNode.id)))


@dataclass(frozen=True, slots=True)
class _Index:
    signature: tuple[Any, ...]
    tree: shapely.STRtree
    lineages: list[list[int]]  # each node's path as ids, root first (paths never change)
    depths: list[int]
    geoms: list[BaseGeometry]
    area: BaseGeometry | None


_index_cache: dict[str, _Index] = {}


# Statements asked on every lookup are built once (SQLAlchemy caches only their compiled form).
_SIGNATURE = select(
    func.count(JurisdictionNode.id),
    func.max(JurisdictionNode.id),
    func.coalesce(func.sum(func.length(JurisdictionNode.boundary)), 0),
)
_LINEAGE = select(JurisdictionNode).where(JurisdictionNode.id.in_(bindparam("ids", expanding=True)))


def _signature(session: Session) -> tuple[Any, ...]:
    return tuple(session.connection().execute(_SIGNATURE).one())


def _build_index(session: Session, signature: tuple[Any, ...]) -> _Index:
    rows = session.execute(
        select(JurisdictionNode.level, JurisdictionNode.boundary, JurisdictionNode.path).where(
            JurisdictionNode.boundary.is_not(None)
        )
    ).all()
    lineages, depths, geoms, tops = [], [], [], []
    for level, boundary, path in rows:
        geom = shape(json.loads(str(boundary)))
        shapely.prepare(geom)
        lineages.append(path_ids(path))
        depths.append(LEVEL_ORDER.index(Level(level)))
        geoms.append(geom)
        if level == Level.COMMISSIONERATE:
            tops.append(geom)
    area = shapely.union_all(tops) if tops else None
    if area is not None:
        shapely.prepare(area)
    return _Index(signature, shapely.STRtree(geoms), lineages, depths, geoms, area)


def _index(session: Session) -> _Index:
    bind = session.get_bind()
    key = str(bind.engine.url)
    signature = _signature(session)
    cached = _index_cache.get(key)
    if cached is None or cached.signature != signature:
        cached = _index_cache[key] = _build_index(session, signature)
    return cached


def _check(index: _Index, lat: float, lon: float) -> None:
    """Refuse coordinates outside the commissionerate (or outside India if none is drawn)."""
    lon_min, lat_min, lon_max, lat_max = INDIA_BBOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise ValidationFailed(_("This place is not in India."), field="location")
    if index.area is not None and not index.area.covers(Point(lon, lat)):
        raise ValidationFailed(
            _("This place is outside the commissionerate's area. Pick a point inside the city."),
            field="location",
        )


def _deepest(session: Session, index: _Index, lat: float, lon: float) -> JurisdictionNode | None:
    point = Point(lon, lat)
    best: tuple[int, int] | None = None
    for i in index.tree.query(point):
        if index.geoms[i].covers(point) and (best is None or index.depths[i] > best[0]):
            best = (index.depths[i], int(i))
    if best is None:
        return None
    return _with_ancestors(session, index.lineages[best[1]])


def _with_ancestors(session: Session, lineage: list[int]) -> JurisdictionNode | None:
    # The node and everything above it in one query, each linked to its parent, so that
    # its station and root (a complaint's number) come without a query each.
    found = {node.id: node for node in session.scalars(_LINEAGE, {"ids": lineage})}
    for node in found.values():
        if node.parent_id in found:
            set_committed_value(node, "parent", found[node.parent_id])
    return found.get(lineage[-1])


def locate(session: Session, *, lat: float, lon: float) -> JurisdictionNode | None:
    """The deepest node whose boundary covers the point (a post or station), if any."""
    return _deepest(session, _index(session), lat, lon)


def station_for_point(session: Session, *, lat: float, lon: float) -> JurisdictionNode | None:
    """The police station whose area covers the point."""
    # One index (and one freshness query) for both steps: every new site, incident and
    # complaint asks this.
    index = _index(session)
    _check(index, lat, lon)
    node = _deepest(session, index, lat, lon)
    while node is not None and node.level == Level.POST:
        node = node.parent
    return node if node is not None and node.level == Level.STATION else None


def geometry(node: JurisdictionNode) -> dict[str, Any] | None:
    """The node's boundary as a GeoJSON geometry."""
    return json.loads(node.boundary) if node.boundary else None


def record_import(session: Session, *, actor: audit.Actor, created: int, updated: int) -> None:
    """Audit one boundary import."""
    audit.record(
        session,
        actor=actor,
        action="jurisdiction.import",
        object_type="jurisdiction",
        object_id="*",
        detail={"created": created, "updated": updated},
    )
