"""The source device is kept with each item as it arrived: a camera changed or deleted in its
registry afterwards leaves the bundle's certificate and manifest naming the original device."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras import service as camera_service
from nigrani.cameras.models import Camera, Site
from nigrani.cameras.schemas import CameraIn, SiteUpdate
from nigrani.canvass import footage, uploads
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.evidence import bundle, certificate, device, store
from nigrani.evidence.certificate import CaseInfo
from nigrani.evidence.device import Device
from nigrani.evidence.models import EvidenceItem
from nigrani.stations import clips
from nigrani.stations import service as station_service
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraUpdate
from tests.accounts.factories import make_staff
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.stations.footage import Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

CASE = CaseInfo(reference="FIR 9/2026", police_station="S1 en")
GATE = CameraIn(
    label="gate", make="Hikvision", model="DS-2CD1023G0E-I", serial="E4471", mac="bc:ad:28:12:34:56"
)
T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
SHOP = Device(
    label="gate", make="CP Plus", model="CP-UNC-TA21", serial="X1", site_name="Gupta Sweets",
    category_code="shop", category_en="Shop", category_hi="दुकान",
    controller_en="Owner of camera site #4", controller_hi="कैमरा स्थल #4 के स्वामी",
)  # fmt: skip


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("device-footage"), 4)


@pytest.fixture()
def recorded(media: Settings, tmp_path: Path) -> Settings:
    """Settings with media and recordings folders of this test's own."""
    return media.model_copy(update={"recordings_dir": tmp_path / "recordings"})


