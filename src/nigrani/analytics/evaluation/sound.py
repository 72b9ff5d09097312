"""Raised voice on the scripted sound clips (`sound_scenarios.json`): the real pipeline run on
each clip, its events scored against the labels, and the margin swept.

A clip is decoded as a camera's feed decodes it (PyAV's frames, resampled by the meter to
16 kHz mono float32) into the worker's `SoundMeter` as a camera runs it (`audio.camera_meter`:
Silero VAD with its savings, loudness, the room's rolling speech baseline), a fresh one per
clip as a feed starts with. The feed hands the analysis
a picture 2 times a second carrying the loudest window heard since the one before
(`feed.louder`); so here, an `Observation` every 0.5 s of clip time with that window, into
the real `RuleEngine` with raised_voice at its defaults (or the rule given). The meter runs
once per clip; the sweep replays its windows through engines with other margins, which
is what a station changing `over_db` would get. An event is a true positive if it overlaps
a labelled episode widened by the table's `margin_s` (scoring.match).

    .venv/bin/python -m nigrani.analytics.evaluation.sound --work var/analytics-eval/sound
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import av

from nigrani.analytics.audio import REPORT_S, SoundMeter, camera_meter
from nigrani.analytics.evaluation.scoring import Interval, Match, RuleScore, match, total
from nigrani.analytics.evaluation.sound_clips import (
    Scenarios,
    SoundClip,
    load_scenarios,
    make_clip,
)
from nigrani.analytics.feed import FeedJob, louder
from nigrani.analytics.observe import Observation, Sound
from nigrani.analytics.rule_config import RaisedVoice, RuleSet
from nigrani.analytics.rules import CameraRules, RuleEngine

RULE: Final = "raised_voice"
CAMERA: Final = 1
EPOCH: Final = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)  # clip time 0 on the engine's clock
# the worker's pictures (at its default rate), each with the loudest window since the last
TICK_S: Final = 1.0 / FeedJob(camera_id=0, url="", has_audio=True).fps
SWEEP_DB: Final = (4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0)
GOAL: Final = (0.8, 0.7)  # issue 17: precision ≥ 0.8 at recall ≥ 0.7


@dataclass(frozen=True, slots=True)
class Heard:
    """A clip through the meter: each window's Sound at the clip time it was complete."""

    windows: tuple[tuple[float, Sound], ...]
    clip_s: float
    cpu_s: float  # decoding, resampling and the meter


@dataclass(frozen=True, slots=True)
class ClipRow:
    """One clip's labels, the events found and how they matched."""

    clip: str
    labelled: tuple[Interval, ...]
    found: tuple[Interval, ...]
    match: Match
    peaks_db: tuple[float, ...] = ()  # each event's max_over_db


@dataclass
class SoundReport:
    """The rule at the margin given, per clip, and the sweep over margins."""

    rule: RaisedVoice
    score: RuleScore
    rows: list[ClipRow]
    sweep: list[tuple[float, RuleScore]] = field(default_factory=list)
    audio_s: float = 0.0
    meter_cpu_s: float = 0.0
    rules_cpu_s: float = 0.0

    def meets_goal(self) -> bool:
        """Precision ≥ 0.8 at recall ≥ 0.7 at the margin given."""
        p, r = self.score.precision, self.score.recall
        return p is not None and r is not None and p >= GOAL[0] and r >= GOAL[1]


def hear(path: Path, *, meter: Callable[[], SoundMeter] = camera_meter) -> Heard:
    """Decode the clip's audio and run the meter over it, window by window."""
    began = time.process_time()
    sounds: list[Sound] = []
    listener = meter()
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            sounds += listener.feed_frame(frame)
    span = REPORT_S
    windows = tuple(((i + 1) * span, s) for i, s in enumerate(sounds))
    return Heard(windows, clip_s=len(sounds) * span, cpu_s=time.process_time() - began)


def observations(heard: Heard, *, tick_s: float = TICK_S) -> list[Observation]:
    """What the analysis sees: a picture every tick_s with the loudest window since the last
    (None when no window was completed in between, which leaves raised_voice as it was)."""
    out: list[Observation] = []
    pending: Sound | None = None
    windows = iter(heard.windows)
    upcoming = next(windows, None)
    tick = tick_s
    while tick <= heard.clip_s + tick_s:
        while upcoming is not None and upcoming[0] <= tick + 1e-9:
            pending = louder(pending, upcoming[1])
            upcoming = next(windows, None)
        at = EPOCH + timedelta(seconds=tick)
        out.append(Observation(camera_id=CAMERA, at=at, sound=pending))
        pending, tick = None, tick + tick_s
    return out


def events(obs: Iterable[Observation], rule: RaisedVoice) -> list[tuple[Interval, float]]:
    """The raised-voice episodes the real engine makes of them, with each one's peak."""
    station = {RULE: rule.model_dump()}
    engine = RuleEngine({CAMERA: CameraRules(rules=RuleSet.build(station=station))})
    changes = []
    last = EPOCH
    for o in obs:
        changes += engine.feed(o)
        last = o.at
    changes += engine.expire(last + timedelta(seconds=engine.max_gap_s + 1))
    found = []
    for change in changes:
        if change.change == "end" and change.event.kind == RULE:
            ended = change.event.ended_at or last
            span = Interval(_clip_s(change.event.started_at), _clip_s(ended))
            found.append((span, float(change.event.peak.get("max_over_db", 0.0))))
    return found


def _clip_s(at: datetime) -> float:
    return round((at - EPOCH).total_seconds(), 3)


