"""The station analytics' rules: a camera's observations in, the starts, new peaks and ends
of its events out. Pure: no database, no clock (time is each observation's `at`).

Each rule judges one subject at a time: a waiting zone (crowd_waiting, long_wait), a desk
zone (desk_unattended), one person in a staff zone (phone_in_hand) or the whole camera
(raised_voice, camera_tamper). A subject's condition must hold for the rule's `for_s`
before its event starts; the event's `started_at` is when the condition began, so
`ended_at - started_at` is the whole episode. Both ways the condition has hysteresis: it
must be false for `grace_s` before the count towards `for_s` restarts or an open event ends
(then at the first moment it was seen false), so one lost frame splits nothing. An
observation without sound tells raised_voice nothing and leaves it as it was. A stream that
goes quiet for more than `max_gap_s` ends its camera's open events at the last moment seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from nigrani.analytics.level_trace import LevelHistory, LevelTrace, TraceBuilder
from nigrani.analytics.observe import Observation
from nigrani.analytics.rule_config import (
    RULE_KINDS,
    CameraRules,
    DeskUnattended,
    RaisedVoice,
    RuleConfig,
    RuleConfigError,
    RuleKind,
    Rules,
    RuleSet,
    ZoneKind,
)

__all__ = [
    "RULE_KINDS",
    "CameraRules",
    "EventChange",
    "RuleConfig",
    "RuleConfigError",
    "RuleEngine",
    "RuleEvent",
    "RuleKind",
    "RuleSet",
    "Rules",
    "ZoneKind",
    "on_duty",
]

ChangeKind = Literal["start", "update", "end"]
Subject = tuple[RuleKind, str, int | None]  # the rule, the zone ("" for the camera), the track


class RuleEvent(BaseModel):
    """One episode of one rule on one camera, as posted to the server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: UUID
    camera_id: int
    kind: RuleKind
    started_at: datetime
    ended_at: datetime | None = None
    peak: dict[str, Any] = Field(default_factory=dict)
    trace: LevelTrace | None = None  # a raised voice's room level around it


@dataclass(frozen=True, slots=True)
class EventChange:
    change: ChangeKind
    at: datetime  # the observation it was decided at
    event: RuleEvent


@dataclass(frozen=True, slots=True)
class _Sample:
    """A subject whose condition holds in this observation."""

    cfg: RuleConfig
    values: dict[str, Any]
    hold_s: float | None = None  # None: the rule's for_s


Judge = Callable[[Observation, CameraRules], Iterator[tuple[Subject, _Sample]]]


def _zones(setup: CameraRules, kind: ZoneKind) -> list[str]:
    return sorted(name for name, k in setup.zone_kinds.items() if k == kind)


