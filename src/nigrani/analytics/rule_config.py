"""The thresholds of the station analytics' rules, validated, and how a station's and a
zone's overrides are laid over the defaults (defaults <- station <- zone).

Defaults are chosen for a police station's hall, not a shop's queue: Axis and Hikvision
queue monitors alert on "3+ people waiting > 10 s", but in a station a few complainants
sitting for some minutes is ordinary. What the Commissioner wants to catch is a crowd that
nobody is attending to (5 or more people for 10 minutes), one person left sitting (20
minutes), a desk left empty in duty hours (15 minutes), a raised voice (12 dB over the
room's speech for 3 s) and a camera covered or turned away (1 minute)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nigrani.core import validation

RuleKind = Literal[
    "crowd_waiting",
    "long_wait",
    "desk_unattended",
    "phone_in_hand",
    "raised_voice",
    "camera_tamper",
]
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
ZoneKind = Literal["waiting", "desk", "staff", "other"]
# Judged over the whole camera: a zone override for these means nothing, so it is refused.
CAMERA_WIDE: frozenset[RuleKind] = frozenset({"raised_voice", "camera_tamper"})

MAX_HOLD_S = 8 * 3600

# kind -> field -> value; what a station or a zone changes
Patch = Mapping[str, Mapping[str, Any]]


def _hold(default: float) -> Any:
    """T: how long the condition must hold, 1 s to 8 h."""
    return Field(default=default, ge=1, le=MAX_HOLD_S)


def _grace(default: float) -> Any:
    """How long the condition must be false before an event ends (a one-frame flicker
    neither ends an event nor restarts the count towards T)."""
    return Field(default=default, ge=0, le=600)


def _hhmm(default: str) -> Any:
    return Field(default=default, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class RuleConfigError(ValueError):
    """An override that does not make a valid rule; the message says where and why."""


class RuleConfig(BaseModel):
    """What every rule has: a switch, the time T its condition must hold, and the grace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    for_s: float = _hold(60.0)
    grace_s: float = _grace(10.0)


class CrowdWaiting(RuleConfig):
    """At least `min_people` confirmed people in one waiting zone for `for_s`."""

    min_people: int = Field(default=5, ge=1, le=100)
    for_s: float = _hold(600.0)
    grace_s: float = _grace(30.0)


class LongWait(RuleConfig):
    """One tracked person in a waiting zone for `for_s` (the tracker's continuous dwell)."""

    for_s: float = _hold(1200.0)
    grace_s: float = _grace(30.0)


class DeskUnattended(RuleConfig):
    """Nobody in a desk zone for `for_s` within duty hours (local time; start == end means
    round the clock; start later than end runs across midnight)."""

    for_s: float = _hold(900.0)
    grace_s: float = _grace(20.0)
    duty_start: str = _hhmm("08:00")
    duty_end: str = _hhmm("20:00")
    timezone: str = "Asia/Kolkata"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return name


class PhoneInHand(RuleConfig):
    """One person with a phone in a staff zone for `for_s`. Off by default: its precision
    on small models is unmeasured, and no public data set exists to measure it on."""

    enabled: bool = False
    for_s: float = _hold(60.0)
    grace_s: float = _grace(5.0)


class RaisedVoice(RuleConfig):
    """Speech at least `over_db` louder than the room's learned speech level for `for_s`."""

    over_db: float = Field(default=12.0, ge=3, le=40)
    for_s: float = _hold(3.0)
    grace_s: float = _grace(2.0)


class CameraTamper(RuleConfig):
    """The camera-health picture check says covered, moved, frozen ... for `for_s`."""


class Rules(BaseModel):
    """Every rule's configuration at one level (the defaults, a station, a zone)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    crowd_waiting: CrowdWaiting = CrowdWaiting()
    long_wait: LongWait = LongWait()
    desk_unattended: DeskUnattended = DeskUnattended()
    phone_in_hand: PhoneInHand = PhoneInHand()
    raised_voice: RaisedVoice = RaisedVoice()
    camera_tamper: CameraTamper = CameraTamper()

    def patched(self, patch: Patch, *, where: str = "override") -> Rules:
        """These rules with `patch` laid over them, validated (RuleConfigError says why not)."""
        data = self.model_dump()
        for kind, fields in patch.items():
            if kind not in data:
                raise RuleConfigError(f"{where}: unknown rule {kind!r}")
            data[kind] = {**data[kind], **fields}
        try:
            return Rules.model_validate(data)
        except ValidationError as exc:
            raise RuleConfigError(f"{where}: {validation.describe_all(exc.errors())}") from exc

    def of(self, kind: RuleKind) -> RuleConfig:
        rule: RuleConfig = getattr(self, kind)
        return rule


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The effective rules of one station: its own and each named zone's."""

    station: Rules = field(default_factory=Rules)
    zones: Mapping[str, Rules] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        station: Patch | None = None,
        zones: Mapping[str, Patch] | None = None,
        defaults: Rules | None = None,
    ) -> RuleSet:
        """Defaults <- the station's override <- each zone's override, validated at each step."""
        base = (defaults or Rules()).patched(station or {}, where="station")
        per_zone = {}
        for name, patch in (zones or {}).items():
            wide = sorted(CAMERA_WIDE & set(patch))
            if wide:
                raise RuleConfigError(
                    f"zone {name!r}: {', '.join(wide)} is judged over the whole camera,"
                    " not per zone"
                )
            per_zone[name] = base.patched(patch, where=f"zone {name!r}")
        return cls(station=base, zones=per_zone)

    def for_zone(self, zone: str | None) -> Rules:
        if zone is None:
            return self.station
        return self.zones.get(zone, self.station)


@dataclass(frozen=True, slots=True)
class CameraRules:
    """What the engine needs to know about one camera: its station's rules and what each of
    its zones is for (zone name -> kind)."""

    rules: RuleSet = field(default_factory=RuleSet)
    zone_kinds: Mapping[str, ZoneKind] = field(default_factory=dict)
