"""Footage cleanup: retention per camera, holds never deleted, files only after commit,
the disk-space guard with its alerts, and `nigrani recordings cleanup`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.stations import holds, retention
from nigrani.stations.models import RecordingSegment, StationAlert, StationCamera
from tests.conftest import Freeze
from tests.stations.footage import SEGMENT_S, Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=3)


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    """Every "now" in these tests, the app's and the services', is NOW."""
    freeze(NOW)


ACTOR = audit.Actor(None, "test")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("footage"), 4)


@pytest.fixture()
def recs(settings: Settings, tmp_path: Path) -> Settings:
    """Settings with a recordings folder of this test's own."""
    return settings.model_copy(update={"recordings_dir": tmp_path / "recordings"})


@pytest.fixture()
def camera(db: Session, recs: Settings) -> StationCamera:
    return make_camera(db, recs, retention_days=1)


class FakeDisk:
    """A disk of `total` bytes holding the recordings folder and `other` bytes of anything else."""

    def __init__(self, root: Path, total: int, other: int) -> None:
        self.root, self.total, self.other = root, total, other

    def __call__(self, _path: Path) -> tuple[int, int, int]:
        used = self.other + sum(f.stat().st_size for f in self.root.rglob("*.ts"))
        return self.total, used, self.total - used


def _files(recs: Settings) -> set[str]:
    return {
        p.relative_to(recs.recordings_path).as_posix() for p in recs.recordings_path.rglob("*.ts")
    }


def _paths(db: Session, camera: StationCamera) -> list[str]:
    stmt = select(RecordingSegment.path).where(RecordingSegment.camera_id == camera.id)
    return list(db.scalars(stmt.order_by(RecordingSegment.start_at)))


def _roomy(recs: Settings) -> FakeDisk:
    return FakeDisk(recs.recordings_path, total=10**12, other=0)


def test_deletes_past_retention_and_files_after_commit(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    old = add_segments(db, recs, camera, template, OLD)
    new = add_segments(db, recs, camera, template, NOW - timedelta(hours=1), count=2)
    result = retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs))
    assert (result.expired, result.cut, result.held_kept) == (4, 0, 0)
    assert result.bytes_freed == sum(s.bytes for s in old)
    assert _paths(db, camera) == [s.path for s in new]
    assert len(_files(recs)) == 6  # rows are gone, files wait for the commit
    db.commit()
    assert _files(recs) == {s.path for s in new}
    assert not (recs.recordings_path / old[0].path).parent.exists()  # empty day folder pruned


def test_rollback_keeps_rows_and_files(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, recs, camera, template, OLD)
    db.commit()
    retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs))
    db.rollback()
    assert len(_paths(db, camera)) == 4 and len(_files(recs)) == 4


def test_footage_on_hold_is_kept_until_released(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    segs = add_segments(db, recs, camera, template, OLD)
    # Overlaps the second segment by a second, and the third wholly.
    hold = holds.place_hold(
        db, actor=ACTOR, camera=camera, start=OLD + timedelta(seconds=3),
        end=OLD + timedelta(seconds=SEGMENT_S * 3), reason="complaint 17/2026 of misbehaviour",
    )  # fmt: skip
    result = retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs))
    assert (result.expired, result.held_kept) == (2, 2)
    assert _paths(db, camera) == [segs[1].path, segs[2].path]
    db.commit()
    assert _files(recs) == {segs[1].path, segs[2].path}
    holds.release_hold(db, actor=ACTOR, hold=hold, reason="case closed by the court")
    assert retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs)).expired == 2
    db.commit()
    assert _files(recs) == set()


def test_evidence_hold_and_other_cameras_holds(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    other = make_camera(db, recs, retention_days=1, name="Lock-up 2", role="lockup")
    add_segments(db, recs, camera, template, OLD)
    add_segments(db, recs, other, template, OLD)
    holds.place_hold(
        db, actor=ACTOR, camera=other, start=OLD, end=OLD + timedelta(hours=1),
        reason="exported as evidence", kind="evidence",
    )  # fmt: skip
    result = retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs))
    assert (result.expired, result.held_kept) == (4, 4)  # one camera's hold keeps only its own
    assert _paths(db, camera) == [] and len(_paths(db, other)) == 4


