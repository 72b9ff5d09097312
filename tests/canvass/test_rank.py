"""Field of view and retention decide the canvass order; nearest breaks ties."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras.models import Camera
from nigrani.cameras.schemas import CameraIn
from nigrani.canvass import fov, service
from nigrani.canvass.service import Footage
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from tests.accounts.factories import make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import PLACE, make_incident


def test_bearing_points_the_right_way() -> None:
    assert fov.bearing_deg(26.0, 80.0, 26.1, 80.0) == pytest.approx(0.0, abs=1e-6)
    assert fov.bearing_deg(26.0, 80.0, 26.0, 80.1) == pytest.approx(90.0, abs=0.1)
    assert fov.bearing_deg(26.0, 80.0, 25.9, 80.0) == pytest.approx(180.0, abs=1e-6)
    assert fov.bearing_deg(26.0, 80.0, 26.0, 79.9) == pytest.approx(270.0, abs=0.1)


@pytest.mark.parametrize(
    ("heading", "fov_deg", "range_m", "bearing", "distance", "expected"),
    [
        (0, 90, 50, 40, 30, fov.View.IN_VIEW),  # inside the 45° half-angle
        (0, 90, 50, 50, 30, fov.View.AWAY),  # just outside it
        (350, 40, None, 5, 80, fov.View.IN_VIEW),  # across north
        (0, 90, 20, 0, 30, fov.View.AWAY),  # beyond its range
        (None, None, None, 123, 30, fov.View.UNKNOWN),
        (180, 30, None, 0, 5, fov.View.IN_VIEW),  # a few metres away: facing does not matter
    ],
)
def test_camera_view(
    heading: float | None,
    fov_deg: float | None,
    range_m: float | None,
    bearing: float,
    distance: float,
    expected: fov.View,
) -> None:
    camera = Camera(heading_deg=heading, fov_deg=fov_deg, range_m=range_m)
    assert fov.camera_view(camera, bearing=bearing, distance_m=distance) is expected


def test_site_view_takes_the_best_camera() -> None:
    away = Camera(heading_deg=180, fov_deg=60, range_m=None)
    seeing = Camera(heading_deg=0, fov_deg=60, range_m=None)
    assert fov.site_view([away, seeing], bearing=10, distance_m=50) is fov.View.IN_VIEW
    assert fov.site_view([away], bearing=10, distance_m=50) is fov.View.AWAY
    assert fov.site_view([], bearing=10, distance_m=50) is fov.View.UNKNOWN


def test_footage_state_by_retention() -> None:
    now = utcnow()
    start = now - timedelta(days=10)
    assert service.footage_state(30, start, now) is Footage.KEPT
    assert service.footage_state(7, start, now) is Footage.GONE
    assert service.footage_state(None, start, now) is Footage.UNKNOWN


def _site(db: Session, settings: Settings, name: str, lat: float, **camera: object) -> int:
    """A site with one camera (or none) and its own owner, at a latitude on the place's meridian."""
    retention = camera.pop("retention_days", 30)
    cams = [CameraIn(label=name, **camera)] if camera else []
    site = make_site(
        db,
        settings,
        name=name,
        lat=lat,
        lon=PLACE["lon"],
        cameras=cams,
        camera_count=max(1, len(cams)),
        retention_days=retention,
        owner_mobile=f"+9198123{lat * 1e6 % 100000:05.0f}",
    )
    return site.id


def test_canvass_ranks_kept_in_view_first_and_gone_last(db: Session, settings: Settings) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    # Sites due north of the place (so the place lies due south, bearing 180°).
    facing = _site(db, settings, "facing", PLACE["lat"] + 0.0009, heading_deg=180, fov_deg=60)
    away = _site(db, settings, "away", PLACE["lat"] + 0.0003, heading_deg=0, fov_deg=60)
    unknown = _site(db, settings, "unknown", PLACE["lat"] + 0.0006)
    gone = _site(
        db, settings, "gone", PLACE["lat"] + 0.0001, heading_deg=180, fov_deg=60, retention_days=0
    )
    far = _site(db, settings, "far", PLACE["lat"] + 0.01)  # ~1.1 km, outside 300 m
    incident = make_incident(db, io)

    hits = service.canvass(db, incident=incident, radius_m=300)

    order = [h.site.id for h in hits]
    assert order == [facing, unknown, away, gone]
    assert far not in order
    by_id = {h.site.id: h for h in hits}
    assert by_id[facing].view is fov.View.IN_VIEW
    assert by_id[away].view is fov.View.AWAY
    assert by_id[gone].footage is Footage.GONE
    assert by_id[facing].distance_m == pytest.approx(100, rel=0.01)
    wider = [h.site.id for h in service.canvass(db, incident=incident, radius_m=2000)]
    assert wider == [facing, unknown, far, away, gone]