def _crowd_waiting(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    for zone in _zones(setup, "waiting"):
        cfg = setup.rules.for_zone(zone).crowd_waiting
        count = obs.count(zone)
        if cfg.enabled and count >= cfg.min_people:
            yield ("crowd_waiting", zone, None), _Sample(cfg, {"zone": zone, "max_people": count})


def _long_wait(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    for zone in _zones(setup, "waiting"):
        cfg = setup.rules.for_zone(zone).long_wait
        dwell = {p.track_id: p.dwell_s.get(zone, 0.0) for p in obs.people if zone in p.zones}
        over = {tid: s for tid, s in dwell.items() if s >= cfg.for_s}
        if cfg.enabled and over:
            people = [{"track_id": t, "dwell_s": round(s, 1)} for t, s in sorted(over.items())]
            values = {"zone": zone, "max_dwell_s": round(max(over.values()), 1), "people": people}
            # the tracker's dwell already counts the wait: the event starts when it crosses T
            yield ("long_wait", zone, None), _Sample(cfg, values, hold_s=0.0)


def on_duty(at: datetime, cfg: DeskUnattended) -> bool:
    """Whether `at` falls in the duty hours, read on the rule's local clock."""
    now = at.astimezone(ZoneInfo(cfg.timezone)).time()
    start, end = time.fromisoformat(cfg.duty_start), time.fromisoformat(cfg.duty_end)
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end  # a night duty, across midnight


def _desk_unattended(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    for zone in _zones(setup, "desk"):
        cfg = setup.rules.for_zone(zone).desk_unattended
        empty = not any(zone in p.zones for p in obs.people)
        if cfg.enabled and empty and on_duty(obs.at, cfg):
            yield ("desk_unattended", zone, None), _Sample(cfg, {"zone": zone})


def _phone_in_hand(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    for zone in _zones(setup, "staff"):
        cfg = setup.rules.for_zone(zone).phone_in_hand
        if not cfg.enabled:
            continue
        for p in obs.people:
            if p.phone and zone in p.zones:
                values = {"zone": zone, "track_id": p.track_id}
                yield ("phone_in_hand", zone, p.track_id), _Sample(cfg, values)


def _raised_voice(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    cfg, sound = setup.rules.station.raised_voice, obs.sound
    if not (cfg.enabled and sound and sound.speech and sound.baseline_db is not None):
        return
    over = sound.level_db - sound.baseline_db
    if over >= cfg.over_db:
        values = {"max_over_db": round(over, 1), "max_level_db": round(sound.level_db, 1)}
        yield ("raised_voice", "", None), _Sample(cfg, values)


def _camera_tamper(obs: Observation, setup: CameraRules) -> Iterator[tuple[Subject, _Sample]]:
    cfg = setup.rules.station.camera_tamper
    if cfg.enabled and obs.picture_reason:
        yield ("camera_tamper", "", None), _Sample(cfg, {"reasons": [obs.picture_reason]})


JUDGES: tuple[Judge, ...] = (
    _crowd_waiting,
    _long_wait,
    _desk_unattended,
    _phone_in_hand,
    _raised_voice,
    _camera_tamper,
)


def _fold(peak: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The episode's peak so far with one more sample laid in."""
    out = dict(peak)
    for key, value in values.items():
        old = out.get(key)
        if old is None:
            out[key] = value
        elif key.startswith("max_"):
            out[key] = max(old, value)
        elif key == "people":
            dwell = {p["track_id"]: p["dwell_s"] for p in old}
            for p in value:
                dwell[p["track_id"]] = max(dwell.get(p["track_id"], 0.0), p["dwell_s"])
            out[key] = [{"track_id": t, "dwell_s": s} for t, s in sorted(dwell.items())]
        elif key == "reasons":
            out[key] = sorted(set(old) | set(value))
        else:
            out[key] = value
    return out


@dataclass(slots=True)
class _Episode:
    """A subject whose condition holds (or held less than its grace ago)."""

    cfg: RuleConfig
    hold_s: float
    onset: datetime
    peak: dict[str, Any] = field(default_factory=dict)
    false_since: datetime | None = None
    event: RuleEvent | None = None
    sent_at: datetime | None = None
    trace: TraceBuilder | None = None  # a raised voice's level trace


@dataclass(slots=True)
class _Camera:
    last_at: datetime | None = None
    episodes: dict[Subject, _Episode] = field(default_factory=dict)
    history: LevelHistory = field(default_factory=LevelHistory)  # the last levels heard


def _trace(ep: _Episode) -> LevelTrace | None:
    return ep.trace.trace() if ep.trace is not None else None


class RuleEngine:
    """Turns each camera's observations, in time order, into event changes."""

    def __init__(
        self,
        configs: Mapping[int, CameraRules],
        *,
        max_gap_s: float = 30.0,
        update_every_s: float = 10.0,
    ) -> None:
        self._configs = dict(configs)
        self._cameras: dict[int, _Camera] = {}
        self.max_gap_s = max_gap_s
        self.update_every_s = update_every_s  # a growing peak is posted at most this often

    def configure(self, camera_id: int, setup: CameraRules) -> None:
        """New rules for a camera; episodes already under way keep the rules they began with."""
        self._configs[camera_id] = setup

    def feed(self, obs: Observation) -> list[EventChange]:
        """One observation in; what it starts, raises the peak of, or ends."""
        cam = self._cameras.setdefault(obs.camera_id, _Camera())
        if cam.last_at is not None and obs.at <= cam.last_at:
            return []  # late or repeated: the timeline only moves forward
        changes = []
        if cam.last_at is not None and _secs(obs.at, cam.last_at) > self.max_gap_s:
            changes += _end_all(cam, at=obs.at)
        cam.last_at = obs.at
        setup = self._configs.get(obs.camera_id, CameraRules())
        holding = {s: sample for judge in JUDGES for s, sample in judge(obs, setup)}
        unknown = {"raised_voice"} if obs.sound is None else set()
        for subject, sample in holding.items():
            changes += self._hold(obs, cam, subject, sample)
        for subject in [s for s in cam.episodes if s not in holding and s[0] not in unknown]:
            changes += self._release(obs, cam, subject)
        if obs.sound is not None:
            _hear(cam, obs.at, obs.sound.level_db)
        return changes

    def expire(self, now: datetime) -> list[EventChange]:
        """Ends the open events of every camera not seen for more than max_gap_s."""
        changes = []
        for cam in self._cameras.values():
            if cam.last_at is not None and _secs(now, cam.last_at) > self.max_gap_s:
                changes += _end_all(cam, at=now)
        return changes

    def _hold(
        self, obs: Observation, cam: _Camera, subject: Subject, sample: _Sample
    ) -> list[EventChange]:
        ep = cam.episodes.get(subject)
        if ep is None:
            hold = sample.cfg.for_s if sample.hold_s is None else sample.hold_s
            ep = cam.episodes[subject] = _Episode(cfg=sample.cfg, hold_s=hold, onset=obs.at)
            if isinstance(sample.cfg, RaisedVoice) and obs.sound is not None:
                ep.trace = TraceBuilder.begin(
                    cam.history,
                    onset=obs.at,
                    baseline_db=obs.sound.baseline_db,
                    over_db=sample.cfg.over_db,
                )
        ep.false_since = None
        ep.peak = _fold(ep.peak, sample.values)
        if ep.event is None:
            if _secs(obs.at, ep.onset) < ep.hold_s:
                return []
            ep.event = RuleEvent(
                uuid=uuid4(),
                camera_id=obs.camera_id,
                kind=subject[0],
                started_at=ep.onset,
                peak=ep.peak,
                trace=_trace(ep),
            )
            ep.sent_at = obs.at
            return [EventChange("start", obs.at, ep.event)]
        due = ep.sent_at is None or _secs(obs.at, ep.sent_at) >= self.update_every_s
        if ep.peak == ep.event.peak or not due:
            return []
        ep.event = ep.event.model_copy(update={"peak": ep.peak, "trace": _trace(ep)})
        ep.sent_at = obs.at
        return [EventChange("update", obs.at, ep.event)]

    def _release(self, obs: Observation, cam: _Camera, subject: Subject) -> list[EventChange]:
        ep = cam.episodes[subject]
        if ep.false_since is None:
            ep.false_since = obs.at
        if _secs(obs.at, ep.false_since) < ep.cfg.grace_s:
            return []
        del cam.episodes[subject]
        if ep.event is None:
            return []
        return [_end(ep, ep.event, ended_at=ep.false_since, at=obs.at)]


def _hear(cam: _Camera, at: datetime, level_db: float) -> None:
    """One more sound window: into the camera's history and each level trace under way."""
    cam.history.add(at, level_db)
    for ep in cam.episodes.values():
        if ep.trace is not None:
            ep.trace.add(at, level_db)


def _end_all(cam: _Camera, *, at: datetime) -> list[EventChange]:
    """Ends every open event of a camera whose stream went away, at the last moment seen."""
    last = cam.last_at or at
    ended = [
        _end(ep, ep.event, ended_at=ep.false_since or last, at=at)
        for ep in cam.episodes.values()
        if ep.event is not None
    ]
    cam.episodes.clear()
    return ended


def _end(ep: _Episode, event: RuleEvent, *, ended_at: datetime, at: datetime) -> EventChange:
    closed = event.model_copy(update={"ended_at": ended_at, "peak": ep.peak, "trace": _trace(ep)})
    return EventChange("end", at, closed)


def _secs(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()
