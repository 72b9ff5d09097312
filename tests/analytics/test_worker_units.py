"""The analytics worker's parts that need no stream: its leases (apart from the recorder's),
each camera's setup (zones, the station's rules, the health verdict on the picture), the
motion gate, the snapshot's size cap and the command's refusal without a key."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction
from nigrani.analytics import orphans, rule_settings
from nigrani.analytics.analyse import snapshot
from nigrani.analytics.feed import moved, small_grey
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.observe import Observation, PersonSeen
from nigrani.analytics.spool import Spool
from nigrani.analytics.worker import camera_setup
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.health.models import HealthTarget
from nigrani.stations.models import StationCamera
from nigrani.stations.recorder import leases
from tests.conftest import invoke
from tests.stations.station_fixtures import camera_with, make_camera

ANALYTICS = leases.ANALYTICS


def test_a_worker_leases_cameras_apart_from_the_recorder_and_from_other_live_workers(
    db: Session, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    past, future = utcnow() - timedelta(seconds=5), utcnow() + timedelta(minutes=5)
    recorded = camera_with(db, settings, "Recorded", leased_by="recorder", lease_until=future)
    dead = camera_with(db, settings, "Dead", analytics_leased_by="w0", analytics_lease_until=past)
    camera_with(db, settings, "Live", analytics_leased_by="w9", analytics_lease_until=future)
    db.commit()
    with transaction(sessions) as session:
        # a worker told its cameras (`nigrani worker --camera`) takes only those
        chosen = leases.take(
            session, me="w0", limit=10, scope="/", lease_s=30, exclude=[], cols=ANALYTICS,
            only=[dead.id],
        )  # fmt: skip
        assert chosen == [dead.id]
        leases.release(session, me="w0", camera_ids=chosen, cols=ANALYTICS)
    with transaction(sessions) as session:
        taken = leases.take(
            session, me="w1", limit=10, scope="/", lease_s=30, exclude=[], cols=ANALYTICS
        )
    assert sorted(taken) == sorted([recorded.id, dead.id])
    with transaction(sessions) as session:
        other = leases.take(
            session, me="w2", limit=10, scope="/", lease_s=30, exclude=[], cols=ANALYTICS
        )
        assert other == []
        held = leases.renew(session, me="w1", camera_ids=taken, lease_s=30, cols=ANALYTICS)
        leases.release(session, me="w1", camera_ids=held, cols=ANALYTICS)
        rows = session.execute(
            select(StationCamera.id, StationCamera.leased_by, StationCamera.analytics_leased_by)
        ).all()
    by_id = {row.id: row for row in rows}
    assert held == {recorded.id, dead.id}
    assert by_id[recorded.id].leased_by == "recorder"  # the recorder's lease is untouched
    assert by_id[recorded.id].analytics_leased_by is None


def _target(db: Session, camera: StationCamera, state: str, reason: str) -> None:
    db.add(
        HealthTarget(
            station_camera_id=camera.id, node_path=camera.node_path, due_at=utcnow(),
            state=state, reason=reason, created_at=utcnow(), updated_at=utcnow(),
        )
    )  # fmt: skip
    db.flush()


def test_a_camera_setup_has_its_zone_kinds_its_station_rules_and_the_picture_verdict(
    db: Session, settings: Settings
) -> None:
    zones = [{"name": "bench", "points": [(0, 0), (1, 0), (1, 1)], "kind": "waiting"}]
    covered = make_camera(db, settings, name="Covered", zones=zones)
    silent = make_camera(db, settings, name="Silent")
    offline = make_camera(db, settings, name="Offline")
    _target(db, covered, "degraded", "covered")
    _target(db, silent, "degraded", "silent")
    _target(db, offline, "offline", "unreachable")
    station = jurisdiction.get_by_code(db, "S1")
    patch = {"crowd_waiting": {"min_people": 3}}
    now = utcnow()
    rule_settings.save_station_rules(db, station=station, patch=patch, actor=audit.SYSTEM, now=now)
    setup = camera_setup(db, covered)
    assert setup.picture_reason == "covered"
    assert dict(setup.rules.zone_kinds) == {"bench": "waiting"}
    assert setup.rules.rules.station.crowd_waiting.min_people == 3
    assert camera_setup(db, silent).picture_reason == ""  # the sound, not the picture
    assert camera_setup(db, offline).picture_reason == ""  # no picture to judge


def test_the_motion_gate_sees_a_walker_and_not_sensor_noise() -> None:
    rng = np.random.default_rng(7)
    still = rng.integers(90, 110, (288, 384, 3), dtype=np.uint8)
    noisy = np.clip(still.astype(np.int16) + rng.integers(-8, 9, still.shape), 0, 255)
    walker = still.copy()
    walker[150:270, 100:140] = 20  # a dark figure, 1/24 of the picture
    before = small_grey(still)
    assert moved(before, None, 0.005)
    assert not moved(small_grey(noisy.astype(np.uint8)), before, 0.005)
    assert moved(small_grey(walker), before, 0.005)


def test_a_snapshot_is_a_jpeg_with_its_boxes_within_the_cap() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, (576, 768, 3), dtype=np.uint8)  # noise: the worst case
    obs = Observation(camera_id=1, at=utcnow(), people=(PersonSeen(4, (10, 20, 110, 300)),))
    jpeg = snapshot(image, obs, max_bytes=40_000)
    assert len(jpeg) <= 40_000 and jpeg[:2] == b"\xff\xd8"
    with Image.open(BytesIO(jpeg)) as picture:
        assert picture.format == "JPEG" and picture.width >= 96


def test_the_worker_command_refuses_to_start_without_a_key(cli_env: dict[str, str]) -> None:
    result = invoke(cli_env, "worker", "--status-every", "0")
    assert result.exit_code == 2
    assert "NIGRANI_ANALYTICS_TOKEN" in result.output


def _bodies(spool: Spool) -> list[dict[str, object]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in spool.pending()]


def test_a_restarted_spool_ends_each_event_it_holds_open_at_its_last_change(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool")
    t0 = utcnow() - timedelta(minutes=5)
    open_one, ended_one = str(uuid.uuid4()), str(uuid.uuid4())
    start = {"uuid": open_one, "camera_id": 7, "kind": "crowd_waiting", "peak": {"people": 3}}
    spool.put(start | {"started_at": t0.isoformat()})
    spool.put(start | {"started_at": t0.isoformat(), "peak": {"people": 5}})
    other = {"uuid": ended_one, "camera_id": 7, "kind": "loitering", "started_at": t0.isoformat()}
    spool.put(other)
    spool.put(other | {"ended_at": (t0 + timedelta(seconds=30)).isoformat()})
    spool.put({"uuid": str(uuid.uuid4()), "note": "not an event change"})
    last_change = max(p.stat().st_mtime for p in spool.pending()[:2])

    assert orphans.end_spooled(Spool(tmp_path / "spool")) == 1
    bodies = _bodies(spool)
    end = bodies[-1]
    assert end["uuid"] == open_one and end["kind"] == "crowd_waiting" and end["camera_id"] == 7
    assert abs(datetime_of(end["ended_at"]).timestamp() - last_change) < 1
    assert [b["uuid"] for b in bodies].count(ended_one) == 2  # its own end, nothing added
    assert orphans.end_spooled(spool) == 0  # run again: each is ended once


def datetime_of(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value)


def _open_event(db: Session, camera: StationCamera, kind: str, started: datetime) -> str:
    key = str(uuid.uuid4())
    db.add(
        AnalyticsEvent(
            uuid=key, station_camera_id=camera.id, station_id=camera.station_id,
            node_path=camera.node_path, kind=kind, started_at=started, created_at=started,
            updated_at=started,
        )
    )  # fmt: skip
    db.flush()
    return key


def test_a_camera_taken_from_a_dead_worker_has_its_open_events_ended_at_the_last_renewal(
    db: Session, settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    now = utcnow()
    until = now - timedelta(seconds=4)  # the dead worker renewed 30 s before this, then died
    dead = camera_with(db, settings, "Dead", analytics_leased_by="w0", analytics_lease_until=until)
    alive = camera_with(
        db, settings, "Alive", analytics_leased_by="w9", analytics_lease_until=now + timedelta(1)
    )
    soon = now + timedelta(seconds=20)  # this worker's name, in an earlier life, or now
    mine = camera_with(db, settings, "Mine", analytics_leased_by="w1", analytics_lease_until=soon)
    early = _open_event(db, dead, "crowd_waiting", now - timedelta(minutes=3))
    late = _open_event(db, dead, "loitering", until - timedelta(seconds=10))
    _open_event(db, alive, "crowd_waiting", now - timedelta(minutes=3))
    db.commit()
    spool = Spool(tmp_path / "spool")
    with transaction(sessions) as session:
        lost = orphans.unreturned(session, me="w1", scope="/", held=[], now=now)
        assert lost == {dead.id: until, mine.id: soon}  # not the live worker's camera
        assert orphans.unreturned(session, me="w1", scope="/", held=[mine.id], now=now) == {
            dead.id: until
        }
        ends_at = {dead.id: until}
        count = orphans.end_left_open(session, spool, lease_ends=ends_at, lease_s=30, now=now)
    assert count == 2
    ends = {b["uuid"]: datetime_of(b["ended_at"]) for b in _bodies(spool)}
    assert ends[early] == until - timedelta(seconds=30)
    assert ends[late] == until - timedelta(seconds=10)  # never before it started
