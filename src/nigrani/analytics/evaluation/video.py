"""The video rules and the person counts on the scripted scenarios (`scenarios.json`).

Each scenario is a clip cut from real footage with FFmpeg (cached by the command that makes
it, as the camera-health faults are), zones drawn on it and the rules it labels switched on
with thresholds that fit a clip; every other rule is off. The worker's analysis runs on it
offline (`pipeline.run_clip`) and each rule's events are scored against the labelled spans
(`scoring.match`). Scenarios on the same clip see the same frames, so the detector's
findings are kept by the frame's pixels and not computed twice (the detector is
deterministic: nothing else changes).

The person counts: the observation's count at each labelled time (its confirmed people and
the newcomers not yet confirmed; the tracker has run from the clip's start) against the
number counted by eye, and those in the queue zone against its count; on the labelled
frames and, apart, on the held-out ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from nigrani.analytics.detector import Detection, Detector, Frame
from nigrani.analytics.evaluation.pipeline import Probe, Run, run_clip
from nigrani.analytics.evaluation.scoring import Interval, Match, RuleScore, match, total
from nigrani.analytics.rule_config import RULE_KINDS, RuleSet
from nigrani.analytics.rules import CameraRules
from nigrani.health.faults import FaultCase, Source, make_clip
from nigrani.stations.schemas import Zone

SCENARIOS: Final = Path(__file__).with_name("scenarios.json")
FOOTAGE: Final = "vtest.avi"
MAE_GOAL: Final = 0.5  # people per frame
QUEUE_GOAL: Final = 1  # people off, where the queue holds at most QUEUE_UP_TO
QUEUE_UP_TO: Final = 10


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """A part of the footage and the FFmpeg filters that script it."""

    name: str
    start_s: float
    duration_s: float
    vf: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    clip: str
    zones: tuple[Zone, ...]
    rules: Mapping[str, Mapping[str, Any]]  # the labelled rules' thresholds
    labels: Mapping[str, tuple[Interval, ...]]
    probe: Probe | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CountLabels:
    clip: str
    zone: str
    frames: tuple[tuple[float, int, int], ...]  # (clip s, people, people in the zone)
    # labelled after the settings were chosen, never used to choose them
    held_out: tuple[tuple[float, int, int], ...] = ()

    def held_out_labels(self) -> CountLabels:
        return CountLabels(self.clip, self.zone, self.held_out)


@dataclass(frozen=True, slots=True)
class Table:
    clips: Mapping[str, ClipSpec]
    zones: Mapping[str, Zone]
    scenarios: tuple[Scenario, ...]
    counts: CountLabels
    not_measured: Mapping[str, str]


def load_scenarios(path: Path = SCENARIOS) -> Table:
    """The committed table of scenarios and count labels."""
    data = json.loads(path.read_text(encoding="utf-8"))
    zones = {
        name: Zone(name=name, kind=z["kind"], points=[tuple(p) for p in z["points"]])
        for name, z in data["zones"].items()
    }
    clips = {
        name: ClipSpec(name, c["start_s"], c["duration_s"], c.get("vf", ""), c.get("note", ""))
        for name, c in data["clips"].items()
    }
    scenarios = tuple(
        Scenario(
            name=s["name"],
            clip=s["clip"],
            zones=tuple(zones[z] for z in s["zones"]),
            rules=s["rules"],
            labels={
                rule: tuple(Interval(float(a), None if b is None else float(b)) for a, b in spans)
                for rule, spans in s["labels"].items()
            },
            probe=Probe(**s["probe"]) if "probe" in s else None,
            note=s.get("note", ""),
        )
        for s in data["scenarios"]
    )
    c = data["counts"]
    counts = CountLabels(
        c["clip"],
        c["zone"],
        tuple((float(t), n, q) for t, n, q in c["frames"]),
        tuple((float(t), n, q) for t, n, q in c.get("held_out", ())),
    )
    return Table(clips, zones, scenarios, counts, data.get("not_measured", {}))


def clip_path(spec: ClipSpec, footage: Path, cache: Path) -> Path:
    """The scenario's clip, made once with FFmpeg (640 px wide H.264, as a sub-stream)."""
    source = Source(spec.name, FOOTAGE, spec.start_s, spec.duration_s, spec.duration_s, 0.0)
    return make_clip(FaultCase(spec.name, spec.name, "", spec.vf), source, footage, cache)


def camera_rules(scenario: Scenario) -> CameraRules:
    """The station's rules for the scenario: the labelled rules on with its thresholds,
    every other rule off."""
    patch: dict[str, Mapping[str, Any]] = {kind: {"enabled": False} for kind in RULE_KINDS}
    for kind, fields in scenario.rules.items():
        patch[kind] = {**fields, "enabled": True}
    kinds = {zone.name: zone.kind for zone in scenario.zones}
    return CameraRules(rules=RuleSet.build(station=patch), zone_kinds=kinds)


class CachedDetector:
    """The detector, its findings kept by the frame's pixels (one clip, many scenarios)."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self._seen: dict[bytes, list[Detection]] = {}
        self.calls = self.frames = 0

    def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
        keys = [hashlib.blake2b(f.tobytes(), digest_size=16).digest() for f in frames]
        new = [(k, f) for k, f in zip(keys, frames, strict=True) if k not in self._seen]
        if new:
            found = self.detector.detect([f for _, f in new])
            self._seen.update((k, d) for (k, _), d in zip(new, found, strict=True))
            self.calls += 1
            self.frames += len(new)
        return [self._seen[k] for k in keys]


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One scenario's events of one rule against its labels."""

    scenario: str
    rule: str
    labelled: tuple[Interval, ...]
    found: tuple[Interval, ...]
    match: Match


