"""The demo's camera health: a target for every camera, a month of believable history for
the registry's linked cameras (once), and a prober that leaves that history alone."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.cameras.models import Camera, Site
from nigrani.core.config import Settings
from nigrani.core.security import FieldCipher
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.health import HISTORY_DAYS, healthy_looks, prime_references, seed_health
from nigrani.demo.seed import seed_tree
from nigrani.demo.stations import seed_station_cameras
from nigrani.health import picture, targets
from nigrani.health.models import HealthOutage, HealthTarget
from nigrani.stations.models import StationCamera
from nigrani.stations.simulator_media import faulty_media, prepare_media
from tests.stations.conftest import MEDIA_DIR

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


def _seed(db: Session, settings: Settings) -> int:
    seed_tree(db)
    seed_cameras(db, settings)
    seed_station_cameras(db, settings)
    return seed_health(db, settings, now=NOW)


def _registry(db: Session) -> list[HealthTarget]:
    stmt = select(HealthTarget).where(HealthTarget.registry_camera_id.is_not(None))
    return list(db.scalars(stmt))


def test_every_camera_has_a_target_and_the_registry_a_history_once(
    db: Session, settings: Settings
) -> None:
    assert _seed(db, settings) == 1719
    assert seed_health(db, settings, now=NOW + timedelta(hours=1)) == 0
    registry = _registry(db)
    assert len(registry) == 1719 and all(t.enabled for t in registry)
    stations = db.scalar(select(func.count()).select_from(StationCamera))
    station_targets = db.scalar(
        select(func.count()).where(HealthTarget.station_camera_id.is_not(None))
    )
    assert station_targets == stations
    # The made-up history is not probed; the station cameras fall due within an interval.
    assert all(t.due_at > NOW + timedelta(days=365) for t in registry)
    due = db.scalars(select(HealthTarget.due_at).where(HealthTarget.station_camera_id > 0))
    assert all(NOW <= d <= NOW + timedelta(seconds=settings.health_socket_interval_s) for d in due)


def test_the_history_is_a_realistic_mix(db: Session, settings: Settings) -> None:
    _seed(db, settings)
    registry = _registry(db)
    states = Counter(t.state for t in registry)
    assert 0.70 < states["working"] / 1719 < 0.92, states
    assert states["offline"] > 80 and states["degraded"] > 50 and not states["unknown"]
    reasons = {t.reason for t in registry if t.state == "degraded"}
    assert {"covered", "defocused", "moved"} <= reasons
    down_days = [(NOW - t.since).days for t in registry if t.state == "offline" and t.since]
    assert max(down_days) > HISTORY_DAYS and sum(d >= 7 for d in down_days) > 20
    health = dict(db.execute(select(Camera.id, Camera.health).where(Camera.linked)).all())
    assert all(health[t.registry_camera_id or 0] == t.state for t in registry)
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    for category, state in db.execute(
        select(Site.category_code, HealthTarget.state)
        .join(Camera, Camera.id == HealthTarget.registry_camera_id)
        .join(Site, Site.id == Camera.site_id)
    ):
        by_category[category][state] += 1
    share = {c: n["working"] / sum(n.values()) for c, n in by_category.items()}
    assert share["smart_city"] > share["bank_atm"]  # the city's own cameras are kept up better


def test_outages_are_intervals_that_match_the_state(db: Session, settings: Settings) -> None:
    _seed(db, settings)
    state = {t.id: t for t in _registry(db)}
    spells = defaultdict(list)
    for outage in db.scalars(select(HealthOutage).order_by(HealthOutage.start_at)):
        spells[outage.target_id].append(outage)
    closed = [(o.start_at, o.end_at) for os in spells.values() for o in os if o.end_at]
    assert len(closed) > 1000  # outages that came and went over the month
    assert all(NOW - timedelta(days=HISTORY_DAYS) <= a < b <= NOW for a, b in closed)
    for target_id, outages in spells.items():
        for before, after in itertools.pairwise(outages):
            assert before.end_at is not None and before.end_at < after.start_at  # no overlap
        target = state[target_id]
        open_ = [o for o in outages if o.end_at is None]
        if target.state == "working":
            assert not open_ and target.since == outages[-1].end_at
        else:
            assert [(o.state, o.reason, o.start_at) for o in open_] == [
                (target.state, target.reason, target.since)
            ]
    # Power cuts: several cameras of one site went down at the same moment.
    starts = Counter(o.start_at for os in spells.values() for o in os)
    assert max(starts.values()) >= 3


def test_the_probers_sync_keeps_the_history(db: Session, settings: Settings) -> None:
    _seed(db, settings)
    before = {t.id: (t.enabled, t.due_at, t.state) for t in _registry(db)}
    targets.sync(db, NOW + timedelta(minutes=5), interval_s=settings.health_interval_s)
    db.expire_all()
    assert {t.id: (t.enabled, t.due_at, t.state) for t in _registry(db)} == before
    cipher = FieldCipher(settings.encryption_key)
    camera = db.scalars(select(Camera).where(Camera.linked)).first()
    assert camera is not None and camera.substream_url_enc
    assert cipher.decrypt(camera.substream_url_enc).startswith("rtsp://viewer:demo-")


def test_a_faulty_cameras_primed_baseline_catches_its_fault(
    db: Session, settings: Settings
) -> None:
    """Primed from the healthy footage, a camera shows its healthy self as working, and
    the moved and defocused clips (which need a baseline and a reference) as such."""
    _seed(db, settings)
    footage = prepare_media(directory=MEDIA_DIR)["sub"][0]
    camera_id = db.scalars(select(StationCamera.id).order_by(StationCamera.id)).first()
    assert camera_id is not None
    assert prime_references(db, settings, footage={camera_id: footage}, now=NOW) == 1
    assert prime_references(db, settings, footage={camera_id: footage}, now=NOW) == 0  # kept
    target = db.scalars(select(HealthTarget).where(HealthTarget.station_camera_id == camera_id))
    primed = target.one()
    assert primed.reference_day and primed.reference_night and primed.reference_set_at == NOW
    reference = picture.decode_reference((settings.media_path / primed.reference_day).read_bytes())
    baseline = json.loads(primed.baseline)
    for fault in ("", "moved", "defocused"):
        clip = faulty_media(footage, fault) if fault else footage
        frames = healthy_looks(clip, probes=2)[1]
        judged = picture.judge(
            frames, baseline=baseline, reference=reference, audio_db=None,
            expect_audio=False, night=True,
        )  # fmt: skip
        assert judged.reason == fault
