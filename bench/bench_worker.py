"""The whole analytics worker on N simulated cameras at once: each camera's 384×288 H.264 +
AAC sub-stream of vtest.avi over RTSP on loopback, decoded, 2 frames a second kept, the
motion gate, one NanoDet for every camera (batched), tracker, zones, sound meter, rules and
spool, all in this process (the events spool; no app is asked). Next to it, in the same
run, the detector alone on frames of the same stream, in rounds interleaved with the
worker's measured windows.

Prints per round the worker's CPU (this process, every thread) per camera, the frames it
analysed and ran the detector on, the detector alone's CPU per frame (its thread only), and
from the medians how many cameras a 2-core machine follows at 2 fps.

    .venv/bin/python -m bench.bench_worker --count 4 --seconds 15 --rounds 3

`--sub-fps 2` gives the cameras a sub-stream set to the analysis rate (each kept frame is
then the only one decoded), beside the default 10 fps one, as a camera's own setting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from bench.fleet import bench_settings, cpu_seconds, register, thread_cpu
from bench.footage import moving_share, typical_footage
from nigrani.analytics import feed as feed_module
from nigrani.analytics.analyse import Analyser
from nigrani.analytics.audio import SoundMeter
from nigrani.analytics.detector import Frame, build_detector
from nigrani.analytics.feed import CameraFeed
from nigrani.analytics.rules import RuleEngine
from nigrani.analytics.spool import Spool
from nigrani.analytics.worker import Worker
from nigrani.analytics.zones import Scene
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import prepare_media

MEDIA = Path(__file__).resolve().parents[1] / "var" / "simulator"
PAVEMENT = [(0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 1.0)]
ZONES = [{"name": "pavement", "points": PAVEMENT, "kind": "waiting"}]
MACHINE_CORES = 2


class Profile:
    """Thread CPU (time.thread_time) spent inside chosen methods, summed over threads: where
    a frame's CPU goes besides the detector. Nested entries count in both (packet holds
    hear and see)."""

    PARTS = (
        (CameraFeed, "packet", "feed: a packet (decode + hear + see)"),
        (CameraFeed, "_hear", "feed: sound meter (resample + VAD + level)"),
        (SoundMeter, "_window", "feed:   of it, VAD + level of 0.5 s windows"),
        (CameraFeed, "_see", "feed: a kept frame (to BGR, gate, queue)"),
        (Analyser, "process", "analysis: a batch (detector + observe + rules)"),
        (Scene, "observe", "analysis: scene (tracker, zones)"),
        (RuleEngine, "feed", "analysis: rules"),
    )

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        for owner, name, label in self.PARTS:
            setattr(owner, name, self._timed(getattr(owner, name), label))

    def _timed(self, method: Any, label: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                spent = time.thread_time() - began
                with self._lock:
                    self.seconds[label] = self.seconds.get(label, 0.0) + spent

        return timed

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self.seconds)


def thread_groups(pid: int) -> dict[str, float]:
    """This process's CPU seconds so far by kind of thread (Python threads by their name;
    threads Python did not start, such as FFmpeg's decoders, together)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    groups: dict[str, float] = {}
    for tid, (_, seconds) in thread_cpu(pid).items():
        name = names.get(tid, "native threads (FFmpeg, onnxruntime)")
        if name.startswith("camera-"):
            name = "feed threads (demux, decode, sound, gate)"
        groups[name] = groups.get(name, 0.0) + seconds
    return groups


def make_settings(root: Path, *, fps: float, threads: int) -> Settings:
    return bench_settings(
        root,
        analytics_fps=fps,
        analytics_detector_threads=threads,
        analytics_server_url="http://127.0.0.1:9",  # nobody: the changes wait in the spool
        analytics_token="bench",  # noqa: S106 - the app is not asked
    )


def sub_frames(path: Path, count: int) -> list[Frame]:
    """The first frames of the sub-stream's file, BGR, as the worker decodes them."""
    frames: list[Frame] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8))
            if len(frames) == count:
                break
    return frames


@dataclass
class Round:
    worker_cpu_s: float  # CPU of this process over the window
    wall_s: float
    frames: int  # analysed by the worker in the window
    detected: int  # of which the detector ran on
    dropped: int
    alone_ms: float  # the detector alone: CPU ms a frame (its thread)


def counts(workers: list[Worker]) -> tuple[float, int, int, int]:
    """This process's CPU seconds, and the frames analysed, detected and dropped so far."""
    feeds = [h.feed for w in workers for h in w.cameras.values()]
    return (
        cpu_seconds([os.getpid()]),
        sum(w.analyser.frames for w in workers),
        sum(w.analyser.detected for w in workers),
        sum(f.dropped for f in feeds),
    )


def window(workers: list[Worker], seconds: float) -> tuple[float, float, int, int, int]:
    before = counts(workers)
    began = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - began
    after = counts(workers)
    cpu, frames, detected, dropped = (b - a for a, b in zip(before, after, strict=True))
    return cpu, wall, int(frames), int(detected), int(dropped)


def detector_alone(settings: Settings, frames: list[Frame], repeats: int) -> float:
    """CPU ms a frame of a single-threaded detector of its own, one frame a call (its
    thread's CPU is then all of it)."""
    detector = build_detector(settings.model_copy(update={"analytics_detector_threads": 1}))
    began = time.thread_time()
    for _ in range(repeats):
        for frame in frames:
            detector.detect([frame])
    return 1000 * (time.thread_time() - began) / (repeats * len(frames))


