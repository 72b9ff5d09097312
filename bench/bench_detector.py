"""Station analytics' detector alone: frames per second at 416×416 on real footage, next to
the bare onnxruntime session in the same run.

Frames: every 20th of `../shared/data/vtest.avi` (768×576 pedestrians), decoded once with
PyAV before timing. Each round, in an order that rotates, over the same frames:
- `detect, 1 frame a call`: analytics.nanodet.NanoDet.detect([frame]) per frame, the whole
  plugin: resize to 416×416, normalise, inference, decoding and NMS;
- `detect, batches of 4` and `detect, batches of 8`: the same, several cameras per call;
- reference `session.run alone`: the plugin's own onnxruntime session on tensors prepared
  before the clock starts (batch 1): the model's floor, with no pre- or post-processing.
Each round times every case on the same chunk of 8 frames, back to back (the chunks and the
order rotate). Figures are medians of the rounds: frames per second (wall), the ratio to the
reference, and CPU milliseconds per frame (process time, all threads: onnxruntime's threads
spin while they wait, so with 2 threads this reads high).

    .venv/bin/python -m bench.bench_detector                # 2 threads, 40 rounds
    .venv/bin/python -m bench.bench_detector --threads 1    # one core's worth
    .venv/bin/python -m bench.bench_detector --rounds 8     # a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from nigrani.analytics import nanodet
from nigrani.analytics.detector import Frame
from nigrani.analytics.nanodet import NanoDet

VTEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "vtest.avi"
REFERENCE = "reference: session.run alone"


def frames_of(path: Path, count: int, every: int = 20) -> list[Frame]:
    """Every `every`-th frame of the clip as BGR, `count` of them."""
    picked: list[Frame] = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                picked.append(np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8))
            if len(picked) == count:
                break
    return picked


Case = Callable[[list[Frame], list[nanodet.Floats]], None]


def cases(detector: NanoDet) -> dict[str, Case]:
    def batches(size: int) -> Case:
        def run(frames: list[Frame], _tensors: list[nanodet.Floats]) -> None:
            for start in range(0, len(frames), size):
                detector.detect(frames[start : start + size])

        return run

    def floor(_frames: list[Frame], tensors: list[nanodet.Floats]) -> None:
        for tensor in tensors:
            detector.infer(tensor)

    return {
        "detect, 1 frame a call": batches(1),
        "detect, batches of 4": batches(4),
        "detect, batches of 8": batches(8),
        REFERENCE: floor,
    }


def measure(detector: NanoDet, frames: list[Frame], rounds: int) -> dict[str, list[float]]:
    """Per case, one (wall, CPU) seconds-per-frame sample a round: each round times every
    case on the same chunk of 8 frames, back to back in a rotating order, so that a burst
    of other work on the machine falls on all of them alike."""
    timed = cases(detector)
    names = list(timed)
    chunks = [frames[i : i + 8] for i in range(0, len(frames) - 7, 8)]
    samples: dict[str, list[float]] = {f"{n} {k}": [] for n in names for k in ("wall", "cpu")}
    for round_ in range(rounds):
        chunk = chunks[round_ % len(chunks)]
        tensors = [nanodet.preprocess([f]) for f in chunk]
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            wall, cpu = time.perf_counter(), time.process_time()
            timed[name](chunk, tensors)
            samples[f"{name} wall"].append((time.perf_counter() - wall) / len(chunk))
            samples[f"{name} cpu"].append((time.process_time() - cpu) / len(chunk))
    return samples


def stages(detector: NanoDet, frames: list[Frame]) -> dict[str, float]:
    """Milliseconds per frame of preprocessing and of decoding + NMS, medians."""
    pre, post = [], []
    for frame in frames:
        start = time.perf_counter()
        tensor = nanodet.preprocess([frame])
        pre.append(time.perf_counter() - start)
        heads = detector.infer(tensor)
        start = time.perf_counter()
        scores, boxes = nanodet.decode([h[0] for h in heads], 0.3)
        detector.keep(scores, boxes, frame.shape[1], frame.shape[0])
        post.append(time.perf_counter() - start)
    return {
        "preprocess": statistics.median(pre) * 1e3,
        "decode + NMS": statistics.median(post) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    args = parser.parse_args()
    frames = frames_of(VTEST, args.frames)
    detector = NanoDet(threads=args.threads)
    found = [len(f) for f in detector.detect(frames)]
    print(
        f"{len(frames)} frames {frames[0].shape[1]}×{frames[0].shape[0]}, {args.threads} threads,"
    )
    print(
        f"load {os.getloadavg()[0]:.1f}, persons/phones found per frame: median {np.median(found)}"
    )
    samples = measure(detector, frames, args.rounds)
    floor = statistics.median(samples[f"{REFERENCE} wall"])
    print(f"{'':32} {'frames/s':>9} {'ms/frame':>9} {'ratio':>6} {'CPU ms/frame':>13}")
    for name in cases(detector):
        wall = statistics.median(samples[f"{name} wall"])
        cpu = statistics.median(samples[f"{name} cpu"])
        print(f"{name:32} {1 / wall:9.1f} {wall * 1e3:9.1f} {floor / wall:5.2f}× {cpu * 1e3:13.1f}")
    for stage, ms in stages(detector, frames).items():
        print(f"{stage:32} {ms:6.2f} ms/frame")


if __name__ == "__main__":
    main()
