"""Which cameras the prober watches: one HealthTarget per linked registry camera that has
a stream address, and per enabled station camera.

`sync` makes the table match the cameras: new cameras get a target, a camera that is
unlinked, loses its stream address, is disabled or whose site is no longer active has its
target disabled (kept, with its history); one that comes back is enabled again. New and
re-enabled targets are spread evenly over the probe interval, so a city of thousands does
not fall due in the same second. Deleted cameras take their targets with them (the foreign
keys cascade).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nigrani.cameras.models import Camera, Site
from nigrani.core.security import FieldCipher
from nigrani.health.models import HealthTarget
from nigrani.health.state import team_for
from nigrani.stations.models import StationCamera

DEFAULT_INTERVAL_S: Final = 300
STATION: Final = "station"  # the category of a station camera


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a target should say about its camera."""

    registry_camera_id: int | None
    station_camera_id: int | None
    site_id: int | None
    node_path: str
    category_code: str
    team: str

    @property
    def key(self) -> tuple[str, int]:
        if self.registry_camera_id is not None:
            return ("registry", self.registry_camera_id)
        assert self.station_camera_id is not None
        return ("station", self.station_camera_id)


def _key(target: HealthTarget) -> tuple[str, int]:
    if target.registry_camera_id is not None:
        return ("registry", target.registry_camera_id)
    return ("station", target.station_camera_id or 0)


def wanted(session: Session) -> list[Wanted]:
    """Every camera that should be probed now."""
    rows: list[Wanted] = []
    registry = session.execute(
        select(Camera.id, Site.id, Site.node_path, Site.category_code)
        .join(Site, Camera.site_id == Site.id)
        .where(Camera.linked.is_(True), Camera.stream_url_enc.is_not(None))
        .where(Site.status == "active")
        .order_by(Camera.id)
    )
    for camera_id, site_id, path, category in registry:
        rows.append(Wanted(camera_id, None, site_id, path, category, team_for(category)))
    stations = session.execute(
        select(StationCamera.id, StationCamera.node_path)
        .where(StationCamera.enabled.is_(True))
        .order_by(StationCamera.id)
    )
    for camera_id, path in stations:
        rows.append(Wanted(None, camera_id, None, path, STATION, team_for(STATION)))
    return rows


def sync(session: Session, now: datetime, *, interval_s: int = DEFAULT_INTERVAL_S) -> int:
    """Create, update, enable and disable targets to match the cameras; returns how many
    rows it created or changed. New and re-enabled ones fall due evenly over interval_s."""
    existing = {_key(t): t for t in session.scalars(select(HealthTarget))}
    fresh: list[HealthTarget] = []
    changed = 0
    seen: set[tuple[str, int]] = set()
    for want in wanted(session):
        seen.add(want.key)
        target = existing.get(want.key)
        if target is None:
            target = HealthTarget(
                registry_camera_id=want.registry_camera_id,
                station_camera_id=want.station_camera_id,
                state="unknown",
                created_at=now,
                updated_at=now,
                due_at=now,
            )
            session.add(target)
            fresh.append(target)
        elif not target.enabled:
            target.enabled = True
            target.leased_by, target.lease_until = None, None
            fresh.append(target)
        values = {
            "site_id": want.site_id,
            "node_path": want.node_path,
            "category_code": want.category_code,
            "team": want.team,
            "interval_s": interval_s,
        }
        if target in fresh or any(getattr(target, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(target, name, value)
            target.updated_at = now
            changed += 1
    for index, target in enumerate(fresh):
        target.due_at = now + timedelta(seconds=interval_s * index / len(fresh))
    gone = [t.id for k, t in existing.items() if k not in seen and t.enabled]
    if gone:
        session.execute(
            update(HealthTarget)
            .where(HealthTarget.id.in_(gone))
            .values(enabled=False, leased_by=None, lease_until=None, updated_at=now)
        )
    session.flush()
    return changed + len(gone)


def stream_url(session: Session, target: HealthTarget, *, keys: str) -> tuple[str, bool] | None:
    """The address to probe (the sub-stream when there is one) in clear, and whether the
    camera should have sound; None when the camera has no address any more."""
    cipher = FieldCipher(keys)
    if target.registry_camera_id is not None:
        camera = session.get(Camera, target.registry_camera_id)
        if camera is None:
            return None
        encrypted = camera.substream_url_enc or camera.stream_url_enc
        return (cipher.decrypt(encrypted), bool(camera.audio)) if encrypted else None
    station = session.get(StationCamera, target.station_camera_id)
    if station is None:
        return None
    return cipher.decrypt(station.sub_url_enc or station.main_url_enc), station.has_audio