def test_batches_in_their_own_transactions(
    sessions: sessionmaker[Session], recs: Settings, template: Template
) -> None:
    with sessions() as db:
        camera = make_camera(db, recs, retention_days=1)
        add_segments(db, recs, camera, template, OLD)
        db.commit()
    seen: list[tuple[str, int]] = []
    result = retention.cleanup(
        sessions, settings=recs, now=NOW, disk_usage=_roomy(recs), batch=3,
        progress=lambda phase, n: seen.append((phase, n)),
    )  # fmt: skip
    assert result.expired == 4 and seen == [("retention", 3), ("retention", 4)]
    assert _files(recs) == set()  # each batch committed, then its files removed


def _alerts(db: Session, kind: str) -> list[StationAlert]:
    return list(db.scalars(select(StationAlert).where(StationAlert.kind == kind)))


def test_low_disk_cuts_oldest_unheld_and_alerts_once(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    camera.retention_days = 548
    first = add_segments(db, recs, camera, template, OLD)
    later = add_segments(db, recs, camera, template, NOW - timedelta(hours=2))
    total = 100 * first[0].bytes
    on_disk = sum(s.bytes for s in first + later)
    # 5 % must stay free: short by a byte less than the three oldest segments.
    free = total * 5 // 100 - sum(s.bytes for s in first[:3]) + 1
    disk = FakeDisk(recs.recordings_path, total=total, other=total - on_disk - free)
    result = retention.cleanup(db, settings=recs, now=NOW, disk_usage=disk, batch=1)
    assert (result.expired, result.cut) == (0, 3)
    assert _paths(db, camera) == [s.path for s in (first[3], *later)]
    assert result.cut_stations == {camera.node_path: 2}  # 2 days 23:59:54 back
    assert result.free_percent is not None and result.free_percent >= 5
    [alert] = _alerts(db, "retention_cut")
    assert alert.node_path == camera.node_path and alert.resolved_at is None
    assert "2 days" in alert.message and json.loads(alert.data_json)["days"] == 2
    db.commit()
    disk.other += 2 * total // 100  # fills again: the next pass cuts more and refreshes the alert
    again = retention.cleanup(db, settings=recs, now=NOW + timedelta(hours=1), disk_usage=disk)
    assert again.cut >= 1
    [alert] = _alerts(db, "retention_cut")
    assert alert.updated_at == NOW + timedelta(hours=1)


def test_disk_full_of_held_footage_raises_a_critical_alert(
    db: Session, recs: Settings, camera: StationCamera, template: Template
) -> None:
    add_segments(db, recs, camera, template, OLD)
    holds.place_hold(
        db, actor=ACTOR, camera=camera, start=OLD - timedelta(days=1), end=NOW,
        reason="court order of 1 December",
    )  # fmt: skip
    full = FakeDisk(recs.recordings_path, total=10**6, other=10**6 - 10**4)
    for hour in (0, 1):
        result = retention.cleanup(
            db, settings=recs, now=NOW + timedelta(hours=hour), disk_usage=full
        )
        assert result.disk_full_held and result.deleted == 0 and result.held_kept == 4
    [alert] = _alerts(db, "disk_full_held")
    assert alert.severity == "critical" and alert.node_path == "/" and alert.resolved_at is None
    assert len(_paths(db, camera)) == 4
    result = retention.cleanup(db, settings=recs, now=NOW, disk_usage=_roomy(recs))
    assert not result.disk_full_held
    assert _alerts(db, "disk_full_held")[0].resolved_at == NOW


@pytest.mark.usefixtures("recs")
def test_hold_validation_and_audit(db: Session, camera: StationCamera) -> None:
    with pytest.raises(ValidationFailed):
        holds.place_hold(db, actor=ACTOR, camera=camera, start=NOW, end=NOW, reason="x" * 20)
    with pytest.raises(ValidationFailed):
        holds.place_hold(db, actor=ACTOR, camera=camera, start=OLD, end=NOW, reason="  too short  ")
    hold = holds.place_hold(
        db, actor=ACTOR, camera=camera, start=OLD, end=NOW, reason="FIR 12/2026"
    )
    assert holds.open_holds(db, camera_id=camera.id) == [hold]
    with pytest.raises(ValidationFailed):
        holds.release_hold(db, actor=ACTOR, hold=hold, reason="no")
    holds.release_hold(db, actor=ACTOR, hold=hold, reason="FIR closed, released")
    with pytest.raises(Conflict):
        holds.release_hold(db, actor=ACTOR, hold=hold, reason="FIR closed, released")
    assert holds.open_holds(db, camera_id=camera.id) == []
    db.commit()  # audit rows are appended at the commit
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "recording_hold",
                                        AuditEntry.object_id == str(hold.id))
    ).all()  # fmt: skip
    assert sorted(actions) == ["stations.hold.place", "stations.hold.release"]


