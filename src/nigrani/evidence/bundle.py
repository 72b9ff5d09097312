"""Export bundles for the court: the files, a manifest, SHA256SUMS, the custody log, certificates.

Every file is re-hashed first and one missing or altered file refuses the whole export.
Bundles live at `<media>/exports/<name>`; each is written to a temporary file and renamed,
so a half-written bundle never carries a bundle's name.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.cameras import sheets
from nigrani.cameras.models import Camera
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import to_ist
from nigrani.evidence import certificate, store
from nigrani.evidence.certificate import CaseInfo, CertificateData, CertifiedItem, Device
from nigrani.evidence.models import CustodyEvent, EvidenceItem

FORMAT = "nigrani-evidence-bundle/1"
NOT_STATED = "not stated"
BUNDLE_NAME = re.compile(r"evidence-[A-Za-z0-9-]{1,80}\.zip")
NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")
NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
SAFE_NAME_LENGTH = 100
CUSTODY_COLUMNS = (
    "item_id", "entry", "event_id", "at_utc", "at_ist", "actor_id", "actor", "action", "detail",
)  # fmt: skip
ZIP64_FROM = 2**31 - 1
EXPORTED = "evidence.bundle_exported"


@dataclass(frozen=True, slots=True)
class ExportedBundle:
    """A written bundle: where it is, its file name, its SHA-256 and size."""

    path: Path
    name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class _Export:
    """What one export is: the bundle's name, the case, who exports it, why and when."""

    name: str
    case: CaseInfo
    actor: audit.Actor
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class _Entry:
    """One item as it goes into the bundle: its path inside the ZIP and its source device."""

    item: EvidenceItem
    name: str
    device: Device | None


def exports_root(settings: Settings) -> Path:
    """The folder that holds every exported bundle."""
    return settings.media_path / "exports"


def bundle_path(settings: Settings, name: str) -> Path:
    """The file of an exported bundle; names that are not a bundle's (paths, dots) are refused."""
    if not BUNDLE_NAME.fullmatch(name):
        raise ValidationFailed("not the name of an evidence bundle", field="name")
    path = exports_root(settings) / name
    if not path.is_file():
        raise NotFound("evidence bundle not found")
    return path


def open_bundle(
    session: Session,
    *,
    settings: Settings,
    name: str,
    actor: audit.Actor,
    reason: str | None = None,
) -> Path:
    """An exported bundle, for download; every item in it gains "copied" in its custody."""
    path = bundle_path(settings, name)
    rows = audit.entries_for(session, object_type="evidence_bundle", object_id=name)
    exported = next((row for row in rows if row.action == EXPORTED), None)
    if exported is None:  # a file left by an export whose transaction was rolled back
        raise NotFound("evidence bundle was never recorded as exported")
    ids = json.loads(exported.detail)["items"]
    items = session.scalars(
        select(EvidenceItem).where(EvidenceItem.id.in_(ids)).order_by(EvidenceItem.id)
    )
    detail = {"bundle": name}
    for item in items:
        store.record_custody(
            session, item=item, actor=actor, action="copied", reason=reason, detail=detail
        )
    session.flush()
    return path


def export_bundle(
    session: Session,
    *,
    settings: Settings,
    items: Sequence[EvidenceItem],
    case: CaseInfo,
    actor: audit.Actor,
    reason: str,
) -> ExportedBundle:
    """Re-verify, package and record an export of evidence items for the court."""
    chosen = _selection(items, case=case, reason=reason)
    _verify(session, settings=settings, items=chosen, actor=actor)
    at = utcnow()
    export = _Export(_bundle_name(case, at), case, actor, reason, at)
    entries = [_Entry(item, _entry_name(item), _device(session, item)) for item in chosen]
    documents = {
        "manifest.json": _manifest(entries, export),
        "custody.csv": _custody_csv(session, entries, export),
        **_certificates(entries, export),
    }
    path = _write_zip(settings, export, entries, documents)
    bundle = ExportedBundle(path, export.name, store.hash_file(path), path.stat().st_size)
    _record(session, entries, export, bundle)
    return bundle


