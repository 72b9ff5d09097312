"""The demo station CCTV: 23 stations with audio cameras, gaps for the board, added once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.core.config import Settings
from nigrani.demo.seed import seed_tree
from nigrani.demo.stations import AUDIO_STATIONS, KOTWALI, LIVE, live_mounts, seed_station_cameras
from nigrani.stations import service
from nigrani.stations.models import REQUIRED_ROLES, StationCamera


def test_23_stations_with_audio_cctv_once(db: Session, settings: Settings) -> None:
    seed_tree(db)
    added = seed_station_cameras(db, settings)
    assert seed_station_cameras(db, settings) == 0
    cameras = list(db.scalars(select(StationCamera)))
    assert len(cameras) == added
    code_of = dict(db.execute(select(JurisdictionNode.id, JurisdictionNode.code)).all())
    codes = {code_of[c.station_id] for c in cameras}
    assert codes == set(AUDIO_STATIONS) and len(codes) == 23
    roles_at = Counter(c.role for c in cameras)
    assert roles_at["reception"] == 23  # every audio station sees its front desk
    assert sum(roles_at.values()) < 23 * len(REQUIRED_ROLES)  # some roles are missing
    assert any(not c.night_vision for c in cameras) and any(not c.has_audio for c in cameras)


def test_live_cameras_point_at_the_simulators_mounts_and_urls_are_secret(
    db: Session, settings: Settings
) -> None:
    seed_tree(db)
    seed_station_cameras(db, settings)
    cameras = list(db.scalars(select(StationCamera).order_by(StationCamera.id)))
    mounts = {service.stream_urls(settings, c)[0].rsplit("/", 1)[1]: c for c in cameras}
    published = set(live_mounts())
    live = [c for m, c in mounts.items() if m in published]
    assert len(live) == len(LIVE) == len(published) // 2
    kotwali = [c for c in live if c.node_path == cameras[0].node_path]
    assert {c.role for c in kotwali} == {r for s, r in LIVE if s == KOTWALI}
    main, sub = service.stream_urls(settings, kotwali[0])
    assert main.startswith("rtsp://127.0.0.1:") and sub == main + "-sub"
    assert main not in kotwali[0].main_url_enc and kotwali[0].url_masked == main
