"""The worker's analysis run offline on a clip file, without RTSP: the clip decoded with
PyAV and a few frames a second kept by their timestamps (`feed.next_due`), each marked for
the detector by the motion gate or the keepalive as a feed marks it, then the worker's own
`Analyser` (the real detector in batches, each camera's Scene: tracker, zones, dwell,
phones; the Observation; the real RuleEngine). Time is the clip's: a fixed start plus each
frame's timestamp, never the wall clock.

The camera-health picture verdict the worker reads from the database is made here as the
prober makes it: `picture.judge` on 8 frames spread over 2 s, one probe every `probe_s`,
its baseline learned from the clip's first `train_s` (which must be healthy); a verdict
holds from the end of its probe until the next.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import av
import numpy as np

from nigrani.analytics.analyse import BATCH, Analyser, CameraSetup
from nigrani.analytics.detector import Detector
from nigrani.analytics.feed import Picture, moved, next_due, small_grey
from nigrani.analytics.observe import Observation
from nigrani.analytics.rules import CameraRules, EventChange, RuleEngine, RuleEvent
from nigrani.analytics.spool import Spool
from nigrani.analytics.worker import PICTURE_REASONS
from nigrani.health import evaluate as health_eval
from nigrani.health import picture
from nigrani.stations.schemas import Zone

# A Monday, 11:00 in India: inside any day duty. Clip second s is START + s.
START: Final = datetime(2026, 1, 5, 5, 30, tzinfo=UTC)
CAMERA_ID: Final = 1


@dataclass(frozen=True, slots=True)
class Gate:
    """How the feed picks frames and marks them for the detector (FeedJob's numbers)."""

    fps: float = 2.0
    keepalive_s: float = 3.0
    motion_share: float = 0.005


@dataclass(frozen=True, slots=True)
class Probe:
    """The picture checks: a probe every `probe_s`, the baseline from the first `train_s`."""

    probe_s: float = 2.0
    train_s: float = 20.0


@dataclass
class Run:
    """What the pipeline made of one clip."""

    clip_s: float
    events: list[RuleEvent] = field(default_factory=list)  # each episode, ended
    observations: list[Observation] = field(default_factory=list)
    reasons: list[tuple[float, str]] = field(default_factory=list)  # (clip s, verdict)
    frames: int = 0
    detected: int = 0
    detect_s: float = 0.0

    def seconds(self, at: datetime) -> float:
        """A clip time in seconds from its start."""
        return (at - START).total_seconds()


class _Recording(RuleEngine):
    """The real engine, keeping each observation it was fed and every change it made."""

    def __init__(self) -> None:
        super().__init__({})
        self.seen: list[Observation] = []
        self.changes: list[EventChange] = []

    def feed(self, obs: Observation) -> list[EventChange]:
        self.seen.append(obs)
        changes = super().feed(obs)
        self.changes += changes
        return changes

    def expire(self, now: datetime) -> list[EventChange]:
        changes = super().expire(now)
        self.changes += changes
        return changes


def verdicts(path: Path, probe: Probe) -> list[tuple[float, str]]:
    """The picture checks' verdicts on the clip: (clip s from which it holds, reason or "")."""
    clip = health_eval.decode(path)
    reference = picture.reference_frame(clip.window(0.0))
    baseline: dict[str, Any] = {}
    out = []
    for t in health_eval.starts(0.0, clip.end_s, probe.probe_s):
        judged = picture.judge(
            clip.window(t),
            baseline=baseline,
            reference=reference,
            audio_db=None,
            expect_audio=False,
            night=False,
        )
        baseline = judged.baseline
        if t + health_eval.SPAN_S > probe.train_s:
            reason = judged.reason if judged.reason in PICTURE_REASONS else ""
            out.append((t + health_eval.SPAN_S, reason))
    return out


def _reason_at(reasons: Sequence[tuple[float, str]], t: float) -> str:
    current = ""
    for since, reason in reasons:
        if since > t:
            break
        current = reason
    return current


def run_clip(
    path: Path,
    *,
    zones: Sequence[Zone],
    rules: CameraRules,
    detector: Detector,
    gate: Gate = Gate(),
    probe: Probe | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> Run:
    """The worker's analysis of the clip from `start_s` to `end_s` (clip seconds); `probe`
    runs the picture checks for camera_tamper (None: the picture is taken as fine)."""
    engine = _Recording()
    reasons = verdicts(path, probe) if probe is not None else []
    with tempfile.TemporaryDirectory(prefix="nigrani-eval-spool-") as spool_dir:
        analyser = Analyser(detector, spool=Spool(Path(spool_dir)), engine=engine,
                            snapshot_bytes=200_000)  # fmt: skip
        setup = CameraSetup(zones=tuple(zones), rules=rules)
        analyser.set_up(CAMERA_ID, setup)
        run = Run(clip_s=0.0, reasons=reasons)
        batch: list[Picture] = []
        due, last_detect, grey_before = start_s, -1e9, None
        reason = ""
        with av.open(str(path)) as container:
            for frame in container.decode(video=0):
                t = float(frame.time or 0.0)
                run.clip_s = t
                if t < start_s:
                    continue
                if end_s is not None and t > end_s:
                    break
                after = next_due(t, due, gate.fps)
                if after is None:
                    continue
                due = after
                image = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                grey = small_grey(image)
                detect = t - last_detect >= gate.keepalive_s or moved(
                    grey, grey_before, gate.motion_share
                )
                if detect:
                    last_detect, grey_before = t, grey
                now = _reason_at(reasons, t)
                if now != reason or len(batch) >= BATCH:
                    analyser.process(batch)  # the verdict changes between batches, as it does
                    batch = []  # when the worker re-reads the camera's setup
                    reason = now
                    analyser.set_up(CAMERA_ID, CameraSetup(tuple(zones), rules, reason))
                batch.append(Picture(CAMERA_ID, 1, START + timedelta(seconds=t), image, detect,
                                     None))  # fmt: skip
        analyser.process(batch)
        last = engine.seen[-1].at if engine.seen else START
        engine.expire(last + timedelta(seconds=engine.max_gap_s + 1))  # the open ones end
    run.observations = engine.seen
    run.events = [c.event for c in engine.changes if c.change == "end"]
    run.frames, run.detected, run.detect_s = analyser.frames, analyser.detected, analyser.detect_s
    return run
