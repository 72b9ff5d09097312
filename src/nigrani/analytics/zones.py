"""Where the tracked people are on a camera: each confirmed person is placed in the
camera's zones by the bottom-centre of the box (the feet: where someone stands, not where
the head overlaps a zone drawn behind), their continuous time in each zone is kept per
track, and a cell phone whose box lies mostly within a person's marks that person as
holding one. One `Scene` per camera turns each analysed frame's detections into the
`Observation` the rules read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import shapely
from shapely.geometry.base import BaseGeometry

from nigrani.analytics.detector import Detection
from nigrani.analytics.kalman import Box
from nigrani.analytics.observe import Newcomer, Observation, PersonSeen, Sound
from nigrani.analytics.tracking import Tracked, Tracker
from nigrani.stations.schemas import Zone, ZoneKind

GRACE_S = 3.0  # a person out of a zone for less than this has not left it
PHONE_INSIDE = 0.3  # the share of a phone's box that must lie within the person's box


class ZoneMap:
    """A camera's zones as polygons in fractions of the picture; zones of one name are one."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        parts: dict[str, list[BaseGeometry]] = defaultdict(list)
        for zone in zones:
            # a shape drawn crossing itself is still the area the operator meant
            parts[zone.name].append(shapely.make_valid(shapely.Polygon(zone.points)))
        self.areas = {name: shapely.union_all(shapes) for name, shapes in parts.items()}
        for area in self.areas.values():
            shapely.prepare(area)
        self.kinds: dict[str, ZoneKind] = {zone.name: zone.kind for zone in zones}

    def holding(self, box: Box, size: tuple[int, int]) -> tuple[str, ...]:
        """The zones that hold the box's bottom-centre (on their edge counts), in a
        width × height picture."""
        width, height = size
        feet = shapely.Point((box[0] + box[2]) / 2 / width, box[3] / height)
        return tuple(name for name, area in self.areas.items() if area.covers(feet))


@dataclass(slots=True)
class _Stay:
    entered: float
    out_since: float | None = None  # the first frame that did not find the track inside


class Dwell:
    """Continuous seconds each track has spent in each zone, forgiving absences shorter than
    grace_s (a step out of the zone, a detection or two missed). Only frames count: time with
    no frame at all (the motion gate saw nothing move) is no absence."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self._stays: dict[tuple[int, str], _Stay] = {}
        self._inside: set[tuple[int, str]] = set()

    def update(self, track_id: int, zones: Sequence[str], at: float) -> dict[str, float]:
        """This track's dwell in each of the zones it is in now."""
        dwell = {}
        for zone in zones:
            key = (track_id, zone)
            stay = self._stays.get(key)
            if stay is None or (stay.out_since is not None and at - stay.out_since > self.grace_s):
                stay = self._stays[key] = _Stay(at)
            stay.out_since = None
            self._inside.add(key)
            dwell[zone] = at - stay.entered
        return dwell

    def close_frame(self, at: float) -> None:
        """After a frame's updates: the stays it did not renew are absent from now on, and
        those absent over grace_s end."""
        for key, stay in list(self._stays.items()):
            if key in self._inside:
                continue
            stay.out_since = at if stay.out_since is None else stay.out_since
            if at - stay.out_since > self.grace_s:
                del self._stays[key]
        self._inside.clear()


class Scene:
    """One camera's people, frame after frame: tracker, zones, dwell and phones."""

    def __init__(
        self,
        *,
        camera_id: int,
        zones: Sequence[Zone],
        tracker: Tracker | None = None,
        grace_s: float = GRACE_S,
    ) -> None:
        self.camera_id = camera_id
        self.zones = ZoneMap(zones)
        self.tracker = tracker or Tracker()
        self.dwell = Dwell(grace_s)

    def observe(
        self,
        detections: Sequence[Detection],
        *,
        at: datetime,
        size: tuple[int, int],
        sound: Sound | None = None,
        picture_reason: str = "",
    ) -> Observation:
        """What this frame (width × height `size`, taken `at`, UTC) shows: its confirmed
        people with their zones, dwell and phones, and the newcomers not yet confirmed."""
        seconds = _seconds(at)
        tracked = self.tracker.update(detections, seconds)
        phones = holding_phones([t.box for t in tracked], detections)
        people = []
        for track, phone in zip(tracked, phones, strict=True):
            zones = self.zones.holding(track.box, size)
            dwell = self.dwell.update(track.track_id, zones, seconds)
            people.append(_seen(track, zones, dwell, phone))
        self.dwell.close_frame(seconds)
        newcomers = tuple(
            Newcomer(box, self.zones.holding(box, size)) for box in self.tracker.newcomers(seconds)
        )
        return Observation(
            camera_id=self.camera_id,
            at=at,
            people=tuple(people),
            sound=sound,
            picture_reason=picture_reason,
            newcomers=newcomers,
        )


def holding_phones(people: Sequence[Box], detections: Sequence[Detection]) -> list[bool]:
    """Per person, whether a phone is in hand: each phone box goes to the one person whose
    box holds the largest share of it, if that share is at least PHONE_INSIDE."""
    holding = [False] * len(people)
    for phone in (d.box for d in detections if d.label == "cell_phone"):
        shares = [_inside(phone, person) for person in people]
        if shares and max(shares) >= PHONE_INSIDE:
            holding[shares.index(max(shares))] = True
    return holding


def _inside(inner: Box, outer: Box) -> float:
    """The share of `inner`'s area that lies within `outer`."""
    width = min(inner[2], outer[2]) - max(inner[0], outer[0])
    height = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return max(width, 0.0) * max(height, 0.0) / area if area > 0 else 0.0


def _seen(
    track: Tracked, zones: tuple[str, ...], dwell: dict[str, float], phone: bool
) -> PersonSeen:
    return PersonSeen(track.track_id, track.box, zones, dwell, phone)


def _seconds(at: datetime) -> float:
    """Seconds since the epoch; a naive time is read as UTC (the worker's clocks are UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
