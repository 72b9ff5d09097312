"""Could a camera have seen a place? Bearing and distance against heading, angle and range."""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol


class View(StrEnum):
    """What we can say about a camera and the incident's place."""

    IN_VIEW = "in_view"
    UNKNOWN = "unknown"
    AWAY = "away"


class Lens(Protocol):
    """What a camera says about its view (a registry `Camera` or a canvass `Lens`)."""

    @property
    def heading_deg(self) -> float | None: ...
    @property
    def fov_deg(self) -> float | None: ...
    @property
    def range_m(self) -> float | None: ...


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, 0–360° clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def angle_between(a: float, b: float) -> float:
    """The smaller angle between two bearings, 0–180°."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


# A camera a few metres from the place sees it whatever it faces: the site's point is only
# as exact as a phone's GPS.
NEAR_M = 10.0


def camera_view(camera: Lens, *, bearing: float, distance_m: float) -> View:
    """Whether the place lies inside this camera's field of view, as far as we know it."""
    if camera.range_m is not None and distance_m > camera.range_m:
        return View.AWAY
    if distance_m <= NEAR_M:
        return View.IN_VIEW
    if camera.heading_deg is None or camera.fov_deg is None:
        return View.UNKNOWN
    inside = angle_between(camera.heading_deg, bearing) <= camera.fov_deg / 2
    return View.IN_VIEW if inside else View.AWAY


def site_view(cameras: Iterable[Lens], *, bearing: float, distance_m: float) -> View:
    """The best any of a site's cameras can do; no camera details means unknown."""
    views = {camera_view(c, bearing=bearing, distance_m=distance_m) for c in cameras}
    for best in (View.IN_VIEW, View.UNKNOWN):
        if best in views:
            return best
    return View.AWAY if views else View.UNKNOWN