def run(args: argparse.Namespace) -> list[Round]:
    source = typical_footage(MEDIA) if args.footage == "typical" else None
    sub = "sub" if args.sub_fps is None else f"sub{args.sub_fps}fps"
    media = prepare_media(directory=MEDIA, variants=("sd", sub), source=source)
    if args.gate == "off":  # every kept frame goes to the detector
        feed_module.moved = lambda grey, before, share: True  # noqa: ARG005
    profile = Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        root = Path(tmp)
        settings = make_settings(root, fps=args.fps, threads=args.threads)
        frames = sub_frames(media[sub][0], 8)
        with Simulator(main=media["sd"], sub=media[sub], count=args.count, ports=Ports.free(),
                       log_dir=root / "sim") as sim:  # fmt: skip
            register(settings, sim, zones=ZONES, sub=True)
            factory = make_sessionmaker(make_engine(settings.db_url))
            share = -(-args.count // args.workers)
            workers = [
                Worker(factory, settings, max_cameras=share, spool=Spool(root / f"spool-{i}"))
                for i in range(args.workers)
            ]
            threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
            for thread in threads:
                thread.start()
            time.sleep(args.warmup)
            rounds = []
            parts = profile.snapshot() if profile else {}
            groups = thread_groups(os.getpid())
            warm = sum(w.analyser.frames for w in workers)
            try:
                for _ in range(args.rounds):
                    cpu, wall, done, detected, dropped = window(workers, args.seconds)
                    alone = detector_alone(settings, frames, args.repeats)
                    rounds.append(Round(cpu, wall, done, detected, dropped, alone))
                    print(json.dumps(rounds[-1].__dict__), flush=True)
                if profile:
                    analysed = sum(w.analyser.frames for w in workers) - warm
                    show_profile(analysed, parts, profile.snapshot(), groups)
            finally:
                connects = [h.feed.stats.sessions for w in workers for h in w.cameras.values()]
                for worker in workers:
                    worker.stop_event.set()
                for thread in threads:
                    thread.join(30)
            changes = sum(w.analyser.changes for w in workers)
            print(f"event changes spooled: {changes}; connects: {connects}")
    return rounds


def show_profile(
    frames: int, parts: dict[str, float], now: dict[str, float], groups: dict[str, float]
) -> None:
    """CPU ms per analysed frame by part and by thread over the windows (the detector-alone
    rounds are in the main thread's)."""
    print(f"where the CPU goes, ms per analysed frame ({frames} frames):")
    done = max(1, frames)
    for label, seconds in sorted(now.items()):
        print(f"  {label:<50} {1000 * (seconds - parts.get(label, 0.0)) / done:6.2f}")
    for name, seconds in sorted(thread_groups(os.getpid()).items()):
        print(f"  thread {name:<43} {1000 * (seconds - groups.get(name, 0.0)) / done:6.2f}")


def report(rounds: list[Round], args: argparse.Namespace) -> None:
    n = args.count
    per_cam = statistics.median(r.worker_cpu_s / r.wall_s / n for r in rounds)
    fps = statistics.median(r.frames / r.wall_s / n for r in rounds)
    det = statistics.median(r.detected / r.wall_s / n for r in rounds)
    alone = statistics.median(r.alone_ms for r in rounds)
    detect_share = det * alone / 1000 / per_cam
    share = f"{100 * moving_share():.0f} % moving" if args.footage == "typical" else "always moving"
    print(f"footage: {args.footage} ({share}), sub-stream at {args.sub_fps or 10} fps; "
          f"motion gate {args.gate}")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.1f}; {n} cameras, {args.fps} fps, "
          f"{args.workers} worker(s) of {args.threads or 'auto'} detector thread(s)")  # fmt: skip
    print(f"worker CPU per camera: {100 * per_cam:.1f}% of one core "
          f"({1000 * per_cam / max(fps, 1e-9):.1f} ms per analysed frame)")  # fmt: skip
    print(f"frames analysed per camera: {fps:.2f}/s, detector on {det:.2f}/s; "
          f"dropped in all: {sum(r.dropped for r in rounds)}")  # fmt: skip
    print(f"detector alone: {alone:.1f} ms CPU a frame -> {100 * detect_share:.0f}% of the "
          f"worker's CPU is the detector's")  # fmt: skip
    saturated = " (saturated: frames dropped)" if any(r.dropped for r in rounds) else ""
    print(f"frames analysed in all: {fps * n:.1f}/s = {fps * n / args.fps:.1f} cameras at "
          f"{args.fps} fps{saturated}")  # fmt: skip
    print(f"cameras per {MACHINE_CORES}-core machine at {args.fps} fps, from the CPU: "
          f"{MACHINE_CORES / per_cam:.1f} (the detector alone: "
          f"{MACHINE_CORES / (args.fps * alone / 1000):.1f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="Workers in this process.")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--footage",
        choices=("typical", "vtest"),
        default="typical",
        help="typical: a still room, people coming and going (bench/footage.py)",
    )
    parser.add_argument(
        "--gate",
        choices=("on", "off"),
        default="on",
        help="off: the detector runs on every kept frame",
    )
    parser.add_argument("--profile", action="store_true", help="Where the CPU goes.")
    parser.add_argument(
        "--sub-fps",
        type=int,
        choices=(2,),
        help="The cameras' sub-stream at this rate (default: the footage's 10 fps)",
    )
    args = parser.parse_args()
    report(run(args), args)


if __name__ == "__main__":
    main()