def _bundle(
    db: Session, settings: Settings, actor: audit.Actor, item: EvidenceItem
) -> dict[str, bytes]:
    exported = bundle.export_bundle(
        db, settings=settings, items=[item], case=CASE, actor=actor, reason="charge sheet"
    )
    with zipfile.ZipFile(exported.path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _owner_clip(db: Session, media: Settings, officer: audit.Actor) -> EvidenceItem:
    camera = make_site(db, media, cameras=[GATE]).cameras[0]
    return store.receive(
        db, settings=media, stream=io.BytesIO(b"\x00clip" * 4000), original_name="gate.mp4",
        media_type="video/mp4", kind="footage", actor=officer, source_camera_id=camera.id,
        device=uploads.device_of(camera),
    )  # fmt: skip


def _check_gate(members: dict[str, bytes], camera_id: int) -> None:
    [entry] = json.loads(members["manifest.json"])["files"]
    found = entry["device"]
    assert (found["label"], found["make"], found["serial"], found["mac"]) == (
        "gate", "Hikvision", "E4471", "bc:ad:28:12:34:56",
    )  # fmt: skip
    assert found["site"]["name"] == "Gupta Sweets" and found["type"] == "CCTV camera"
    assert found["controlled_by"].startswith("Owner of camera site #")
    assert found["registry"] == f"camera {camera_id}"
    assert found["recorded_at"] == entry["received_at"]
    english = _text(members["certificate-en.pdf"])
    for text in ("Hikvision", "E4471", "bc:ad:28:12:34:56", "Gupta Sweets", "gate"):
        assert text in english, text
    assert not {"Dahua", "New Name", "NEW-1"} & set(english.split())
    assert "under the control of: Owner of camera site #" in english
    assert "registry held them" not in english  # described when the file came
    assert len(PdfReader(io.BytesIO(members["certificate-hi.pdf"])).pages) >= 2


def test_registry_camera_changed_then_withdrawn_keeps_the_device_as_received(
    db: Session, media: Settings, officer: audit.Actor
) -> None:
    item = _owner_clip(db, media, officer)
    gate = db.get_one(Camera, item.source_camera_id)
    gate.label, gate.make, gate.serial, gate.mac = "renamed", "Dahua", "NEW-1", ""
    update = SiteUpdate(name="New Name")
    camera_service.update_site(db, site=gate.site, data=update, actor=audit.SYSTEM)
    _check_gate(_bundle(db, media, officer, item), gate.id)

    camera_service.withdraw(db, site=gate.site, actor=audit.SYSTEM)  # the site and its cameras go
    db.expire_all()
    assert db.get(Camera, gate.id) is None and item.source_camera_id is None
    _check_gate(_bundle(db, media, officer, item), gate.id)


def _check_reception(members: dict[str, bytes], camera: StationCamera) -> None:
    [entry] = json.loads(members["manifest.json"])["files"]
    found = entry["device"]
    assert (found["label"], found["make"], found["model"], found["serial"], found["mac"]) == (
        "Reception 1", "Hikvision", "DS-2CD1043G2", "SN123", "00:11:22:33:44:55",
    )  # fmt: skip
    assert found["site"]["name"] == "S1 en (S1)" and "Reception" in found["site"]["category_name"]
    assert found["controlled_by"] == "Police station S1 en (S1)"
    assert found["registry"] == f"station camera {camera.id}"
    english = _text(members["certificate-en.pdf"])
    for text in ("Reception 1", "Hikvision", "DS-2CD1043G2", "SN123", "00:11:22:33:44:55"):
        assert text in english, text
    assert "Front gate" not in english and "Axis" not in english
    assert "under the control of: Police station S1 en (S1)" in english
    assert len(PdfReader(io.BytesIO(members["certificate-hi.pdf"])).pages) >= 2


def test_station_clip_keeps_its_camera_after_it_is_changed_and_deleted(
    db: Session, recorded: Settings, officer: audit.Actor, template: Template
) -> None:
    camera = make_camera(db, recorded, name="Reception 1")
    add_segments(db, recorded, camera, template, T0)
    item = clips.export_clip(
        db, settings=recorded, actor=officer, camera=camera, start=T0 + timedelta(seconds=0.5),
        end=T0 + timedelta(seconds=3.5), reason="complaint of misbehaviour at the desk",
    )  # fmt: skip
    change = StationCameraUpdate(name="Front gate", role="entry_exit", make="Axis", serial="Z9")
    station_service.update_camera(
        db, settings=recorded, actor=audit.SYSTEM, camera=camera, data=change
    )
    _check_reception(_bundle(db, recorded, officer, item), camera)

    db.delete(camera)  # its segments and holds go with it
    db.flush()
    db.expire_all()
    assert clips.source_camera(db, item=item) is None
    _check_reception(_bundle(db, recorded, officer, item), camera)


def _certified(recorded_at: datetime | None, received_at: datetime) -> certificate.CertifiedItem:
    return certificate.CertifiedItem(
        entry="files/1-a.mp4", sha256="cd" * 32, size_bytes=10, media_type="video/mp4",
        received_at=received_at, device=SHOP, device_recorded_at=recorded_at,
    )  # fmt: skip


@pytest.mark.parametrize("lang", certificate.LANGUAGES)
def test_a_device_described_after_its_file_came_is_marked(lang: str) -> None:
    received = datetime(2026, 3, 9, 8, 35, tzinfo=UTC)
    later = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # a row the migration described
    items = [_certified(later, received), _certified(received, received)]
    text = _text(certificate.render(certificate.CertificateData(CASE, items, utcnow()), lang=lang))
    assert text.count("03/12/2026 06:30 IST") == 1  # the first file's line only
    assert "CP-UNC-TA21" in text and "#4" in text
    if lang == "en":
        assert "1. files/1-a.mp4" in text and "registry held them on 03/12/2026 06:30 IST" in text
        assert "No. 1 is recorded as under the control of: Owner of camera site #4" in text


def test_device_round_trip_and_unknown_keys() -> None:
    assert device.load(device.dump(SHOP)) == SHOP
    assert device.load(None) is None and device.load("") is None
    kept = json.loads(device.dump(SHOP)) | {"colour": "white"}  # a later version's key
    assert device.load(json.dumps(kept)) == SHOP
    assert device.load('{"label": "old row"}') == Device(label="old row")


def _upload(db: Session, media: Settings, site: Site, data: bytes) -> EvidenceItem:
    """An owner's answer to a footage request, through the upload service."""
    io_user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1", "io-upload")
    incident = make_incident(db, io_user)
    ask = FootageRequestCreate(site_id=site.id)
    link = footage.send_request(
        db, settings=media, incident=incident, site=site, data=ask, user=io_user
    )
    upload = uploads.create(
        db, settings=media, request=link.request, length=len(data), filename="owner.avi"
    )
    uploads.append(db, settings=media, upload=upload, offset=0, data=data)
    return uploads.finish(db, settings=media, upload=upload)


def test_an_owner_upload_keeps_the_camera_of_a_one_camera_site(
    db: Session, media: Settings, officer: audit.Actor, vtest: Path
) -> None:
    site = make_site(db, media, cameras=[GATE])
    item = _upload(db, media, site, vtest.read_bytes())
    gate = site.cameras[0]
    assert item.source_camera_id == gate.id
    assert device.load(item.device_json) == uploads.device_of(gate)
    assert item.device_recorded_at == item.created_at
    gate.make, gate.serial = "Dahua", "NEW-1"
    _check_gate(_bundle(db, media, officer, item), gate.id)