@dataclass(frozen=True, slots=True)
class CountRow:
    """One labelled frame: people counted by eye and confirmed by the pipeline."""

    t: float
    people: int
    seen: int
    queue: int
    queue_seen: int


@dataclass
class CountReport:
    clip: str
    rows: list[CountRow]

    @property
    def mae(self) -> float:
        return sum(abs(r.seen - r.people) for r in self.rows) / max(len(self.rows), 1)

    @property
    def queue_mae(self) -> float:
        return sum(abs(r.queue_seen - r.queue) for r in self.rows) / max(len(self.rows), 1)

    @property
    def queue_worst(self) -> int:
        """The largest queue error on frames with at most QUEUE_UP_TO people in the zone."""
        off = [abs(r.queue_seen - r.queue) for r in self.rows if r.queue <= QUEUE_UP_TO]
        return max(off, default=0)

    @property
    def queue_within(self) -> int:
        return sum(1 for r in self.rows if abs(r.queue_seen - r.queue) <= QUEUE_GOAL)


@dataclass
class VideoReport:
    rows: list[RuleRow] = field(default_factory=list)
    counts: list[CountReport] = field(default_factory=list)
    not_measured: Mapping[str, str] = field(default_factory=dict)
    frames: int = 0  # analysed, over every scenario
    detected: int = 0  # frames the detector ran on (after the cache)
    detect_s: float = 0.0
    video_s: float = 0.0

    def scores(self) -> list[RuleScore]:
        """Each rule's total over the scenarios that label it, in the rules' order."""
        rules = [k for k in RULE_KINDS if any(r.rule == k for r in self.rows)]
        return [total(k, (r.match for r in self.rows if r.rule == k)) for k in rules]


def events_of(run: Run, rule: str) -> tuple[Interval, ...]:
    """The run's episodes of one rule, as clip spans."""
    return tuple(
        Interval(run.seconds(e.started_at), run.seconds(e.ended_at) if e.ended_at else None)
        for e in sorted(run.events, key=lambda e: e.started_at)
        if e.kind == rule
    )


def score_run(scenario: Scenario, run: Run) -> list[RuleRow]:
    """The scenario's labelled rules against what the run raised."""
    rows = []
    for rule, labelled in scenario.labels.items():
        found = events_of(run, rule)
        rows.append(
            RuleRow(scenario.name, rule, labelled, found, match(found, labelled, clip_s=run.clip_s))
        )
    return rows


def count_rows(run: Run, labels: CountLabels) -> list[CountRow]:
    """The labelled frames beside the observation nearest each (within a quarter second)."""
    rows = []
    for t, people, queue in labels.frames:
        near = [o for o in run.observations if abs(run.seconds(o.at) - t) <= 0.25]
        if not near:
            continue
        obs = min(near, key=lambda o: abs(run.seconds(o.at) - t))
        rows.append(CountRow(t, people, obs.count(), queue, obs.count(labels.zone)))
    return rows


def evaluate_video(
    footage: Path,
    cache: Path,
    detector: Detector,
    *,
    scenarios: Sequence[str] = (),
    counts: bool = True,
    table: Table | None = None,
    progress: Callable[[str], None] | None = None,
) -> VideoReport:
    """Run the scenarios (every one, or those named) and the person counts."""
    table = table or load_scenarios()
    unknown = set(scenarios) - {s.name for s in table.scenarios}
    if unknown:
        raise ValueError(f"unknown scenarios: {', '.join(sorted(unknown))}")
    cached = CachedDetector(detector)
    report = VideoReport(not_measured=table.not_measured)

    def _run(spec: ClipSpec, zones: Sequence[Zone], rules: CameraRules, probe: Probe | None) -> Run:
        run = run_clip(
            clip_path(spec, footage, cache), zones=zones, rules=rules, detector=cached, probe=probe
        )
        report.frames += run.frames
        report.detect_s += run.detect_s
        report.video_s += run.clip_s
        return run

    for scenario in table.scenarios:
        if scenarios and scenario.name not in scenarios:
            continue
        run = _run(table.clips[scenario.clip], scenario.zones, camera_rules(scenario),
                   scenario.probe)  # fmt: skip
        report.rows += score_run(scenario, run)
        if progress is not None:
            progress(scenario.name)
    if counts:
        labels = table.counts
        none_on = RuleSet.build(station={k: {"enabled": False} for k in RULE_KINDS})
        zone = table.zones[labels.zone]
        rules = CameraRules(rules=none_on, zone_kinds={zone.name: zone.kind})
        run = _run(table.clips[labels.clip], [zone], rules, None)
        report.counts.append(CountReport(labels.clip, count_rows(run, labels)))
        if labels.held_out:
            held = count_rows(run, labels.held_out_labels())
            report.counts.append(CountReport(f"{labels.clip}, held out", held))
        if progress is not None:
            progress(f"counts {labels.clip}")
    report.detected = cached.frames
    return report


def missed_goals(report: VideoReport) -> list[str]:
    """The issue's goals for the counts: MAE ≤ 0.5 per frame, the queue within ±1."""
    missed = []
    for c in report.counts:
        if c.mae > MAE_GOAL:
            missed.append(f"person-count MAE {c.mae:.2f} > {MAE_GOAL} on {c.clip}")
        if c.queue_worst > QUEUE_GOAL:
            missed.append(f"queue count off by {c.queue_worst} on {c.clip}")
    return missed
