"""Builders for camera sites in tests (on the small tree of tests.accounts.factories)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nigrani.cameras import service
from nigrani.cameras.models import Site
from nigrani.cameras.schemas import CameraIn, SiteCreate
from nigrani.core import audit
from nigrani.core.config import Settings

OWNER_NAME = "Ramesh Kumar Gupta"
OWNER_MOBILE = "+919812345678"


def make_site(db: Session, settings: Settings, **overrides: Any) -> Site:
    """A private shop in station S1 with a named owner and two cameras, one linked."""
    values: dict[str, Any] = {
        "name": "Gupta Sweets",
        "address": "12 Mall Road",
        "lat": 26.47,
        "lon": 80.25,
        "category": "shop",
        "camera_count": 2,
        "owner_name": OWNER_NAME,
        "owner_mobile": OWNER_MOBILE,
        "retention_days": 30,
        "cameras": [
            CameraIn(
                label="gate",
                heading_deg=90,
                fov_deg=80,
                range_m=30,
                linked=True,
                stream_url="rtsp://admin:secret@10.0.0.5/1",
            ),
            CameraIn(label="counter"),
        ],
    }
    values.update(overrides)
    return service.create_site(db, settings=settings, data=SiteCreate(**values), actor=audit.SYSTEM)