def widened(labels: Iterable[Interval], margin_s: float) -> list[Interval]:
    """Labelled episodes with the onset margin on both sides."""
    return [
        Interval(max(0.0, i.start_s - margin_s), None if i.end_s is None else i.end_s + margin_s)
        for i in labels
    ]


def score_heard(clip: SoundClip, heard: Heard, *, rule: RaisedVoice, margin_s: float) -> ClipRow:
    """One clip's events at this rule, matched against its labels."""
    found = events(observations(heard), rule)
    spans = [span for span, _ in found]
    labelled = clip.labels()
    result = match(spans, widened(labelled, margin_s), clip_s=heard.clip_s)
    return ClipRow(
        clip=clip.name,
        labelled=tuple(labelled),
        found=tuple(spans),
        match=result,
        peaks_db=tuple(peak for _, peak in found),
    )


def score_clip(
    clip: SoundClip,
    work: Path,
    *,
    rule: RaisedVoice | None = None,
    margin_s: float | None = None,
    meter: Callable[[], SoundMeter] = camera_meter,
) -> ClipRow:
    """Render (or take from `work`) one clip, hear it and score raised_voice on it."""
    margin = load_scenarios().margin_s if margin_s is None else margin_s
    heard = hear(make_clip(clip, work), meter=meter)
    return score_heard(clip, heard, rule=rule or RaisedVoice(), margin_s=margin)


def evaluate_sound(
    work: Path,
    *,
    rule: RaisedVoice | None = None,
    clips: Sequence[str] = (),
    sweep_db: Sequence[float] = SWEEP_DB,
    scenarios: Scenarios | None = None,
    meter: Callable[[], SoundMeter] = camera_meter,
    progress: Callable[[str], None] | None = None,
) -> SoundReport:
    """Raised voice on every scripted clip (or those named), at `rule` (the default rule
    when None) and at each margin of the sweep; `progress(name)` after each clip."""
    table = scenarios or load_scenarios()
    chosen = [c for c in table.clips if not clips or c.name in clips]
    unknown = set(clips) - {c.name for c in table.clips}
    if unknown:
        raise ValueError(f"unknown sound clips: {', '.join(sorted(unknown))}")
    at = rule or RaisedVoice()
    heard: list[tuple[SoundClip, Heard]] = []
    for clip in chosen:
        heard.append((clip, hear(make_clip(clip, work), meter=meter)))
        if progress is not None:
            progress(clip.name)
    began = time.process_time()
    rows = [score_heard(c, h, rule=at, margin_s=table.margin_s) for c, h in heard]
    rules_cpu = time.process_time() - began
    sweep = []
    for db in sweep_db:
        other = at.model_copy(update={"over_db": db})
        scored = (score_heard(c, h, rule=other, margin_s=table.margin_s) for c, h in heard)
        sweep.append((db, total(RULE, (r.match for r in scored))))
    return SoundReport(
        rule=at,
        score=total(RULE, (r.match for r in rows)),
        rows=rows,
        sweep=sweep,
        audio_s=sum(h.clip_s for _, h in heard),
        meter_cpu_s=sum(h.cpu_s for _, h in heard),
        rules_cpu_s=rules_cpu,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report_lines(report: SoundReport) -> list[str]:
    """The report as plain text: per clip, the total, the sweep and the CPU."""
    lines = ["clip | labelled | found | TP | FP | miss | events (s) and peak dB over"]
    for row in report.rows:
        spans = ", ".join(
            f"{s.start_s:.1f}-{s.end_s if s.end_s is not None else 0:.1f} (+{p:.1f})"
            for s, p in zip(row.found, row.peaks_db, strict=True)
        )
        m = row.match
        lines.append(
            f"{row.clip} | {len(row.labelled)} | {len(row.found)} | {m.true_positives} | "
            f"{m.false_positives} | {m.misses} | {spans or '-'}"
        )
    s = report.score
    lines.append(
        f"raised_voice at over_db {report.rule.over_db:g} dB, for_s {report.rule.for_s:g} s: "
        f"precision {_fmt(s.precision)}, recall {_fmt(s.recall)} "
        f"(TP {s.true_positives}, FP {s.false_positives}, miss {s.misses}, {s.clips} clips); "
        f"goal P ≥ {GOAL[0]} at R ≥ {GOAL[1]}: {'met' if report.meets_goal() else 'MISSED'}"
    )
    lines.append("over_db | precision | recall | TP | FP | miss")
    for db, score in report.sweep:
        lines.append(
            f"{db:g} | {_fmt(score.precision)} | {_fmt(score.recall)} | "
            f"{score.true_positives} | {score.false_positives} | {score.misses}"
        )
    per_s = 1000 * report.meter_cpu_s / max(report.audio_s, 1e-9)
    lines.append(
        f"CPU: decode + resample + meter {report.meter_cpu_s:.1f} s for {report.audio_s:.0f} s "
        f"of audio ({per_s:.2f} ms per second); rules {report.rules_cpu_s:.2f} s"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation and print it; exit 1 when the goal is missed (with --check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/analytics-eval/sound"))
    parser.add_argument("--clip", action="append", default=[], help="only this clip")
    parser.add_argument("--over-db", type=float, default=None, help="the rule's margin")
    parser.add_argument("--check", action="store_true", help="exit 1 if the goal is missed")
    args = parser.parse_args(argv)
    rule = RaisedVoice() if args.over_db is None else RaisedVoice(over_db=args.over_db)
    report = evaluate_sound(
        args.work, rule=rule, clips=args.clip, progress=lambda name: print(f"heard {name}")
    )
    print("\n".join(report_lines(report)))
    return 1 if args.check and not report.meets_goal() else 0


if __name__ == "__main__":
    raise SystemExit(main())
