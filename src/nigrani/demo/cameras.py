"""The demo camera registry for Kanpur (DEMO DATA): the seed's linked-camera table exactly,
sites in the planned categories, and a few hundred citizen registrations, spread over the
demo stations. Names and mobile numbers are synthetic and look it ("Demo Owner 042",
+91 90000 00042); every point lies inside its station's synthetic cell.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras import bulk, importer, owners
from nigrani.cameras.categories import SEED_LINKED
from nigrani.cameras.models import Site
from nigrani.cameras.schemas import FACINGS
from nigrani.cameras.service import CONSENT_VERSION
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow

SEED = 2026
PREFIX = "DEMO-"
CITIZEN_SITES = 300
PLANNED_SITES = {"hotel": 25, "medical_store": 30, "liquor_shop": 15, "commercial": 20, "road": 30}
# Linked cameras per site, lowest and highest, by category (others: 1 to 3).
PER_SITE = {
    "smart_city": (3, 8), "bank_atm": (2, 4), "industry": (2, 6), "automobile": (2, 4),
    "bus_stand": (2, 6), "petrol_pump": (2, 4), "nagar_nigam": (1, 4),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cell:
    """A demo station and its area."""

    station: JurisdictionNode
    area: Any  # the station's prepared shapely polygon


@dataclass(frozen=True, slots=True)
class _Spec:
    category: str
    linked: int
    cameras: int
    citizen: bool = False


def station_cells(session: Session) -> list[Cell]:
    """Every demo station with its area, by code."""
    stmt = (
        select(JurisdictionNode)
        .where(JurisdictionNode.level == Level.STATION, JurisdictionNode.is_demo.is_(True))
        .where(JurisdictionNode.boundary.is_not(None))
        .order_by(JurisdictionNode.code)
    )
    cells = []
    for node in session.scalars(stmt):
        area = shape(json.loads(node.boundary or "null"))
        shapely.prepare(area)
        cells.append(Cell(node, area))
    return cells


def point_in(cell: Cell, rng: random.Random) -> tuple[float, float]:
    """A random (lat, lon), 6 decimals, inside the station's area."""
    west, south, east, north = cell.area.bounds
    while True:
        lon, lat = round(rng.uniform(west, east), 6), round(rng.uniform(south, north), 6)
        if shapely.contains_xy(cell.area, lon, lat):
            return lat, lon


def _specs(rng: random.Random) -> list[_Spec]:
    """Linked sites summing to the seed's table exactly, then planned and citizen sites."""
    specs = []
    for code, total in SEED_LINKED.items():
        low, high = PER_SITE.get(code, (1, 3))
        while total:
            linked = min(total, rng.randint(low, high))
            specs.append(_Spec(code, linked, linked + rng.choice((0, 0, 0, 1, 2))))
            total -= linked
    for code, count in PLANNED_SITES.items():
        specs += [_Spec(code, 0, rng.randint(1, 4)) for _ in range(count)]
    kinds = ("residence",) * 4 + ("shop",)
    specs += [_Spec(rng.choice(kinds), 0, rng.randint(1, 4), True) for _ in range(CITIZEN_SITES)]
    return specs


def _owner(scratch: Site, settings: Settings, n: int, citizen: bool) -> dict[str, Any]:
    """A synthetic, obviously fake owner with a valid-format Indian mobile number."""
    if citizen:
        name, mobile = f"Demo Owner {n:03d}", f"+91900000{n:04d}"
    else:
        name, mobile = f"Demo Proprietor {n:03d}", f"+91900010{n:04d}"
    owners.set_owner(scratch, settings=settings, name=name, mobile=mobile)
    return {key: getattr(scratch, key) for key in bulk.OWNER_COLUMNS}


def _row(spec: _Spec, n: int, cell: Cell, rng: random.Random, now: datetime) -> dict[str, Any]:
    lat, lon = point_in(cell, rng)
    station = cell.station
    what = "Demo home" if spec.citizen else f"Demo {spec.category.replace('_', ' ')}"
    return {
        "external_id": f"{PREFIX}{n:05d}", "name": f"{what} {n} — {station.name_en}",
        "address": f"Demo address {n}, {station.name_en}, Kanpur", "lat": lat, "lon": lon,
        "station_id": station.id, "node_path": station.path, "category_code": spec.category,
        "camera_count": spec.cameras, "source": "citizen" if spec.citizen else "import",
        "status": "active", "owner_user_id": None,
        "facing": rng.choice(FACINGS[:-1]) if spec.citizen else "",
        "retention_days": rng.choice((7, 15, 30, 30, 60)) if spec.citizen else 30,
        "consent_version": CONSENT_VERSION if spec.citizen else None,
        "consent_at": now if spec.citizen else None,
        "keep_point_on_withdrawal": spec.citizen and rng.random() < 0.5,
        "created_at": now, "updated_at": now, "withdrawn_at": None,
    }  # fmt: skip


def _rows(
    session: Session, settings: Settings, cells: list[Cell]
) -> list[tuple[_Spec, dict[str, Any]]]:
    rng, now, scratch = random.Random(SEED), utcnow(), Site()  # noqa: S311 (demo data, repeatable)
    public = importer.public_by_default(session)
    rows = []
    for n, spec in enumerate(_specs(rng), start=1):
        row = _row(spec, n, rng.choice(cells), rng, now)
        row["is_public"] = public[spec.category] and not spec.citizen
        private = spec.citizen or not row["is_public"]
        row |= (
            _owner(scratch, settings, n, spec.citizen)
            if private
            else dict.fromkeys(bulk.OWNER_COLUMNS)
        )
        rows.append((spec, row))
    return rows


def seed_cameras(session: Session, settings: Settings) -> int:
    """Load the demo registry once (bulk inserts, a second or so); returns the sites added."""
    seeded = select(Site.id).where(Site.external_id.startswith(PREFIX)).limit(1)
    cells = station_cells(session)
    if not cells or session.scalar(seeded) is not None:
        return 0
    rows = _rows(session, settings, cells)
    ids = bulk.insert_sites(session, rows=[row for _, row in rows])
    counts = {ids[row["external_id"]]: spec.linked for spec, row in rows if spec.linked}
    linked = bulk.add_linked_cameras(session, counts=counts)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="demo.seed_cameras",
        object_type="site",
        object_id=PREFIX,
        detail={"sites": len(rows), "linked": linked},
    )
    return len(rows)
