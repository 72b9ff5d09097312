"""The documents of an export bundle that describe its files: manifest.json and custody.csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit, text
from nigrani.core.i18n import to_ist
from nigrani.evidence.certificate import CaseInfo
from nigrani.evidence.device import Device
from nigrani.evidence.models import CustodyEvent, EvidenceItem

FORMAT = "nigrani-evidence-bundle/1"
NOT_STATED = "not stated"
DEVICE_TYPES = {"cctv": "CCTV camera"}
CUSTODY_COLUMNS = (
    "item_id", "entry", "event_id", "at_utc", "at_ist", "actor_id", "actor", "action", "detail",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Export:
    """What one export is: the bundle's name, the case, who exports it, why and when."""

    name: str
    case: CaseInfo
    actor: audit.Actor
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One item as it goes into the bundle: its path inside the ZIP and its source device."""

    item: EvidenceItem
    name: str
    device: Device | None


def _times(value: datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"utc": value.astimezone(UTC).isoformat(), "ist": to_ist(value).isoformat()}


def _stated(value: str) -> str:
    return value or NOT_STATED


def _device_json(device: Device | None, recorded_at: datetime | None) -> dict[str, Any] | str:
    """The device as the item kept it when it arrived (`recorded_at`), never as it is now."""
    if device is None:
        return NOT_STATED
    fields = asdict(device)
    kind = fields.pop("kind")
    site = {k.removeprefix("site_"): _stated(fields.pop(k)) for k in ("site_name", "site_address")}
    site["category"] = _stated(fields.pop("category_code"))
    site["category_name"] = _stated(fields.pop("category_en"))
    fields.pop("category_hi")
    controller, registry = fields.pop("controller_en"), fields.pop("registry_ref")
    fields.pop("controller_hi")
    return {
        "type": DEVICE_TYPES.get(kind, kind),
        **{k: _stated(v) for k, v in fields.items()},
        "site": site,
        "controlled_by": _stated(controller),
        "registry": _stated(registry),
        "recorded_at": _times(recorded_at),
    }


def _file_json(entry: Entry) -> dict[str, Any]:
    item = entry.item
    return {
        "item_id": item.id,
        "incident_id": item.incident_id,
        "entry": entry.name,
        "original_name": item.original_name,
        "size_bytes": item.size_bytes,
        "sha256": item.sha256,
        "media_type": item.media_type,
        "kind": item.kind,
        "source": _stated(item.source),
        "claimed": {"start": _times(item.claimed_start), "end": _times(item.claimed_end)},
        "probed": {"start": _times(item.probed_start), "end": _times(item.probed_end)},
        "duration_s": item.duration_s,
        "device": _device_json(entry.device, item.device_recorded_at),
        "delivered_by": _stated(item.delivered_by),
        "received_at": _times(item.created_at),
    }


def manifest_json(entries: Sequence[Entry], export: Export) -> bytes:
    """manifest.json: the case, who exported and why, and every file with its SHA-256."""
    body = {
        "format": FORMAT,
        "bundle": export.name,
        "produced_at": _times(export.at),
        "exported_by": {"id": export.actor.id, "label": export.actor.label},
        "reason": export.reason,
        "case": asdict(export.case),
        "hash_algorithm": "SHA-256",
        "files": [_file_json(entry) for entry in entries],
        "documents": ["custody.csv", "certificate-en.pdf", "certificate-hi.pdf", "SHA256SUMS"],
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"


def _custody_row(entry: Entry, event: CustodyEvent) -> list[str]:
    at = event.at
    return [
        str(event.item_id),
        entry.name,
        "" if event.id is None else str(event.id),
        at.astimezone(UTC).isoformat(),
        f"{to_ist(at):%Y-%m-%d %H:%M:%S} IST",
        "" if event.actor_id is None else str(event.actor_id),
        text.safe_cell(event.actor_label),  # a label someone typed: never a formula
        event.action,
        event.detail,
    ]


def custody_csv(session: Session, entries: Sequence[Entry], export: Export) -> bytes:
    """Every custody event of every item, then this export (its id comes once it is recorded)."""
    by_item: dict[int, list[CustodyEvent]] = {entry.item.id: [] for entry in entries}
    events = select(CustodyEvent).where(CustodyEvent.item_id.in_(by_item))
    for event in session.scalars(events.order_by(CustodyEvent.id)):
        by_item[event.item_id].append(event)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel shows Hindi names
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CUSTODY_COLUMNS)
    for entry in entries:
        this_export = CustodyEvent(
            item_id=entry.item.id,
            at=export.at,
            actor_id=export.actor.id,
            actor_label=export.actor.label,
            action="exported",
            detail=json.dumps({"bundle": export.name, "sha256": entry.item.sha256}, sort_keys=True),
        )
        for event in [*by_item[entry.item.id], this_export]:
            writer.writerow(_custody_row(entry, event))
    return buffer.getvalue().encode()
