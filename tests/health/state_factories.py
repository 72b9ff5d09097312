"""Probed cameras for the state, uptime and alert tests: registry cameras of sites in the
small test tree, and station cameras, each with its HealthTarget; and a database of a test's
own, with threads that meet at a barrier, for the tests of two workers at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from nigrani.cameras.models import Site
from nigrani.cameras.schemas import CameraIn
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker
from nigrani.core.migrate import upgrade
from nigrani.health.models import HealthTarget
from nigrani.health.state import team_for
from nigrani.stations.models import StationCamera
from tests.cameras.factories import make_site
from tests.conftest import fresh_database_url, make_settings
from tests.stations.station_fixtures import make_camera

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def site_with_cameras(
    db: Session, settings: Settings, *, n: int, category: str = "smart_city", **site: Any
) -> tuple[Site, list[HealthTarget]]:
    """A site of `n` linked cameras, each a target in the unknown state."""
    cameras = [
        CameraIn(label=f"cam {i}", linked=True, stream_url=f"rtsp://u:p@10.0.0.{i}/1")
        for i in range(1, n + 1)
    ]
    values: dict[str, Any] = {"category": category, "camera_count": n, "cameras": cameras}
    if category not in ("shop", "residence"):
        values |= {"owner_name": None, "owner_mobile": None}
    made = make_site(db, settings, **(values | site))
    targets = [target_for(db, site=made, registry_camera_id=camera.id) for camera in made.cameras]
    return made, targets


def target_for(
    db: Session,
    *,
    site: Site | None = None,
    station_camera: StationCamera | None = None,
    registry_camera_id: int | None = None,
    created_at: datetime = T0,
) -> HealthTarget:
    """The target of a registry camera of `site`, or of a station camera."""
    if station_camera is not None:
        path, category, site_id = station_camera.node_path, "station", None
    else:
        assert site is not None
        path, category, site_id = site.node_path, site.category_code, site.id
    target = HealthTarget(
        registry_camera_id=registry_camera_id,
        station_camera_id=station_camera.id if station_camera else None,
        site_id=site_id,
        node_path=path,
        category_code=category,
        team=team_for(category),
        due_at=created_at,
        created_at=created_at,
        updated_at=created_at,
    )
    db.add(target)
    db.flush()
    return target


def station_target(
    db: Session, settings: Settings, *, name: str, station: str = "S1"
) -> HealthTarget:
    """A station camera of the test tree and its target."""
    camera = make_camera(db, settings, station=station, name=name)
    return target_for(db, station_camera=camera)


def own_database(tmp_path: Path) -> Iterator[tuple[sessionmaker[Session], Settings]]:
    """A migrated database of the test's own, where transactions really run side by side."""
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        engine = make_engine(url)
        try:
            yield make_sessionmaker(engine), settings
        finally:
            engine.dispose()


def at_once(work: Callable[[threading.Barrier], None], *, n: int = 2) -> list[BaseException]:
    """Run `work` on `n` threads, each given one barrier to meet at; what they raised."""
    barrier = threading.Barrier(n, timeout=30)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work(barrier)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
