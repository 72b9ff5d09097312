"""evidence device: each item keeps its source device as described when it arrived

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 01:00:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_TYPE = nigrani.core.db.UTCDateTime(timezone=True)

# Station camera roles as they were named when this revision was written (stations/labels.py).
ROLES = {
    "entry_exit": ("Entry / exit", "प्रवेश / निकास"),
    "lockup": ("Lock-up", "हवालात"),
    "corridor": ("Corridor", "गलियारा"),
    "reception": ("Reception / front desk", "स्वागत कक्ष / फ्रंट डेस्क"),
    "sho_room": ("SHO's room", "थानाध्यक्ष कक्ष"),
    "officers_room": ("Officers' room", "अधिकारी कक्ष"),
    "outside_washroom": ("Outside washroom", "शौचालय के बाहर"),
    "other": ("Other", "अन्य"),
}

# Before this revision the certificate looked the device up at export time: items whose
# device is still in a registry get it as it is now, marked with now as its time.
REGISTRY = sa.text(
    "SELECT e.id, c.id AS camera_id, c.label, c.make, c.model, c.serial, c.mac,"
    " s.id AS site_id, s.name, s.address, s.category_code, k.name_en, k.name_hi"
    " FROM evidence_items e JOIN cameras c ON c.id = e.source_camera_id"
    " JOIN camera_sites s ON s.id = c.site_id JOIN camera_categories k ON k.code = s.category_code"
    " WHERE e.device_json IS NULL ORDER BY e.id"
)
STATION = sa.text(
    "SELECT e.id, c.id AS camera_id, c.name, c.role, c.make, c.model, c.serial, c.mac,"
    " n.code, n.name_en, n.name_hi"
    " FROM evidence_items e JOIN recording_holds h ON h.evidence_item_id = e.id"
    " JOIN station_cameras c ON c.id = h.camera_id JOIN jurisdiction_nodes n ON n.id = c.station_id"
    " WHERE e.device_json IS NULL AND h.kind = 'evidence' ORDER BY e.id, h.id"
)


def _registry_device(row: Any) -> dict[str, str]:
    return {
        "label": row.label, "make": row.make, "model": row.model, "serial": row.serial,
        "mac": row.mac, "site_name": row.name, "site_address": row.address,
        "category_code": row.category_code, "category_en": row.name_en,
        "category_hi": row.name_hi, "kind": "cctv",
        "controller_en": f"Owner of camera site #{row.site_id}",
        "controller_hi": f"कैमरा स्थल #{row.site_id} के स्वामी",
        "registry_ref": f"camera {row.camera_id}",
    }  # fmt: skip


def _station_device(row: Any) -> dict[str, str]:
    role_en, role_hi = ROLES.get(row.role, (row.role, row.role))
    return {
        "label": row.name, "make": row.make, "model": row.model, "serial": row.serial,
        "mac": row.mac, "site_name": f"{row.name_en} ({row.code})", "site_address": row.name_hi,
        "category_code": f"station_{row.role}", "category_en": f"Police station CCTV, {role_en}",
        "category_hi": f"थाना सीसीटीवी, {role_hi}", "kind": "cctv",
        "controller_en": f"Police station {row.name_en} ({row.code})",
        "controller_hi": f"थाना {row.name_hi} ({row.code})",
        "registry_ref": f"station camera {row.camera_id}",
    }  # fmt: skip


def _first_per_item(rows: Iterator[Any]) -> Iterator[Any]:
    seen: set[int] = set()
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            yield row


def _backfill() -> None:
    bind = op.get_bind()
    items = sa.table(
        "evidence_items",
        sa.column("id", sa.Integer),
        sa.column("device_json", sa.Text),
        sa.column("device_recorded_at", UTC_TYPE),
    )
    now = datetime.now(UTC)
    # The registry camera first, then the station camera: the order the export looked.
    for query, build in ((REGISTRY, _registry_device), (STATION, _station_device)):
        for row in _first_per_item(iter(bind.execute(query).all())):
            text = json.dumps(build(row), ensure_ascii=False, sort_keys=True)
            bind.execute(
                items.update()
                .where(items.c.id == row.id)
                .values(device_json=text, device_recorded_at=now)
            )


def upgrade() -> None:
    op.add_column("evidence_items", sa.Column("device_json", sa.Text(), nullable=True))
    op.add_column("evidence_items", sa.Column("device_recorded_at", UTC_TYPE, nullable=True))
    _backfill()


def downgrade() -> None:
    # Not a batch: on SQLite that copies the table, and dropping the old one is refused
    # while custody rows point at it; SQLite 3.35+ drops an unindexed column in place.
    op.drop_column("evidence_items", "device_recorded_at")
    op.drop_column("evidence_items", "device_json")
