"""Export bundles on real files: re-verified hashes, manifest, SHA256SUMS, custody, certificates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.cameras.models import Camera
from nigrani.cameras.schemas import CameraIn
from nigrani.canvass import uploads
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.evidence import bundle, certificate, store
from nigrani.evidence.bundle import ExportedBundle
from nigrani.evidence.certificate import CaseInfo
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from tests.cameras.factories import make_site

CASE = CaseInfo(reference="FIR 123/2026", police_station="Kotwali", court="CJM Kanpur Nagar")
GATE = CameraIn(
    label="gate", make="Hikvision", model="DS-2CD1023G0E-I", serial="E4471", mac="bc:ad:28:12:34:56"
)
CLAIMED = (datetime(2026, 3, 9, 8, 35, tzinfo=UTC), datetime(2026, 3, 9, 9, 5, tzinfo=UTC))


@pytest.fixture()
def items(db: Session, media: Settings, officer: audit.Actor) -> list[EvidenceItem]:
    """Two items: a clip from a registered camera (Hindi file name) and an owner's photo."""
    camera = make_site(db, media, cameras=[GATE]).cameras[0]
    clip = _receive(db, media, officer, os.urandom(70_000), "दुकान क्लिप.mp4", camera)
    photo = _receive(db, media, officer, os.urandom(9_000), "gate photo (1).jpg", None)
    return [clip, photo]


def _receive(
    db: Session, media: Settings, actor: audit.Actor, data: bytes, name: str, camera: Camera | None
) -> EvidenceItem:
    return store.receive(
        db,
        settings=media,
        stream=io.BytesIO(data),
        original_name=name,
        media_type="video/mp4" if name.endswith(".mp4") else "image/jpeg",
        kind="clip",
        actor=actor,
        source_camera_id=camera.id if camera else None,
        device=uploads.device_of(camera) if camera else None,
        claimed_start=CLAIMED[0],
        claimed_end=CLAIMED[1],
        delivered_by="owner by upload link",
    )


