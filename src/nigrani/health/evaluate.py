"""How well the picture checks find scripted faults, and how often they cry wolf.

For each camera (a `Source`), the baseline is learned from the first `train_s` seconds of
its healthy clip, probe by probe, as the prober would; the reference snapshot is the first
healthy probe's median frame. Then every case of that camera is probed from `train_s` on:
8 frames over 2 s, like `health.probe` decoding every frame, or (`keyframes`) the 3 frames
a probe that decodes only the keyframes of a camera with a keyframe every second reads in
its 2 s, a new probe every `stride_s` of footage. A fault's
recall is the share of its probes judged with the expected reason; on healthy clips every
probe with a reason is a false verdict, and `confirm` false verdicts in a row (what turns a
camera's state) is a false alarm. Probes stand for the prober's 5-minute interval, so N
healthy probes are N/12 camera-hours (consecutive probes share footage: see the report).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import av
import numpy as np

from nigrani.health import picture
from nigrani.health.fault_cases import CASES, SOURCES
from nigrani.health.faults import FaultCase, Source, make_clip
from nigrani.health.probe import AUDIO_S

FRAMES: Final = 8
SPAN_S: Final = 2.0
GOP_S: Final = 1.0  # the keyframe interval of a sub-stream the keyframe probes model
PROBE_INTERVAL_S: Final = 300.0  # one probe stands for five minutes of a camera's life


@dataclass
class Clip:
    """A decoded clip: small grey frames with their times, and audio levels per second."""

    frames: list[np.ndarray]
    times: list[float]
    audio: list[tuple[float, float]] = field(default_factory=list)  # (time, power)

    def window(self, start_s: float, *, keyframes: bool = False) -> list[np.ndarray]:
        """The frames a probe starting at `start_s` reads: 8 spread over 2 s, or the
        keyframes of 2 s (one every GOP_S)."""
        if keyframes:
            wanted = [start_s + k * GOP_S for k in range(int(SPAN_S / GOP_S) + 1)]
        else:
            wanted = [start_s + k * SPAN_S / FRAMES for k in range(FRAMES)]
        idx = np.searchsorted(np.asarray(self.times), wanted).clip(0, len(self.frames) - 1)
        return [self.frames[i] for i in idx]

    def audio_db(self, start_s: float) -> float | None:
        """The sound's level over the probe's first AUDIO_S, in dBFS (None: no sound)."""
        if not self.audio:
            return None
        powers = [p for t, p in self.audio if start_s <= t < start_s + AUDIO_S]
        return 10 * math.log10(max(float(np.mean(powers)) if powers else 0.0, 1e-12))

    @property
    def end_s(self) -> float:
        return self.times[-1] if self.times else 0.0


@dataclass
class CaseResult:
    case: FaultCase
    probes: int = 0
    right: int = 0
    flagged: int = 0
    alarms: int = 0  # runs of `confirm` or more flagged probes in a row
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class Report:
    results: list[CaseResult]
    confirm: int
    judge_cpu_s: float = 0.0
    judge_calls: int = 0
    decode_cpu_s: float = 0.0  # the reference: decoding a probe's 2 s, once per case
    decoded_probes: int = 0

    def faults(self) -> list[str]:
        return sorted({r.case.fault for r in self.results if r.case.fault})

    def recall(self, fault: str) -> tuple[int, int]:
        rows = [r for r in self.results if r.case.fault == fault]
        return sum(r.right for r in rows), sum(r.probes for r in rows)

    def healthy(self) -> tuple[int, int, int]:
        """(probes, false verdicts, false alarms) over the healthy clips."""
        rows = [r for r in self.results if not r.case.fault]
        return (
            sum(r.probes for r in rows),
            sum(r.flagged for r in rows),
            sum(r.alarms for r in rows),
        )

    def camera_weeks(self) -> float:
        return self.healthy()[0] * PROBE_INTERVAL_S / (7 * 86400)

    def alarms_per_week_bound(self) -> float:
        """The 95 % upper bound on false alarms per camera-week (rule of three when none)."""
        weeks = self.camera_weeks()
        alarms = self.healthy()[2]
        return (alarms + 3.0) / weeks if weeks else math.inf


def decode(path: Path, width: int = 320) -> Clip:
    """Decode a clip to small grey frames (and its audio's power per 0.1 s, if any)."""
    clip = Clip(frames=[], times=[])
    with av.open(str(path)) as container:
        streams = [container.streams.video[0], *container.streams.audio[:1]]
        for frame in container.decode(*streams):
            if isinstance(frame, av.VideoFrame):
                clip.frames.append(picture.small_gray(frame, width))
                clip.times.append(float(frame.time or 0.0))
            elif isinstance(frame, av.AudioFrame):
                t = float(frame.time or 0.0)
                samples = frame.to_ndarray().astype(np.float64)
                clip.audio.append((t, float(np.mean(samples * samples)) if samples.size else 0.0))
    return clip


def probe_decode_cpu_s(path: Path, width: int = 320) -> float:
    """CPU to decode a probe's first 2 s of a clip as the prober does (8 frames made small)."""
    began = time.process_time()
    with av.open(str(path)) as container:
        taken = 0
        for frame in container.decode(video=0):
            t = float(frame.time or 0.0)
            if t >= taken * SPAN_S / FRAMES:
                picture.small_gray(frame, width)
                taken += 1
            if t >= SPAN_S:
                break
    return time.process_time() - began


def starts(begin_s: float, end_s: float, stride_s: float) -> list[float]:
    """Probe start times in [begin, end − span]."""
    count = int((end_s - SPAN_S - begin_s) / stride_s) + 1
    return [begin_s + i * stride_s for i in range(max(0, count))]


class Evaluation:
    """Runs the cases of each camera against a baseline learned from its healthy clip."""

    def __init__(
        self,
        *,
        footage: dict[str, Path],
        cache: Path,
        stride_s: float = 0.5,
        healthy_stride_s: float = 0.1,
        confirm: int = 3,
        keyframes: bool = False,
    ):
        self.footage, self.cache, self.keyframes = footage, cache, keyframes
        self.stride_s, self.healthy_stride_s, self.confirm = stride_s, healthy_stride_s, confirm
        self.report = Report(results=[], confirm=confirm)

    def run(
        self,
        cases: Sequence[FaultCase] = CASES,
        sources: Iterable[Source] = SOURCES,
        *,
        step: Callable[[str], None] | None = None,
    ) -> Report:
        """Evaluate `cases`; `step(name)` is called after each case (for a progress bar)."""
        by_name = {s.name: s for s in sources}
        for name in dict.fromkeys(c.source for c in cases):
            camera = by_name[name]
            baseline, reference = self._learn(camera)
            for case in (c for c in cases if c.source == name):
                self.report.results.append(self._case(case, camera, by_name, baseline, reference))
                if step is not None:
                    step(case.name)
        return self.report

    def clip(self, case: FaultCase, view: Source) -> Clip:
        path = make_clip(case, view, self.footage[view.file], self.cache)
        return decode(path)

    def _learn(self, camera: Source) -> tuple[dict[str, Any], np.ndarray]:
        healthy = FaultCase(f"{camera.name}-healthy", camera.name, "")
        clip = self.clip(healthy, camera)
        reference = picture.reference_frame(clip.window(0.0, keyframes=self.keyframes))
        baseline: dict[str, Any] = {}
        for t in starts(0.0, camera.train_s, 1.0):
            baseline = self._judge(
                clip, t, camera, baseline, reference, expect_audio=False
            ).baseline
        return baseline, reference

    def _case(
        self,
        case: FaultCase,
        camera: Source,
        sources: dict[str, Source],
        baseline: dict[str, Any],
        reference: np.ndarray,
    ) -> CaseResult:
        view = sources[case.footage] if case.footage else camera
        path = make_clip(case, view, self.footage[view.file], self.cache)
        clip = decode(path)
        self.report.decode_cpu_s += probe_decode_cpu_s(path)
        self.report.decoded_probes += 1
        result, run = CaseResult(case), 0
        expect_audio = case.audio != "none"
        begin = camera.train_s if clip.end_s > camera.train_s + SPAN_S else 0.0
        stride = self.stride_s if case.fault else self.healthy_stride_s
        for t in starts(begin, clip.end_s, stride):
            verdict = self._judge(clip, t, camera, baseline, reference, expect_audio=expect_audio)
            baseline = verdict.baseline
            result.probes += 1
            result.reasons[verdict.reason] += 1
            result.right += verdict.reason == case.fault
            result.flagged += bool(verdict.reason)
            run = run + 1 if verdict.reason else 0
            result.alarms += run == self.confirm
        return result

    def _judge(
        self,
        clip: Clip,
        t: float,
        camera: Source,
        baseline: dict[str, Any],
        reference: np.ndarray,
        *,
        expect_audio: bool,
    ) -> picture.Judgement:
        frames = clip.window(t, keyframes=self.keyframes)
        audio_db = clip.audio_db(t)
        began = time.process_time()
        verdict = picture.judge(
            frames,
            baseline=baseline,
            reference=reference,
            audio_db=audio_db,
            expect_audio=expect_audio,
            night=camera.night,
        )
        self.report.judge_cpu_s += time.process_time() - began
        self.report.judge_calls += 1
        return verdict


TARGETS: Final = {"black": 95.0, "covered": 95.0, "frozen": 95.0, "defocused": 90.0, "moved": 90.0}


def missed_targets(report: Report) -> list[str]:
    """The faults whose recall is under the issue's target, and a false-alarm bound over one."""
    missed = []
    for fault in report.faults():
        right, probes = report.recall(fault)
        if fault in TARGETS and probes and 100.0 * right / probes < TARGETS[fault]:
            missed.append(fault)
    if report.healthy()[0] and report.alarms_per_week_bound() > 1.0:
        missed.append("false alarms")
    return missed


def summary_rows(report: Report) -> list[tuple[str, ...]]:
    """Rows of the table: fault, cases, probes, recall, target, what else was said."""
    rows: list[tuple[str, ...]] = []
    for fault in report.faults():
        results = [r for r in report.results if r.case.fault == fault]
        right, probes = report.recall(fault)
        others: Counter[str] = Counter()
        for r in results:
            others.update({k or "fine": v for k, v in r.reasons.items() if k != fault})
        target = f"≥ {TARGETS[fault]:.0f} %" if fault in TARGETS else "-"
        said = ", ".join(f"{k} {v}" for k, v in others.most_common(3)) or "-"
        rows.append((fault, str(len(results)), str(probes), _pct(right, probes), target, said))
    return rows


def healthy_lines(report: Report) -> list[str]:
    """The false-alarm statement: probes, camera-hours, verdicts, alarms and the bound."""
    probes, verdicts, alarms = report.healthy()
    if not probes:
        return []
    hours = probes * PROBE_INTERVAL_S / 3600
    cases = sum(1 for r in report.results if not r.case.fault)
    return [
        f"Healthy: {probes} probes on {cases} clips = {hours:.0f} camera-hours "
        f"({report.camera_weeks():.2f} camera-weeks at one probe per 5 min).",
        f"False verdicts: {verdicts} ({_pct(verdicts, probes)} of probes); false alarms "
        f"({report.confirm} in a row): {alarms}; at most {report.alarms_per_week_bound():.2f} "
        "per camera-week (95 % bound).",
    ]


def cost_line(report: Report) -> str:
    """judge()'s CPU per probe beside decoding a probe's 2 s of the same clips."""
    judge_ms = 1000 * report.judge_cpu_s / max(1, report.judge_calls)
    decode_ms = 1000 * report.decode_cpu_s / max(1, report.decoded_probes)
    return (
        f"CPU per probe: judge() {judge_ms:.1f} ms ({report.judge_calls} calls); reference: "
        f"decoding a probe's 2 s of the same 640 px H.264 clips {decode_ms:.1f} ms "
        f"({report.decoded_probes} probes)."
    )


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f} %" if whole else "-"
