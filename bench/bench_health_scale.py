"""Camera health at city scale: probes per second and CPU per probe against N loopback
streams from the camera simulator, next to `ffprobe` per camera in the same run.

Each round, in an order that rotates, over the same N cameras at the same concurrency:
- `prober sweep`: health.prober.Prober.run_once, the real thing: lease from SQLite,
  probe_stream (open, ~2 s of frames), picture.judge against the camera's baseline and
  reference, state.record, the reference snapshot written on the first healthy look;
- `probe + judge`: health.probe.probe_stream + picture.judge alone (no database), given
  each camera's keyframe interval from its last probe as the prober gives it (so from the
  second round on only keyframes are decoded);
- `probe + judge, every frame`: the same decoding every frame (the probe before keyframe
  probes, and what a camera with a long keyframe interval costs);
- `socket check`: health.probe.socket_check (the TCP connect between full probes);
- reference: `ffprobe` per camera (one process each, its defaults: it reads the stream
  until it knows the codecs, decodes nothing we keep).
CPU is process CPU time (user + system, all threads; ffprobe: its children's rusage)
divided by the probes done; figures are medians of the rounds. The simulator's server and
publishers run in other processes and are not counted: a city's cameras serve themselves.

Then the extrapolation: a city of `--city` cameras, a full probe every `--interval`
seconds and a connect check every `--socket-interval` seconds in between, as the prober
schedules them, as a share of this machine's cores.

    .venv/bin/python -m bench.bench_health_scale                       # 60 streams, 5 rounds
    .venv/bin/python -m bench.bench_health_scale --count 20 --rounds 2  # a quick look
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Level
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key
from nigrani.health import picture
from nigrani.health.probe import probe_stream, socket_check
from nigrani.health.prober import Prober
from nigrani.stations import service
from nigrani.stations.schemas import StationCameraCreate
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import prepare_media

CORES = os.cpu_count() or 1
MEDIA_DIR = Path(__file__).resolve().parents[1] / "var" / "simulator"
FFPROBE = "reference: ffprobe per camera"
PROBE, EVERY_FRAME = "probe + judge", "probe + judge, every frame"
GOAL = "goal: a full sweep of the city within <= 50% of the machine"


@dataclass
class Line:
    """One way of looking at every camera: its rounds' figures."""

    name: str
    cpu_ms: list[float] = field(default_factory=list)  # CPU per probe
    rate: list[float] = field(default_factory=list)  # probes per second (wall)
    ok: list[int] = field(default_factory=list)  # probes that saw a picture / an answer

    def add(self, cpu_s: float, wall_s: float, done: int, ok: int) -> None:
        self.cpu_ms.append(1000 * cpu_s / max(done, 1))
        self.rate.append(done / wall_s if wall_s > 0 else 0.0)
        self.ok.append(ok)

    def cpu(self) -> float:
        return statistics.median(self.cpu_ms)

    def row(self, count: int) -> str:
        ok = f"{min(self.ok)}-{max(self.ok)}" if min(self.ok) != max(self.ok) else str(self.ok[0])
        return (
            f"{self.name:<32} {self.cpu():8.1f} ms CPU/probe "
            f"(rounds {min(self.cpu_ms):.1f}-{max(self.cpu_ms):.1f}) "
            f"{statistics.median(self.rate):6.2f} probes/s   ok {ok} of {count}"
        )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(line: Line, run: Callable[[], tuple[int, int]], *, children: bool = False) -> None:
    """Run one round of a line; add its CPU (ours, or our children's) and rate."""
    cpu = children_cpu if children else time.process_time
    began_cpu, began = cpu(), time.monotonic()
    done, ok = run()
    line.add(cpu() - began_cpu, time.monotonic() - began, done, ok)


def make_settings(root: Path, args: argparse.Namespace) -> Settings:
    return Settings(
        database_url=f"sqlite:///{root / 'bench.sqlite3'}",
        var_dir=root / "var",
        secret_key="h" * 40,
        encryption_key=generate_key(),
        health_concurrency=args.concurrency,
        health_read_s=args.read_s,
    )


