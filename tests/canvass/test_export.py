"""The court bundle of an incident through HTTP: hashes re-verified, custody, jurisdiction."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.canvass.models import Incident
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.evidence import store
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.canvass.factories import make_incident


def _evidence(db: Session, settings: Settings, incident: Incident, data: bytes) -> EvidenceItem:
    return store.receive(
        db,
        settings=settings,
        stream=io.BytesIO(data),
        original_name="gate.avi",
        media_type="video/avi",
        kind="footage",
        actor=audit.Actor(None, "owner (link)"),
        incident_id=incident.id,
        node_path=incident.node_path,
    )


def _export(client: TestClient, incident: Incident):  # type: ignore[no-untyped-def]
    token = csrf_from(client, f"/incidents/{incident.id}")
    return client.post(
        f"/incidents/{incident.id}/export",
        data={"reason": "Charge sheet, court of CJM Kanpur Nagar", "csrf_token": token},
        follow_redirects=False,
    )


def test_export_downloads_a_bundle_whose_hashes_match(
    client: TestClient, db: Session, settings: Settings, vtest: Path
) -> None:
    make_tree(db)
    io_user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    incident = make_incident(db, io_user)
    data = vtest.read_bytes()
    item = _evidence(db, settings, incident, data)
    login(client, io_user.username or "")

    reply = _export(client, incident)
    assert reply.status_code == 303, reply.text
    location = reply.headers["location"]
    assert location.startswith(f"/incidents/{incident.id}/exports/evidence-")
    download = client.get(location)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")

    archive = zipfile.ZipFile(io.BytesIO(download.content))
    manifest = json.loads(archive.read("manifest.json"))
    sha = hashlib.sha256(data).hexdigest()
    assert [f["sha256"] for f in manifest["files"]] == [sha]
    member = next(n for n in archive.namelist() if n.startswith("files/"))
    assert hashlib.sha256(archive.read(member)).hexdigest() == sha
    assert f"{sha}  {member}" in archive.read("SHA256SUMS").decode()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(archive.read("certificate-en.pdf"))).pages
    )
    assert sha in text.replace("\n", "")
    assert incident.number in text
    actions = db.scalars(select(CustodyEvent.action).where(CustodyEvent.item_id == item.id)).all()
    assert actions == ["received", "verified", "exported", "copied"]
    assert location.rsplit("/", 1)[1] in client.get(f"/incidents/{incident.id}").text


def test_a_changed_file_stops_the_export_and_the_check_is_kept(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io_user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    incident = make_incident(db, io_user)
    item = _evidence(db, settings, incident, b"RIFF" + os.urandom(4000))
    path = store.blob_path(settings, item.sha256)
    path.chmod(0o640)
    path.write_bytes(b"RIFF" + os.urandom(4000))
    login(client, io_user.username or "")

    reply = _export(client, incident)

    assert reply.status_code == 409
    assert not list(settings.media_path.joinpath("exports").glob(f"*{incident.number.lower()}*"))
    checks = db.scalars(select(CustodyEvent.detail).where(CustodyEvent.action == "verified")).all()
    assert any('"ok": false' in c for c in checks)


def test_another_zone_cannot_download_evidence_or_bundles(
    client: TestClient, db: Session, settings: Settings, vtest: Path
) -> None:
    make_tree(db)
    io_user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    outsider = make_staff(db, Role.SHO, "S3")
    incident = make_incident(db, io_user)
    item = _evidence(db, settings, incident, vtest.read_bytes()[:50000])
    login(client, io_user.username or "")
    location = _export(client, incident).headers["location"]

    client.cookies.clear()
    login(client, outsider.username or "")
    assert client.get(f"/evidence/{item.id}/download").status_code == 404
    assert client.get(location).status_code == 404
    assert _export(client, incident).status_code == 404
    actions = db.scalars(select(CustodyEvent.action).where(CustodyEvent.item_id == item.id)).all()
    assert "copied" not in actions
