"""Export bundles for the court: the files, a manifest, SHA256SUMS, the custody log, certificates.

Every file is re-hashed first and one missing or altered file refuses the whole export.
Bundles live at `<media>/exports/<name>`; each is written to a temporary file and renamed,
so a half-written bundle never carries a bundle's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import to_ist
from nigrani.evidence import certificate, device, manifest, store
from nigrani.evidence.certificate import CaseInfo, CertificateData, CertifiedItem
from nigrani.evidence.manifest import Entry, Export
from nigrani.evidence.models import EvidenceItem

BUNDLE_NAME = re.compile(r"evidence-[A-Za-z0-9-]{1,80}\.zip")
NOT_SLUG = re.compile(r"[^A-Za-z0-9]+")
NOT_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
SAFE_NAME_LENGTH = 100
ZIP64_FROM = 2**31 - 1
EXPORTED = "evidence.bundle_exported"


@dataclass(frozen=True, slots=True)
class ExportedBundle:
    """A written bundle: where it is, its file name, its SHA-256 and size."""

    path: Path
    name: str
    sha256: str
    size_bytes: int


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
    verified: Callable[[], None] | None = None,
) -> ExportedBundle:
    """Re-verify, package and record an export of evidence items for the court.

    `verified` is called once the re-verification is recorded, before the bundle is
    written: the web route commits there, so writing the ZIP holds no write transaction."""
    chosen = _selection(items, case=case, reason=reason)
    _verify(session, settings=settings, items=chosen, actor=actor)
    if verified is not None:
        verified()
    at = utcnow()
    export = Export(_bundle_name(case, at), case, actor, reason, at)
    entries = [Entry(item, _entry_name(item), device.load(item.device_json)) for item in chosen]
    documents = {
        "manifest.json": manifest.manifest_json(entries, export),
        "custody.csv": manifest.custody_csv(session, entries, export),
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
    # Every file first, then the custody records: on SQLite a transaction that reads first
    # takes the writer lock at its first write, and the hashing is the long part.
    found = [store.check_item(settings, item) for item in items]
    for item, problem in zip(items, found, strict=True):
        store.record_check(session, item=item, actor=actor, problem=problem)
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


def _certificates(entries: Sequence[Entry], export: Export) -> dict[str, bytes]:
    items = [
        CertifiedItem(
            entry=entry.name,
            sha256=entry.item.sha256,
            size_bytes=entry.item.size_bytes,
            media_type=entry.item.media_type,
            received_at=entry.item.created_at,
            delivered_by=entry.item.delivered_by,
            device=entry.device,
            device_recorded_at=entry.item.device_recorded_at,
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


def _copy(settings: Settings, archive: zipfile.ZipFile, entry: Entry, stamp: datetime) -> str:
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
    entries: Sequence[Entry],
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
    settings: Settings, export: Export, entries: Sequence[Entry], documents: dict[str, bytes]
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
    session: Session, entries: Sequence[Entry], export: Export, bundle: ExportedBundle
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
