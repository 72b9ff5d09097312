"""Station analytics: the person counts of `nigrani eval analytics` over a grid of the
detector's and the tracker's settings, to see whether a setting (and not the detector)
stands between the counts and the issue's MAE goal of 0.5 a frame.

NanoDet runs once on the count clip's frames at a low floor (person ≥ 0.1, NMS off); each
setting then filters those findings by score and NMS overlap and runs the worker's pipeline
(`evaluation.pipeline.run_clip`: the tracker, zones, Observations) with its tracker
settings, scored as the evaluation scores it (`video.count_rows`). Prints each setting's
MAE, queue MAE and worst queue error, best first. The labelled frames are the ones the
figure is measured on: a setting chosen here is fitted to them, so read the grid as the
spread, not a tuned result; beside each setting, its MAE on the held-out frames
(`scenarios.json`: labelled after the settings were chosen), which the sort never sees, says
what a choice made on the first set is worth on frames it has not seen. About 5 minutes on
the 2-core machine.

    .venv/bin/python -m bench.sweep_counts
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nigrani.analytics import zones as zones_module
from nigrani.analytics.detector import Detection, Frame, Thresholds
from nigrani.analytics.evaluation.pipeline import run_clip
from nigrani.analytics.evaluation.video import (
    CachedDetector,
    CountReport,
    clip_path,
    count_rows,
    load_scenarios,
)
from nigrani.analytics.nanodet import NanoDet, nms
from nigrani.analytics.rule_config import RULE_KINDS, RuleSet
from nigrani.analytics.rules import CameraRules
from nigrani.analytics.tracking import Tracker, TrackerConfig
from nigrani.health.fault_cases import DEFAULT_FOOTAGE

GRID = {
    "person ≥": (0.1, 0.2, 0.35),
    "NMS IoU": (0.5, 0.6, 0.7),
    "new track ≥": (0.4, 0.5, 0.6),
    "high score ≥": (0.35, 0.5),
    "min hits": (2, 3),
}
DEFAULTS = (0.35, 0.6, 0.6, 0.5, 3)


class Filtered:
    """The low-floor findings kept over `score` and through NMS at `iou`."""

    def __init__(self, raw: CachedDetector, score: float, iou: float) -> None:
        self.raw, self.score, self.iou = raw, score, iou

    def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
        out = []
        for found in self.raw.detect(frames):
            people = sorted(
                (d for d in found if d.label == "person" and d.score >= self.score),
                key=lambda d: -d.score,
            )
            boxes = np.array([d.box for d in people], dtype=np.float32).reshape(-1, 4)
            out.append([people[i] for i in nms(boxes, self.iou)] if people else [])
        return out


def main() -> None:
    table = load_scenarios()
    labels = table.counts
    path = clip_path(
        table.clips[labels.clip], DEFAULT_FOOTAGE["vtest.avi"], Path("var/analytics-eval")
    )
    floor = Thresholds(person=0.1, cell_phone=0.99, iou=0.95)
    raw = CachedDetector(NanoDet(thresholds=floor, threads=2))
    zone = table.zones[labels.zone]
    off = RuleSet.build(station={k: {"enabled": False} for k in RULE_KINDS})
    rules = CameraRules(rules=off, zone_kinds={zone.name: zone.kind})
    rows = []
    held_mae: dict[tuple[float, ...], float] = {}
    for score, iou, new, high, hits in itertools.product(*GRID.values()):
        if high > new:
            continue
        config = TrackerConfig(
            high_score=high, new_track_score=new, min_hits=int(hits), low_score=min(0.1, high)
        )
        setattr(zones_module, "Tracker", lambda config=config: Tracker(config))  # noqa: B010 - the Scene's tracker, this setting's
        run = run_clip(path, zones=[zone], rules=rules, detector=Filtered(raw, score, iou))
        counts = CountReport(labels.clip, count_rows(run, labels))
        held = CountReport(labels.clip, count_rows(run, labels.held_out_labels()))
        rows.append((counts.mae, counts.queue_mae, counts.queue_worst, score, iou, new, high, hits))
        held_mae[rows[-1][3:]] = held.mae
        setting = dict(zip(GRID, (score, iou, new, high, hits), strict=True))
        print(f"MAE {counts.mae:.3f}  queue {counts.queue_mae:.2f} (worst {counts.queue_worst})  "
              f"held out {held.mae:.3f}  {setting}", flush=True)  # fmt: skip
    rows.sort()
    print("\nbest first (MAE, queue MAE, queue worst, then the settings in GRID's order), and")
    print("each one's MAE on the held-out frames, which chose nothing:")
    for row in rows[:8]:
        mark = "  <- the defaults" if row[3:] == DEFAULTS else ""
        on_held = held_mae[row[3:]]
        print(f"  {row[0]:.3f} {row[1]:.2f} {row[2]}  {row[3:]}  held out {on_held:.3f}{mark}")
    default = next(r for r in rows if r[3:] == DEFAULTS)
    print(f"the defaults {DEFAULTS}: MAE {default[0]:.3f} (place {rows.index(default) + 1} "
          f"of {len(rows)})")  # fmt: skip


if __name__ == "__main__":
    main()
