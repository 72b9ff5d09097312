"""Station cameras for the retention, clip and compliance tests, on the small test tree."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import NotFound
from nigrani.stations import service
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraCreate
from tests.accounts.factories import make_tree


def make_camera(
    db: Session,
    settings: Settings,
    *,
    station: str = "S1",
    role: str = "reception",
    name: str = "Front desk",
    retention_days: int = 548,
    **fields: object,
) -> StationCamera:
    """A camera at a station of the test tree (the tree is made on first use)."""
    try:
        node = jurisdiction.get_by_code(db, station)
    except NotFound:
        node = make_tree(db)[station]
    values = {
        "station_id": node.id,
        "name": name,
        "role": role,
        "main_url": f"rtsp://user:pw@127.0.0.1:8554/{station}-{name}".replace(" ", "-"),
        "retention_days": retention_days,
        "make": "Hikvision",
        "model": "DS-2CD1043G2",
        "serial": "SN123",
        "mac": "00:11:22:33:44:55",
    } | fields
    data = StationCameraCreate.model_validate(values)
    return service.create_camera(
        db, settings=settings, actor=audit.SYSTEM, scope_path="/", data=data
    )


def camera_with(db: Session, settings: Settings, name: str, **columns: object) -> StationCamera:
    """A camera (make_camera) whose table columns are then set directly (leases, health)."""
    camera = make_camera(db, settings, name=name)
    for key, value in columns.items():
        setattr(camera, key, value)
    db.flush()
    return camera
