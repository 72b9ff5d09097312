"""What the analytics saw on one station camera at one moment: the confirmed people with
their zones and dwell, the room's sound, and the camera-health picture verdict. The rules
(analytics/rules.py) turn a camera's observations into events; nothing here is stored."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PersonSeen:
    """One confirmed track in this frame."""

    track_id: int
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the source frame's pixels
    zones: tuple[str, ...] = ()  # the zones that hold the box's bottom-centre
    dwell_s: Mapping[str, float] = field(default_factory=dict)  # continuous time in each
    phone: bool = False  # a cell phone's box lies mostly within this person's


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A person the detector is sure of in this frame whose track is not yet confirmed."""

    box: tuple[float, float, float, float]
    zones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sound:
    """The room's sound over the last window."""

    speech: bool  # voice activity in the window
    level_db: float  # dBFS of the window
    baseline_db: float | None = None  # the room's rolling speech level (None until learned)


@dataclass(frozen=True, slots=True)
class Observation:
    camera_id: int
    at: datetime  # UTC
    people: tuple[PersonSeen, ...] = ()  # confirmed tracks only
    sound: Sound | None = None
    picture_reason: str = ""  # a camera-health picture verdict ("covered", "moved", ...) or ""
    newcomers: tuple[Newcomer, ...] = ()  # sure detections, tracks not yet confirmed

    def count(self, zone: str | None = None) -> int:
        """How many people are here now (in `zone`, or anywhere): the confirmed ones and
        the newcomers, so that a count does not lag a second behind each arrival."""
        if zone is None:
            return len(self.people) + len(self.newcomers)
        return self.count_in((zone,))

    def count_in(self, zones: Collection[str]) -> int:
        """How many people stand in any of these zones (each counted once)."""
        names = set(zones)
        confirmed = sum(1 for p in self.people if not names.isdisjoint(p.zones))
        return confirmed + sum(1 for n in self.newcomers if not names.isdisjoint(n.zones))