def register(settings: Settings, sim: Simulator) -> None:
    """One station with every simulated camera (no recorder reads them: probed)."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        node = None
        for code, level in (("H", Level.COMMISSIONERATE), ("HZ", Level.ZONE),
                            ("HC", Level.CIRCLE), ("HS", Level.STATION)):  # fmt: skip
            node = jurisdiction.create_node(
                session, code=code, level=level, name_en=code, name_hi=code, parent=node
            )
        assert node is not None
        for camera in sim.cameras:
            data = StationCameraCreate(
                station_id=node.id, name=camera.name, role="reception", main_url=camera.main_url
            )
            service.create_camera(
                session, settings=settings, actor=audit.SYSTEM, scope_path="/", data=data
            )
    engine.dispose()


class Bench:
    """The lines of one run, over the same cameras."""

    def __init__(self, sim: Simulator, settings: Settings, args: argparse.Namespace) -> None:
        self.sim, self.settings, self.args = sim, settings, args
        self.urls = [camera.main_url for camera in sim.cameras]
        self.engine = make_engine(settings.db_url)
        self.factory = make_sessionmaker(self.engine)
        self.baselines: dict[str, dict[str, Any]] = {}
        self.references: dict[str, np.ndarray] = {}
        self.gops: dict[str, float | None] = {}
        names = ("prober sweep (SQLite)", PROBE, EVERY_FRAME, "socket check", FFPROBE)
        self.lines = {name: Line(name) for name in names}

    def _pool(self, work: Callable[[str], bool]) -> tuple[int, int]:
        with ThreadPoolExecutor(self.args.concurrency) as pool:
            results = list(pool.map(work, self.urls))
        return len(results), sum(results)

    def sweep(self) -> tuple[int, int]:
        prober = Prober(self.factory, self.settings, concurrency=self.args.concurrency)
        try:
            done = prober.run_once()
        finally:
            prober.shutdown()
        return done, prober.counters.by_state.get("working", 0)

    def _probe(self, url: str, *, keyframes: bool = True) -> bool:
        result = probe_stream(
            url, timeout_s=5.0, read_s=self.args.read_s, transport="udp",
            gop_s=self.gops.get(url) if keyframes else None,
        )  # fmt: skip
        if keyframes:
            self.gops[url] = result.gop_s
        if result.reason or not result.frames:
            return False
        judgement = picture.judge(
            result.frames, baseline=self.baselines.get(url, {}),
            reference=self.references.get(url), audio_db=result.audio_db,
            expect_audio=True, night=False,
        )  # fmt: skip
        self.baselines[url] = judgement.baseline
        self.references.setdefault(url, picture.reference_frame(result.frames))
        return not judgement.reason

    def _socket(self, url: str) -> bool:
        return socket_check(url, timeout_s=1.0)

    def _ffprobe(self, url: str) -> bool:
        args = [self.args.ffprobe, "-v", "error", "-rtsp_transport", "udp", "-timeout", "5000000"]
        args += ["-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
        return done.returncode == 0 and "h264" in done.stdout

    def round(self, number: int) -> None:
        steps: list[tuple[str, Callable[[], tuple[int, int]], bool]] = [
            ("prober sweep (SQLite)", self.sweep, False),
            (PROBE, lambda: self._pool(self._probe), False),
            (EVERY_FRAME, lambda: self._pool(lambda url: self._probe(url, keyframes=False)), False),
            ("socket check", lambda: self._pool(self._socket), False),
            (FFPROBE, lambda: self._pool(self._ffprobe), True),
        ]
        shift = number % len(steps)
        for name, run, children in steps[shift:] + steps[:shift]:
            measured(self.lines[name], run, children=children)
        ours, theirs = self.lines["prober sweep (SQLite)"], self.lines[FFPROBE]
        print(f"round {number + 1}: prober {ours.cpu_ms[-1]:.1f} ms CPU/probe, "
              f"ffprobe {theirs.cpu_ms[-1]:.1f}", flush=True)  # fmt: skip


def extrapolate(bench: Bench, args: argparse.Namespace) -> None:
    """The city's sweep as a share of the machine, from the measured costs."""
    full_rate = args.city / args.interval
    socket_rate = args.city * (args.interval / args.socket_interval - 1) / args.interval
    sweep = bench.lines["prober sweep (SQLite)"].cpu() / 1000
    sock = bench.lines["socket check"].cpu() / 1000
    ffprobe = bench.lines[FFPROBE].cpu() / 1000
    ours = full_rate * sweep + socket_rate * sock
    print(f"\ncity: {args.city} cameras, a full probe every {args.interval} s "
          f"({full_rate:.1f}/s), a connect check every {args.socket_interval} s between "
          f"({socket_rate:.1f}/s)")  # fmt: skip
    print(f"prober: {ours:.2f} cores = {100 * ours / CORES:.1f}% of {CORES} cores ({GOAL})")
    print(f"  of which connect checks: {100 * socket_rate * sock / CORES:.1f}% of the machine")
    print(f"reference, ffprobe per camera per interval: {full_rate * ffprobe:.2f} cores = "
          f"{100 * full_rate * ffprobe / CORES:.1f}% of the machine")  # fmt: skip
    every = full_rate * bench.lines[EVERY_FRAME].cpu() / 1000 + socket_rate * sock
    print(f"  the same decoding every frame (a long keyframe interval): "
          f"{100 * every / CORES:.1f}% of the machine")  # fmt: skip
    wall = statistics.median(1 / r for r in bench.lines[PROBE].rate) * args.concurrency
    print(f"checks at once needed for {full_rate:.1f} probes/s at {wall:.2f} s a probe: "
          f"{full_rate * wall:.0f} (measured with {args.concurrency})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=60, help="loopback streams")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--read-s", type=float, default=2.0, help="seconds of frames a probe reads")
    parser.add_argument("--variant", default="sub", choices=("sub", "sd", "hd"))
    parser.add_argument("--city", type=int, default=6720, help="cameras to extrapolate to")
    parser.add_argument("--interval", type=int, default=300, help="full probe, seconds")
    parser.add_argument("--socket-interval", type=int, default=60, help="connect check, seconds")
    parser.add_argument("--ffprobe", default=shutil.which("ffprobe") or "ffprobe")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {CORES} cores, load {os.getloadavg()[0]:.1f}; "
          f"{args.count} loopback streams ({args.variant}, H.264 + AAC), "
          f"{args.concurrency} at once, {args.rounds} rounds")  # fmt: skip
    media = prepare_media(directory=MEDIA_DIR, variants=[args.variant])[args.variant]
    with tempfile.TemporaryDirectory(prefix="bench-health-") as tmp:
        settings = make_settings(Path(tmp), args)
        with Simulator(main=media, count=args.count, ports=Ports.free(),
                       log_dir=Path(tmp) / "logs") as sim:  # fmt: skip
            register(settings, sim)
            bench = Bench(sim, settings, args)
            for number in range(args.rounds):
                bench.round(number)
            print()
            for line in bench.lines.values():
                print(line.row(args.count))
            extrapolate(bench, args)
            bench.engine.dispose()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