def _export(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> ExportedBundle:
    return bundle.export_bundle(
        db, settings=media, items=items, case=CASE, actor=officer, reason="charge sheet"
    )


def _members(exported: ExportedBundle) -> dict[str, bytes]:
    with zipfile.ZipFile(exported.path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _custody(db: Session, item: EvidenceItem) -> list[CustodyEvent]:
    stmt = select(CustodyEvent).where(CustodyEvent.item_id == item.id)
    return list(db.scalars(stmt.order_by(CustodyEvent.id)))


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _tamper(path: Path) -> None:
    path.chmod(0o640)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0x01
    path.write_bytes(bytes(raw))


def test_bundle_files_match_manifest_and_sha256sums(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem], tmp_path: Path
) -> None:
    exported = _export(db, media, officer, items)
    assert exported.path == media.media_path / "exports" / exported.name
    assert re.fullmatch(r"evidence-FIR-123-2026-\d{8}-\d{6}-[0-9a-f]{6}\.zip", exported.name)
    assert exported.sha256 == hashlib.sha256(exported.path.read_bytes()).hexdigest()
    assert exported.size_bytes == exported.path.stat().st_size
    members = _members(exported)
    clip, photo = items
    entries = [f"files/{clip.id}-file.mp4", f"files/{photo.id}-gate_photo_1.jpg"]
    documents = ["manifest.json", "custody.csv", "certificate-en.pdf", "certificate-hi.pdf"]
    assert sorted(members) == sorted([*entries, *documents, "SHA256SUMS"])

    manifest = json.loads(members["manifest.json"])
    sums = dict(line.split("  ")[::-1] for line in members["SHA256SUMS"].decode().splitlines())
    assert [f["entry"] for f in manifest["files"]] == entries
    for item, entry in zip(items, manifest["files"], strict=True):
        actual = hashlib.sha256(members[entry["entry"]]).hexdigest()
        assert actual == entry["sha256"] == sums[entry["entry"]] == item.sha256
        assert entry["size_bytes"] == len(members[entry["entry"]])
    assert set(sums) == set(members) - {"SHA256SUMS"}
    assert manifest["case"]["reference"] == "FIR 123/2026" and manifest["bundle"] == exported.name

    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(exported.path).extractall(unpacked)
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_manifest_names_the_device_and_times(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    manifest = json.loads(_members(_export(db, media, officer, items))["manifest.json"])
    clip, photo = manifest["files"]
    device = clip["device"]
    assert (device["make"], device["model"], device["serial"], device["mac"]) == (
        "Hikvision",
        "DS-2CD1023G0E-I",
        "E4471",
        "bc:ad:28:12:34:56",
    )
    assert device["site"]["name"] == "Gupta Sweets" and device["site"]["category"] == "shop"
    assert photo["device"] == "not stated"
    assert clip["original_name"] == "दुकान क्लिप.mp4" and clip["media_type"] == "video/mp4"
    assert clip["claimed"]["start"] == {
        "utc": "2026-03-09T08:35:00+00:00",
        "ist": "2026-03-09T14:05:00+05:30",
    }
    assert clip["probed"] == {"start": None, "end": None}
    assert clip["delivered_by"] == "owner by upload link"
    assert clip["received_at"]["ist"].endswith("+05:30")


def test_custody_log_and_records_of_the_export(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    exported = _export(db, media, officer, items)
    rows = list(csv.DictReader(io.StringIO(_members(exported)["custody.csv"].decode("utf-8-sig"))))
    for item in items:
        mine = [r for r in rows if r["item_id"] == str(item.id)]
        assert [r["action"] for r in mine] == ["received", "verified", "exported"]
        assert all(r["at_ist"].endswith(" IST") and r["at_utc"].endswith("+00:00") for r in mine)
        assert json.loads(mine[-1]["detail"])["bundle"] == exported.name

        events = _custody(db, item)
        assert [e.action for e in events] == ["received", "verified", "exported"]
        detail = json.loads(events[-1].detail)
        assert detail["bundle"] == exported.name and detail["bundle_sha256"] == exported.sha256
        assert events[-1].at.isoformat() == mine[-1]["at_utc"]
    db.commit()  # audit rows are appended at the commit
    row = audit.entries_for(db, object_type="evidence_bundle", object_id=exported.name)[0]
    assert row.action == "evidence.bundle_exported" and row.reason == "charge sheet"
    assert json.loads(row.detail)["items"] == [item.id for item in items]
    assert audit.verify(db).ok


def test_certificates_state_every_hash_and_the_device(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    members = _members(_export(db, media, officer, items))
    english = _pdf_text(members["certificate-en.pdf"])
    expected = ["SHA-256", "SHA256", "Hikvision", "DS-2CD1023G0E-I", "E4471", "bc:ad:28:12:34:56"]
    for text in [*expected, "PART A", "PART B", "FIR 123/2026", "IST", "Gupta Sweets"]:
        assert text in english, text
    hindi = members["certificate-hi.pdf"]
    assert hindi.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(hindi)).pages) >= 2
    assert re.search(rb"/FontName /[A-Z]{6}\+NotoSansDevanagari\b", hindi)
    for item in items:
        assert item.sha256 in english and item.sha256 in _pdf_text(hindi)


def test_the_hindi_certificate_names_the_station_and_sender_in_hindi() -> None:
    item = certificate.CertifiedItem(
        entry="files/1-a.mp4", sha256="ab" * 32, size_bytes=10, media_type="video/mp4",
        received_at=utcnow(), delivered_by="Owner of site #12, by link of request #3",
    )  # fmt: skip
    case = CaseInfo(reference="GD 7", police_station="Kotwali", police_station_hi="कोतवाली")
    data = certificate.CertificateData(case, [item], utcnow())
    hindi = _pdf_text(certificate.render(data, lang="hi"))
    assert "#12" in hindi and "#3" in hindi
    assert "Kotwali" not in hindi and "Owner of site" not in hindi
    english = _pdf_text(certificate.render(data, lang="en"))
    assert "Kotwali" in english and "Owner of site #12, by link of request #3" in english


def test_certificate_without_a_known_device_leaves_blanks() -> None:
    item = certificate.CertifiedItem(
        entry="files/1-a.mp4", sha256="ab" * 32, size_bytes=10, media_type="video/mp4",
        received_at=utcnow(),
    )  # fmt: skip
    data = certificate.CertificateData(CaseInfo(reference="GD 7"), [item], utcnow())
    text = _pdf_text(certificate.render(data, lang="en"))
    assert "Make & Model: ____" in text and "Device: not stated" in text and "ab" * 32 in text
    with pytest.raises(ValueError, match="language"):
        certificate.render(data, lang="fr")


def test_tampered_or_missing_file_refuses_the_export_and_writes_nothing(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    clip, photo = items
    _tamper(store.blob_path(media, photo.sha256))
    with pytest.raises(Conflict, match=f"item {photo.id}: mismatch"):
        _export(db, media, officer, items)
    store.blob_path(media, clip.sha256).unlink()
    with pytest.raises(Conflict, match=f"item {clip.id}: missing"):
        _export(db, media, officer, [clip])
    exports = media.media_path / "exports"
    assert not exports.exists() or not any(exports.iterdir())
    assert all("exported" not in [e.action for e in _custody(db, item)] for item in items)


def test_empty_selection_deleted_item_blank_reason_and_case_are_refused(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    with pytest.raises(ValidationFailed, match="at least one"):
        _export(db, media, officer, [])
    with pytest.raises(ValidationFailed, match="reason"):
        bundle.export_bundle(db, settings=media, items=items, case=CASE, actor=officer, reason=" ")
    with pytest.raises(ValidationFailed, match="reference"):
        bundle.export_bundle(
            db, settings=media, items=items, case=CaseInfo(" "), actor=officer, reason="x"
        )
    items[1].deleted_at = utcnow()
    with pytest.raises(NotFound, match=f"deleted: {items[1].id}"):
        _export(db, media, officer, items)
    assert not (media.media_path / "exports").exists()


def test_open_bundle_refuses_path_tricks_and_records_copies(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    exported = _export(db, media, officer, items)
    db.commit()  # the download comes later, in its own request
    assert bundle.bundle_path(media, exported.name) == exported.path
    tricks = ["../" + exported.name, "evidence-../../x.zip", ".partial-a.zip", "evidence-a/b.zip"]
    for name in [*tricks, str(exported.path), exported.name + "\n"]:
        with pytest.raises(ValidationFailed):
            bundle.bundle_path(media, name)
    with pytest.raises(NotFound):
        bundle.bundle_path(media, "evidence-FIR-1-20260101-000000-abcdef.zip")

    path = bundle.open_bundle(db, settings=media, name=exported.name, actor=officer)
    assert path == exported.path
    assert [e.action for e in _custody(db, items[0])][-1] == "copied"
    again = _members(_export(db, media, officer, items[:1]))
    rows = list(csv.DictReader(io.StringIO(again["custody.csv"].decode("utf-8-sig"))))
    first = next(r for r in rows if r["action"] == "exported" and r["event_id"])
    assert json.loads(first["detail"])["bundle_sha256"] == exported.sha256


def test_a_bundle_left_by_a_rolled_back_export_is_not_served(
    db: Session, media: Settings, officer: audit.Actor, items: list[EvidenceItem]
) -> None:
    db.commit()
    exported = _export(db, media, officer, items)
    db.rollback()
    with pytest.raises(NotFound, match="never recorded"):
        bundle.open_bundle(db, settings=media, name=exported.name, actor=officer)


def test_a_file_changed_after_the_check_is_caught_while_copying(
    db: Session,
    media: Settings,
    officer: audit.Actor,
    items: list[EvidenceItem],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The check and the copy are two reads: stand in for a change made between them.
    monkeypatch.setattr(store, "check_item", lambda *_a, **_k: None)
    clip, photo = items
    _tamper(store.blob_path(media, photo.sha256))
    with pytest.raises(Conflict, match=f"item {photo.id} changed while"):
        _export(db, media, officer, items)
    store.blob_path(media, clip.sha256).unlink()
    with pytest.raises(Conflict, match=f"item {clip.id} could not be read"):
        _export(db, media, officer, [clip])
    assert list((media.media_path / "exports").iterdir()) == []