def test_periodic_task_is_registered_and_runs(
    sessions: sessionmaker[Session], recs: Settings, template: Template
) -> None:
    from nigrani import tasks
    from nigrani.stations.tasks import cleanup_recordings

    names = [getattr(t, "__name__", "") for t in tasks.PERIODIC]
    assert "cleanup_recordings" in names
    with sessions() as db:
        camera = make_camera(db, recs, retention_days=1)
        add_segments(db, recs, camera, template, NOW - timedelta(days=3))
        db.commit()
    cleanup_recordings(sessions, recs)
    assert _files(recs) == set()
    with sessions() as db:
        assert _paths(db, camera) == []


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count(RecordingSegment.id))) or 0)


def test_cli_cleanup_prints_a_summary(cli_env: dict[str, str], template: Template) -> None:
    from nigrani.core.db import make_engine, make_sessionmaker, utcnow
    from nigrani.core.migrate import upgrade
    from tests.conftest import invoke, make_settings

    settings = make_settings(cli_env["NIGRANI_DATABASE_URL"], Path(cli_env["NIGRANI_VAR_DIR"]))
    upgrade(settings)
    engine = make_engine(settings.db_url)
    try:
        with make_sessionmaker(engine)() as db:
            camera = make_camera(db, settings, retention_days=1)
            add_segments(db, settings, camera, template, utcnow() - timedelta(days=2))
            db.commit()
            result = invoke(cli_env, "recordings", "cleanup")
            assert result.exit_code == 0, result.output
            assert "past retention, deleted" in result.output and "4" in result.output
            assert _count(db) == 0
    finally:
        engine.dispose()


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A database of the test's own, where two transactions really run side by side."""
    from nigrani.core.db import make_engine, make_sessionmaker
    from nigrani.core.migrate import upgrade
    from tests.conftest import fresh_database_url, make_settings

    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        engine = make_engine(url)
        yield settings, make_sessionmaker(engine)
        engine.dispose()


def _cleanup_into(
    done: list[retention.CleanupResult], factory: sessionmaker[Session], settings: Settings
) -> None:
    done.append(retention.cleanup(factory, settings=settings, now=NOW, disk_usage=_roomy(settings)))


def test_cleanup_never_takes_segments_an_export_is_reading(
    own_db: tuple[Settings, sessionmaker[Session]], template: Template
) -> None:
    """PostgreSQL: the export's row locks are skipped; SQLite: cleanup waits for its lock."""
    import threading
    import time

    from nigrani.core.db import transaction
    from nigrani.stations import clips

    settings, factory = own_db
    sqlite = settings.db_url.startswith("sqlite")
    with transaction(factory) as db:
        camera = make_camera(db, settings, retention_days=1)
        segments = add_segments(db, settings, camera, template, OLD)
    reader = factory()
    read = clips.covering_segments(
        reader, camera=reader.get_one(StationCamera, camera.id), start=OLD,
        end=OLD + timedelta(seconds=2 * SEGMENT_S),
    )  # fmt: skip
    assert len(read) == 2
    done: list[retention.CleanupResult] = []
    worker = threading.Thread(target=_cleanup_into, args=(done, factory, settings))
    worker.start()
    if sqlite:
        time.sleep(0.5)
        assert worker.is_alive() and not done  # waits for the export's write lock
    else:
        worker.join(10)
        assert done and done[0].expired == 2  # the two rows being read are skipped
        assert all((settings.recordings_path / s.path).is_file() for s in segments[:2])
    reader.commit()
    reader.close()
    worker.join(15)
    assert done and done[0].expired == (4 if sqlite else 2)
