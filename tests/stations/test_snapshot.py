"""The snapshot as a service: a JPEG of the newest recording, audited as a view of footage;
refused (NotFound, nothing audited) before anything is recorded or when the file is gone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound
from nigrani.stations import service
from tests.stations.footage import Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

ACTOR = audit.Actor(id=None, label="sho-s1")
ACTION = "stations.snapshot.view"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("snapshot-footage"), 2)


def _rows(db: Session) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == ACTION).order_by(AuditEntry.id))
    )


def test_the_snapshot_decodes_the_newest_recording_and_audits_it(
    db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    *_, newest = add_segments(db, settings, camera, template, utcnow() - timedelta(minutes=5))
    body = service.camera_snapshot(db, settings=settings, actor=ACTOR, camera=camera)
    assert body[:2] == b"\xff\xd8" and len(body) > 500
    assert _rows(db) == []  # written at the caller's commit
    db.commit()
    [row] = _rows(db)
    assert (row.object_type, row.object_id) == ("station_camera", str(camera.id))
    assert json.loads(row.detail) == {"segment": newest.id}


def test_no_snapshot_before_a_recording_or_when_its_file_is_gone(
    db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    with pytest.raises(NotFound, match="No recording yet"):
        service.camera_snapshot(db, settings=settings, actor=ACTOR, camera=camera)
    for seg in add_segments(db, settings, camera, template, utcnow() - timedelta(minutes=1)):
        (settings.recordings_path / seg.path).unlink()
    with pytest.raises(NotFound):
        service.camera_snapshot(db, settings=settings, actor=ACTOR, camera=camera)
    db.commit()
    assert _rows(db) == []
