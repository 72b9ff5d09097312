"""Migration 0012 describes the devices of items that came before it, from the registries, the
way the export used to look them up: a registry camera, else the clip's station camera."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.models import Camera
from nigrani.cameras.schemas import CameraIn
from nigrani.canvass import uploads
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine
from nigrani.core.migrate import alembic_config, upgrade
from nigrani.evidence import device, store
from nigrani.evidence.models import EvidenceItem
from nigrani.stations import clips, holds
from nigrani.stations.models import StationCamera
from tests.accounts.factories import make_tree
from tests.cameras.factories import make_site
from tests.conftest import fresh_database_url, make_settings
from tests.stations.station_fixtures import make_camera

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _receive(db: Session, settings: Settings, kind: str, camera_id: int | None = None) -> int:
    item = store.receive(
        db, settings=settings, stream=io.BytesIO(kind.encode() * 100), original_name=f"{kind}.mp4",
        media_type="video/mp4", kind=kind, actor=audit.SYSTEM, source_camera_id=camera_id,
    )  # fmt: skip
    return item.id


def _items_before_0012(db: Session, settings: Settings) -> dict[str, int]:
    """Items as they were before devices were kept: none has one."""
    make_tree(db)
    gate = make_site(db, settings, cameras=[CameraIn(label="gate", make="Hikvision")]).cameras[0]
    lockup = make_camera(db, settings, name="Lock-up 2", role="lockup")
    ids = {
        "registry": _receive(db, settings, "footage", gate.id),
        "station": _receive(db, settings, "clip"),
        "attachment": _receive(db, settings, "attachment"),
    }
    holds.place_hold(
        db, actor=audit.SYSTEM, camera=lockup, start=T0, end=T0 + timedelta(minutes=1),
        reason="clip for the court", kind="evidence", evidence_item_id=ids["station"],
    )  # fmt: skip
    assert all(db.get_one(EvidenceItem, i).device_json is None for i in ids.values())
    return ids | {"gate": gate.id, "lockup": lockup.id}


def test_backfill_from_the_registries(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        engine = make_engine(url)
        with Session(engine) as db:
            ids = _items_before_0012(db, settings)
            db.commit()
        command.downgrade(alembic_config(settings), "0011")
        before = datetime.now(UTC)
        upgrade(settings)
        with Session(engine) as db:
            items = {key: db.get_one(EvidenceItem, ids[key]) for key in ("registry", "station")}
            gate = db.get_one(Camera, ids["gate"])
            lockup = db.get_one(StationCamera, ids["lockup"])
            station = db.get_one(JurisdictionNode, lockup.station_id)
            # The migration's frozen copy describes a device as the arrivals now do.
            assert device.load(items["registry"].device_json) == uploads.device_of(gate)
            assert device.load(items["station"].device_json) == clips.device_of(station, lockup)
            for item in items.values():
                assert item.device_recorded_at is not None and item.device_recorded_at >= before
            assert db.get_one(EvidenceItem, ids["attachment"]).device_json is None
        engine.dispose()
