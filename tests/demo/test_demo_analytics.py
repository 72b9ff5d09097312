"""The demo's station analytics: zones and quick rules on the analysed cameras, set once and
left alone after an officer's change, and one worker key, reused by a restarted demo."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts_service
from nigrani.accounts.models import JurisdictionNode
from nigrani.analytics import rule_settings
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.demo.analytics import KEY_FILE, PEOPLE, seed_analytics
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.demo.stations import seed_station_cameras
from nigrani.stations.models import StationCamera


def _crowd_min(db: Session, station_id: int) -> int:
    return rule_settings.rule_set(db, station_id=station_id).station.crowd_waiting.min_people


def test_the_analysed_cameras_get_zones_quick_rules_and_one_lasting_worker_key(
    db: Session, settings: Settings
) -> None:
    seed_tree(db)
    seed_users(db)
    seed_station_cameras(db, settings)
    first = seed_analytics(db, settings)
    cameras = [c for c in (db.get(StationCamera, i) for i in first.camera_ids) if c]
    assert len(cameras) == 3
    zoned = [c for c in cameras if json.loads(c.zones_json)]
    assert len(zoned) == len(PEOPLE)
    assert {z["kind"] for z in json.loads(zoned[0].zones_json)} == {"waiting", "desk"}
    station_id = zoned[0].station_id
    assert _crowd_min(db, station_id) == 3
    assert accounts_service.token_for(db, first.token).scopes == "worker"
    key = settings.var_dir / KEY_FILE
    assert key.stat().st_mode & 0o077 == 0  # the secret is the demo's owner's alone

    # An officer redraws a camera's zones and changes the station's rules; the demo restarts.
    bench = [{"name": "bench", "kind": "waiting", "points": [[0, 0], [1, 0], [1, 1]]}]
    zoned[0].zones_json = json.dumps(bench)
    station = db.get(JurisdictionNode, station_id)
    assert station is not None
    patch = {"crowd_waiting": {"min_people": 6}}
    rule_settings.save_station_rules(
        db, station=station, patch=patch, actor=audit.SYSTEM, now=utcnow()
    )
    assert seed_analytics(db, settings) == first  # the same cameras, the same key
    assert json.loads(zoned[0].zones_json) == bench and _crowd_min(db, station_id) == 6

    key.write_text("ngr_gone_nothing\n")  # another database's key: a new one is issued
    renewed = seed_analytics(db, settings)
    assert renewed.token != first.token and key.read_text().strip() == renewed.token
    assert accounts_service.token_for(db, renewed.token).name == "Demo analytics worker"
