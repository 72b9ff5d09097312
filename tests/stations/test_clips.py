"""Evidence clips from recorded footage: the exact range copied (not re-encoded) into one
MP4 with video and sound, hashed into the store, custody opened, its source held from
cleanup, gaps reported, and the station camera named in the bundle's Section 63 papers."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.evidence import bundle, store
from nigrani.evidence.certificate import CaseInfo
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from nigrani.stations import clips, retention
from nigrani.stations.models import RecordingHold, StationCamera
from tests.stations.footage import FPS, GOP, Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
ACTOR = audit.Actor(None, "io-s1")
REASON = "complaint of misbehaviour at the front desk"
GOP_S = GOP / FPS


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("clip-footage"), 4)


@pytest.fixture()
def media(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(
        update={"media_dir": tmp_path / "media", "recordings_dir": tmp_path / "recordings"}
    )


@pytest.fixture()
def camera(db: Session, media: Settings) -> StationCamera:
    return make_camera(db, media, name="Reception 1")


def _export(
    db: Session, media: Settings, camera: StationCamera, a: float, b: float
) -> EvidenceItem:
    return clips.export_clip(
        db, settings=media, actor=ACTOR, camera=camera, start=T0 + timedelta(seconds=a),
        end=T0 + timedelta(seconds=b), reason=REASON,
    )  # fmt: skip


def test_clip_of_an_exact_range(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    segments = add_segments(db, media, camera, template, T0)
    start, end = T0 + timedelta(seconds=2.5), T0 + timedelta(seconds=6.5)
    item = clips.export_clip(
        db, settings=media, actor=ACTOR, camera=camera, start=start, end=end, reason=REASON
    )
    path = store.blob_path(media, item.sha256)
    assert store.hash_file(path) == item.sha256 and item.size_bytes == path.stat().st_size
    assert (item.kind, item.media_type, item.node_path) == ("clip", "video/mp4", camera.node_path)
    assert item.original_name.startswith("S1-reception-cam") and item.original_name.endswith(".mp4")
    assert (item.claimed_start, item.claimed_end) == (start, end)
    assert item.probed_start is not None and timedelta(0) <= start - item.probed_start < timedelta(
        seconds=GOP_S
    )
    with av.open(str(path)) as clip:
        assert clip.format.name.startswith("mov,mp4")
        assert [s.type for s in clip.streams] == ["video", "audio"]
        assert clip.streams.video[0].codec_context.name == "h264"
        assert clip.streams.audio[0].codec_context.name == "aac"
        duration = (clip.duration or 0) / av.time_base
        frames = sum(1 for _ in clip.decode(video=0))
    assert 4.0 <= duration < 4.0 + GOP_S + 0.2
    assert abs((item.duration_s or 0) - duration) < 0.2 and frames >= 4 * FPS
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") < head.find(b"mdat") or b"mdat" not in head  # faststart
    [hold] = db.scalars(select(RecordingHold).where(RecordingHold.evidence_item_id == item.id))
    assert (hold.kind, hold.camera_id, hold.end_at) == ("evidence", camera.id, end)
    assert hold.start_at <= item.probed_start
    actions = db.scalars(select(CustodyEvent.action).where(CustodyEvent.item_id == item.id))
    assert list(actions) == ["received"]
    db.commit()  # audit rows are appended at the commit
    details = clips.clip_details(db, item=item)
    assert details is not None and details["gaps"] == [] and details["has_audio"] is True
    assert details["segments"] == [s.id for s in segments[1:4]]


def test_gaps_inside_the_range_are_reported(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, media, camera, template, T0, skip=(1,))  # 2 s to 4 s were not recorded
    start, end = T0 + timedelta(seconds=1), T0 + timedelta(seconds=7.5)
    with pytest.raises(clips.ShortFootage) as short:  # not without the officer's word
        clips.export_clip(db, settings=media, actor=ACTOR, camera=camera, start=start, end=end,
                          reason=REASON)  # fmt: skip
    assert (short.value.covered_s, short.value.asked_s) == (4.5, 6.5)
    assert db.scalars(select(EvidenceItem)).all() == []
    item = clips.export_clip(
        db, settings=media, actor=ACTOR, camera=camera, start=start, end=end, reason=REASON,
        accept_covered_s=4.5,
    )  # fmt: skip
    db.commit()  # audit rows are appended at the commit
    details = clips.clip_details(db, item=item)
    assert details is not None
    gaps = [(g["start"], g["end"]) for g in details["gaps"]]
    assert gaps == [
        ((T0 + timedelta(seconds=2)).isoformat(), (T0 + timedelta(seconds=4)).isoformat()),
    ]
    assert "1 gap(s)" in item.source
    with av.open(str(store.blob_path(media, item.sha256))) as clip:
        assert (clip.duration or 0) / av.time_base >= 5.9  # the hole stays a hole in time


@pytest.mark.parametrize(
    ("a", "b", "reason", "message"),
    [
        (5, 5, REASON, "end after it starts"),
        (0, 2 * 3600 + 1, REASON, "at most 2 hours"),
        (-200, -100, REASON, "no recorded footage"),
        (100, 200, REASON, "reaches only"),
        (0, 4, "too short", "at least 10"),
    ],
)
def test_refusals(
    db: Session,
    media: Settings,
    camera: StationCamera,
    template: Template,
    a: float,
    b: float,
    reason: str,
    message: str,
) -> None:
    add_segments(db, media, camera, template, T0)
    with pytest.raises(ValidationFailed, match=message):
        clips.export_clip(
            db, settings=media, actor=ACTOR, camera=camera, start=T0 + timedelta(seconds=a),
            end=T0 + timedelta(seconds=b), reason=reason,
        )  # fmt: skip


def test_unknown_incident_is_refused(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, media, camera, template, T0)
    with pytest.raises(NotFound):
        clips.export_clip(
            db, settings=media, actor=ACTOR, camera=camera, start=T0,
            end=T0 + timedelta(seconds=3), reason=REASON, incident_id=999999,
        )  # fmt: skip


def test_cleanup_keeps_what_a_clip_came_from(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    segments = add_segments(db, media, camera, template, T0)
    _export(db, media, camera, 2.5, 3.5)
    camera.retention_days = 1
    result = retention.cleanup(
        db, settings=media, now=T0 + timedelta(days=3),
        disk_usage=lambda _p: (10**12, 0, 10**12),
    )  # fmt: skip
    assert (result.expired, result.held_kept) == (3, 1)  # only the 2–4 s segment is held
    db.commit()
    assert (media.recordings_path / segments[1].path).is_file()
    assert not (media.recordings_path / segments[0].path).exists()


def test_bundle_certificate_names_the_station_camera(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, media, camera, template, T0)
    item = _export(db, media, camera, 0.5, 3.5)
    exported = bundle.export_bundle(
        db, settings=media, items=[item], case=CaseInfo("FIR 45/2026", "S1 en"),
        actor=ACTOR, reason="for the court",
    )  # fmt: skip
    with zipfile.ZipFile(exported.path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = archive.namelist()
    [entry] = manifest["files"]
    assert entry["sha256"] == item.sha256
    device = entry["device"]
    assert (device["make"], device["model"], device["serial"], device["mac"]) == (
        "Hikvision", "DS-2CD1043G2", "SN123", "00:11:22:33:44:55",
    )  # fmt: skip
    assert device["label"] == "Reception 1" and "S1" in device["site"]["name"]
    assert "Reception" in device["site"]["category_name"]
    assert {"certificate-en.pdf", "certificate-hi.pdf"} <= set(names)


def test_unreadable_footage_is_refused_and_nothing_stored(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    segments = add_segments(db, media, camera, template, T0, count=2)
    (media.recordings_path / segments[0].path).write_bytes(b"\x47" + b"not video" * 100)
    (media.recordings_path / segments[1].path).unlink()
    with pytest.raises(ValidationFailed, match=r"no picture|could not be read"):
        _export(db, media, camera, 0.5, 3.5)
    assert db.scalars(select(EvidenceItem)).all() == []
    assert db.scalars(select(RecordingHold)).all() == []


def test_a_range_that_starts_before_the_footage(
    db: Session, media: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, media, camera, template, T0, count=2)
    item = clips.export_clip(
        db, settings=media, actor=ACTOR, camera=camera, start=T0 - timedelta(seconds=3),
        end=T0 + timedelta(seconds=3), reason=REASON, accept_covered_s=3.0,
    )  # fmt: skip
    assert item.probed_start is not None and item.probed_start >= T0
    db.commit()  # audit rows are appended at the commit
    details = clips.clip_details(db, item=item)
    assert details is not None and details["gaps"][0]["seconds"] == 3.0
    assert clips.clip_details(db, item=EvidenceItem(id=-1)) is None
