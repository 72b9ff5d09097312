"""Exports of the registry: CSV (formula-safe, UTF-8 with BOM for Excel) and GeoJSON, streamed.

Only the masked owner fields are ever selected, so no export can carry an owner's contact.
Each batch is read in its own short transaction (keyset pagination by id), so a long
download never holds a database lock — SQLite transactions here take the write lock.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras import service
from nigrani.cameras.models import Camera, Site
from nigrani.core import audit, text

Sessions = Callable[[], Session]
BATCH = 2000
CSV_COLUMNS = (
    "external_id", "name", "address", "lat", "lon", "category", "is_public", "camera_count",
    "linked_cameras", "station", "source", "status", "owner_name_masked", "owner_phone_masked",
    "retention_days", "facing",
)  # fmt: skip
_SELECTED = (
    Site.id, Site.external_id, Site.name, Site.address, Site.lat, Site.lon, Site.category_code,
    Site.is_public, Site.camera_count, Site.station_id, Site.source, Site.status,
    Site.owner_name_masked, Site.owner_phone_masked, Site.retention_days, Site.facing,
)  # fmt: skip


def _stations(session: Session) -> dict[int, str]:
    stmt = select(JurisdictionNode.id, JurisdictionNode.code)
    stmt = stmt.where(JurisdictionNode.level == Level.STATION)
    return dict(session.execute(stmt).all())


def _linked(session: Session, site_ids: list[int]) -> dict[int, int]:
    stmt = (
        select(Camera.site_id, func.count())
        .where(Camera.linked.is_(True), Camera.site_id.in_(site_ids))
        .group_by(Camera.site_id)
    )
    return dict(session.execute(stmt).all())


def _batch(
    session: Session, scope_path: str, f: service.SiteFilter, after: int
) -> list[dict[str, Any]]:
    stmt = service.filtered(select(Site), scope_path, f).with_only_columns(*_SELECTED)
    rows = session.execute(stmt.where(Site.id > after).order_by(Site.id).limit(BATCH)).all()
    linked, stations = _linked(session, [r.id for r in rows]), _stations(session)
    batch = []
    for row in rows:
        site = row._asdict()
        site["category"] = site.pop("category_code")
        site["station"] = stations.get(row.station_id or 0, "")
        site["linked_cameras"] = linked.get(row.id, 0)
        batch.append(site)
    return batch


def sites(
    sessions: Sessions, *, scope_path: str, f: service.SiteFilter
) -> Iterator[list[dict[str, Any]]]:
    """Batches of the sites under a jurisdiction path (owner fields masked), in id order."""
    after = 0
    while True:
        with sessions() as session:
            batch = _batch(session, scope_path, f, after)
        if not batch:
            return
        yield batch
        after = batch[-1]["id"]


def _csv_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) or value is None:
        return "" if value is None else str(value)
    return text.safe_cell(value)  # text someone typed: never let a spreadsheet run it


def csv_chunks(sessions: Sessions, *, scope_path: str, f: service.SiteFilter) -> Iterator[bytes]:
    """The sites as CSV, UTF-8 with a BOM (so Excel shows Hindi), a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    for batch in sites(sessions, scope_path=scope_path, f=f):
        writer.writerows([_csv_value(site[c]) for c in CSV_COLUMNS] for site in batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def _feature(site: dict[str, Any]) -> str:
    properties = {c: site[c] for c in CSV_COLUMNS if c not in ("lat", "lon")}
    feature = {
        "type": "Feature",
        "id": site["id"],
        "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
        "properties": properties,
    }
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


def geojson_chunks(
    sessions: Sessions, *, scope_path: str, f: service.SiteFilter
) -> Iterator[bytes]:
    """The sites as a GeoJSON FeatureCollection of Points (owner fields masked)."""
    yield b'{"type":"FeatureCollection","features":['
    comma = ""
    for batch in sites(sessions, scope_path=scope_path, f=f):
        yield (comma + ",".join(_feature(site) for site in batch)).encode()
        comma = ","
    yield b"]}\n"


def record_export(
    session: Session, *, actor: audit.Actor, fmt: str, scope_path: str, f: service.SiteFilter
) -> None:
    """Audit one export: who took which part of the registry, in what format."""
    filters = {key: value for key, value in asdict(f).items() if value is not None}
    audit.record(
        session,
        actor=actor,
        action="site.export",
        object_type="site",
        object_id="*",
        detail={"format": fmt, "scope": scope_path, "filters": filters},
    )