def _selection(items: Sequence[EvidenceItem], *, case: CaseInfo, reason: str) -> list[EvidenceItem]:
    if not items:
        raise ValidationFailed("choose at least one evidence item", field="items")
    if not reason.strip():
        raise ValidationFailed("a reason is required", field="reason")
    if not case.reference.strip():
        raise ValidationFailed("a case or FIR reference is required", field="reference")
    chosen = list({item.id: item for item in items}.values())
    deleted = [str(item.id) for item in chosen if item.deleted_at is not None]
    if deleted:
        raise NotFound(f"evidence items were deleted: {', '.join(deleted)}")
    return chosen


def _verify(
    session: Session, *, settings: Settings, items: Sequence[EvidenceItem], actor: audit.Actor
) -> None:
    """Re-hash every file; refuse the export, before anything is written, if one is wrong."""
    found = [
        store.verify_item(session, settings=settings, item=item, actor=actor) for item in items
    ]
    problems = [p for p in found if p is not None]
    if problems:
        listed = "; ".join(f"item {p.item_id}: {p.problem}" for p in problems)
        raise Conflict(f"export refused, stored files are missing or altered ({listed})")


def _bundle_name(case: CaseInfo, at: datetime) -> str:
    # Short enough for the audit log's object id (64); the random tail keeps two exports
    # of one case in the same second apart.
    slug = NOT_SLUG.sub("-", case.reference).strip("-")[:24].strip("-") or "case"
    return f"evidence-{slug}-{to_ist(at):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}.zip"


def _entry_name(item: EvidenceItem) -> str:
    """`files/<id>-<name>`: ASCII only, so every unzip tool and file system takes it."""
    original = PurePath(item.original_name)
    suffix = NOT_SAFE.sub("", original.suffix)[:12].rstrip(".")
    stem = NOT_SAFE.sub("_", original.stem).strip("._-")[:SAFE_NAME_LENGTH] or "file"
    return f"files/{item.id}-{stem}{suffix}"


def _device(session: Session, item: EvidenceItem) -> Device | None:
    """The source camera and its site, as the registry has them."""
    camera = session.get(Camera, item.source_camera_id) if item.source_camera_id else None
    if camera is None:
        return None
    site = camera.site
    return Device(
        label=camera.label,
        make=camera.make,
        model=camera.model,
        serial=camera.serial,
        mac=camera.mac,
        site_name=site.name,
        site_address=site.address,
        category_code=site.category_code,
        category_en=site.category.name_en,
        category_hi=site.category.name_hi,
    )


def _times(value: datetime | None) -> dict[str, str] | None:
    if value is None:
        return None
    return {"utc": value.astimezone(UTC).isoformat(), "ist": to_ist(value).isoformat()}


def _stated(value: str) -> str:
    return value or NOT_STATED


def _device_json(device: Device | None) -> dict[str, Any] | str:
    if device is None:
        return NOT_STATED
    fields = asdict(device)
    site = {k.removeprefix("site_"): _stated(fields.pop(k)) for k in ("site_name", "site_address")}
    site["category"] = _stated(fields.pop("category_code"))
    site["category_name"] = _stated(fields.pop("category_en"))
    fields.pop("category_hi")
    return {"type": "CCTV camera", **{k: _stated(v) for k, v in fields.items()}, "site": site}


def _file_json(entry: _Entry) -> dict[str, Any]:
    item = entry.item
    return {
        "item_id": item.id,
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
        "device": _device_json(entry.device),
        "delivered_by": _stated(item.delivered_by),
        "received_at": _times(item.created_at),
    }


def _manifest(entries: Sequence[_Entry], export: _Export) -> bytes:
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


def _custody_row(entry: _Entry, event: CustodyEvent) -> list[str]:
    at = event.at
    return [
        str(event.item_id),
        entry.name,
        "" if event.id is None else str(event.id),
        at.astimezone(UTC).isoformat(),
        f"{to_ist(at):%Y-%m-%d %H:%M:%S} IST",
        "" if event.actor_id is None else str(event.actor_id),
        sheets.safe_cell(event.actor_label),  # a label someone typed: never a formula
        event.action,
        event.detail,
    ]


