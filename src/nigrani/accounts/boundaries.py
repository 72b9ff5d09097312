"""GeoJSON import of jurisdiction boundaries: validate everything, then write everything."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shapely.geometry import mapping, shape
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import PARENT_LEVEL, Level
from nigrani.core import audit
from nigrani.core.errors import PayloadTooLarge, ValidationFailed
from nigrani.core.i18n import _

_POLYGONS = {"Polygon", "MultiPolygon"}


@dataclass(frozen=True, slots=True)
class BoundaryFeature:
    """One validated feature of the file."""

    code: str
    level: Level
    name_en: str
    name_hi: str
    parent_code: str | None
    geometry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


def _load(data: bytes, max_bytes: int) -> list[Any]:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            _("GeoJSON file is larger than {mb} MB").format(mb=max_bytes // (1024 * 1024))
        )
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(_("Not valid GeoJSON: {error}").format(error=exc)) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValidationFailed(_("GeoJSON must be a FeatureCollection"))
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationFailed(_("The FeatureCollection has no features"))
    return features


def _geometry_error(geom: Any) -> str | None:
    if not isinstance(geom, dict) or geom.get("type") not in _POLYGONS:
        return _("geometry must be a Polygon or MultiPolygon")
    try:
        shp = shape(geom)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        return _("geometry is malformed ({error})").format(error=exc)
    if shp.is_empty or not shp.is_valid:
        return _("geometry is invalid ({error})").format(error=explain_validity(shp))
    lon_min, lat_min, lon_max, lat_max = jurisdiction.INDIA_BBOX
    x0, y0, x1, y1 = shp.bounds
    if x0 < lon_min or x1 > lon_max or y0 < lat_min or y1 > lat_max:
        return _("geometry lies outside India (is it [longitude, latitude] in WGS84?)")
    return None


def _feature(
    n: int, raw: Any, default_level: Level | None
) -> tuple[BoundaryFeature | None, list[str]]:
    where = _("feature {n}").format(n=n)
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        return None, [_("{where}: not a GeoJSON Feature").format(where=where)]
    props = raw.get("properties") or {}
    errors = []
    code = str(props.get("code") or "").strip()
    if not code or len(code) > 40:
        errors.append(
            _("{where}: property 'code' is required (at most 40 characters)").format(where=where)
        )
    try:
        level = Level(props.get("level") or (default_level.value if default_level else ""))
    except ValueError:
        errors.append(
            _("{where}: property 'level' must be one of {levels}").format(
                where=where, levels=", ".join(Level)
            )
        )
        level = Level.STATION
    names = {key: str(props.get(key) or "").strip() for key in ("name_en", "name_hi")}
    errors += [
        _("{where}: property '{name}' is required").format(where=where, name=k)
        for k, v in names.items()
        if not v
    ]
    if problem := _geometry_error(raw.get("geometry")):
        errors.append(f"{where}: {problem}")
    if errors:
        return None, errors
    parent = str(props.get("parent") or "").strip() or None
    geom = mapping(shape(raw["geometry"]))
    feature = BoundaryFeature(code, level, names["name_en"], names["name_hi"], parent, dict(geom))
    return feature, []


def parse(data: bytes, *, default_level: Level | None, max_bytes: int) -> list[BoundaryFeature]:
    """Every feature of the file, or one error listing every problem found."""
    features, errors = [], []
    for n, raw in enumerate(_load(data, max_bytes), start=1):
        feature, problems = _feature(n, raw, default_level)
        errors += problems
        if feature:
            features.append(feature)
    codes = [f.code for f in features]
    errors += [
        _("code {code} appears more than once").format(code=c)
        for c in sorted({c for c in codes if codes.count(c) > 1})
    ]
    if errors:
        raise ValidationFailed("; ".join(errors[:50]) + (" …" if len(errors) > 50 else ""))
    return features


def _parent_for(
    session: Session, feature: BoundaryFeature, known: dict[str, JurisdictionNode]
) -> JurisdictionNode | None:
    expected = PARENT_LEVEL.get(feature.level)
    if expected is None:
        return None
    if feature.parent_code is None:
        raise ValidationFailed(
            _("{code}: property 'parent' is required for a {level}").format(
                code=feature.code, level=feature.level.value
            )
        )
    parent = known.get(feature.parent_code) or session.scalar(
        select(JurisdictionNode).where(JurisdictionNode.code == feature.parent_code)
    )
    if parent is None or parent.level != expected:
        raise ValidationFailed(
            _("{code}: parent {parent} must be an existing {level}").format(
                code=feature.code, parent=feature.parent_code, level=expected.value
            )
        )
    return parent


def apply(session: Session, features: list[BoundaryFeature], *, actor: audit.Actor) -> ImportResult:
    """Create or update nodes by code, parents before children; raises before any commit."""
    order = {level: i for i, level in enumerate(Level)}
    known: dict[str, JurisdictionNode] = {}
    created = updated = 0
    for feature in sorted(features, key=lambda f: order[f.level]):
        parent = _parent_for(session, feature, known)
        node = session.scalar(select(JurisdictionNode).where(JurisdictionNode.code == feature.code))
        if node is None:
            node = jurisdiction.create_node(
                session,
                code=feature.code,
                level=feature.level,
                name_en=feature.name_en,
                name_hi=feature.name_hi,
                parent=parent,
                boundary=feature.geometry,
            )
            created += 1
        else:
            if node.level != feature.level or node.parent_id != (parent.id if parent else None):
                raise ValidationFailed(
                    _("{code}: exists with another level or parent").format(code=feature.code)
                )
            node.name_en, node.name_hi = feature.name_en, feature.name_hi
            node.boundary = json.dumps(feature.geometry)
            updated += 1
        known[feature.code] = node
    session.flush()
    jurisdiction.record_import(session, actor=actor, created=created, updated=updated)
    return ImportResult(created, updated)