def _custody_csv(session: Session, entries: Sequence[_Entry], export: _Export) -> bytes:
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


def _certificates(entries: Sequence[_Entry], export: _Export) -> dict[str, bytes]:
    items = [
        CertifiedItem(
            entry=entry.name,
            sha256=entry.item.sha256,
            size_bytes=entry.item.size_bytes,
            media_type=entry.item.media_type,
            received_at=entry.item.created_at,
            delivered_by=entry.item.delivered_by,
            device=entry.device,
            claimed=(entry.item.claimed_start, entry.item.claimed_end),
            probed=(entry.item.probed_start, entry.item.probed_end),
        )
        for entry in entries
    ]
    data = CertificateData(export.case, items, export.at, export.actor.label)
    return {f"certificate-{lang}.pdf": certificate.render(data, lang=lang) for lang in ("en", "hi")}


def _member(name: str, stamp: datetime, *, compress: bool) -> zipfile.ZipInfo:
    # ZIP keeps local time without a zone; IST, because the bundle is read in Indian courts.
    info = zipfile.ZipInfo(name, date_time=to_ist(stamp).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o444 << 16
    return info


def _copy(settings: Settings, archive: zipfile.ZipFile, entry: _Entry, stamp: datetime) -> str:
    """Copy one stored file into the ZIP, hashing as it goes: a change after the check is caught."""
    item, digest = entry.item, hashlib.sha256()
    info = _member(entry.name, stamp, compress=False)  # video and images are compressed already
    try:
        with (
            store.blob_path(settings, item.sha256).open("rb") as source,
            archive.open(info, "w", force_zip64=item.size_bytes >= ZIP64_FROM) as target,
        ):
            while chunk := source.read(store.CHUNK):
                digest.update(chunk)
                target.write(chunk)
    except OSError as exc:
        raise Conflict(f"export refused, item {item.id} could not be read: {exc}") from exc
    if digest.hexdigest() != item.sha256:
        raise Conflict(f"export refused, item {item.id} changed while it was being exported")
    return f"{item.sha256}  {entry.name}\n"


def _fill(
    settings: Settings,
    archive: zipfile.ZipFile,
    entries: Sequence[_Entry],
    documents: dict[str, bytes],
    stamp: datetime,
) -> None:
    sums = [_copy(settings, archive, entry, stamp) for entry in entries]
    for name, data in documents.items():
        archive.writestr(_member(name, stamp, compress=True), data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
    # The format `sha256sum -c SHA256SUMS` checks, run inside the unpacked bundle.
    archive.writestr(_member("SHA256SUMS", stamp, compress=True), "".join(sums))


def _write_zip(
    settings: Settings, export: _Export, entries: Sequence[_Entry], documents: dict[str, bytes]
) -> Path:
    root = exports_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=root, prefix=".partial-", suffix=".zip")
    try:
        with os.fdopen(fd, "w+b") as out:
            with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
                _fill(settings, archive, entries, documents, export.at)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).chmod(0o440)
        os.replace(temp, root / export.name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return root / export.name


def _record(
    session: Session, entries: Sequence[_Entry], export: _Export, bundle: ExportedBundle
) -> None:
    """Custody "exported" for each item, and one audit row for the bundle."""
    actor, reason = export.actor, export.reason
    detail = {"bundle": bundle.name, "bundle_sha256": bundle.sha256}
    for entry in entries:
        event = store.record_custody(
            session, item=entry.item, actor=actor, action="exported", reason=reason, detail=detail
        )
        event.at = export.at  # the time custody.csv inside the bundle already shows
    audit.record(
        session,
        actor=actor,
        action=EXPORTED,
        object_type="evidence_bundle",
        object_id=bundle.name,
        reason=reason,
        reference=export.case.reference[:120],
        detail={
            "sha256": bundle.sha256,
            "size_bytes": bundle.size_bytes,
            "items": [entry.item.id for entry in entries],
            "case": asdict(export.case),
        },
    )
    session.flush()
