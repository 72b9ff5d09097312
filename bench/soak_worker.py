"""The analytics worker's soak: one `nigrani worker` process on N simulated cameras whose
streams are dropped and restored again and again, its memory sampled all along.

Every 30-60 s (random, seeded) one camera is dropped for 5-20 s: either the server stops
publishing it (the simulator's `stopped` fault: DESCRIBE answers 404) or its publisher is
killed (the stream dies mid-session); then it is restored. The worker posts to nobody, so
every event change waits in its spool. Its RSS (/proc) is read every 10 s. Prints RSS at
start, after the warm-up and at the end, the slope after the warm-up (least squares, MB per
10 minutes), the drops, the worker's reconnects and frames, the event changes spooled, and
whether the process stayed up.

    .venv/bin/python -m bench.soak_worker --count 6 --minutes 12
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.fleet import bench_settings, register, rss_mb, settings_env
from bench.footage import moving_share, typical_footage
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media

MEDIA = Path(__file__).resolve().parents[1] / "var" / "simulator"
ZONES = [{"name": "room", "points": [(0.0, 0.3), (1.0, 0.3), (1.0, 1.0), (0.0, 1.0)],
          "kind": "waiting"}]  # fmt: skip
RECONNECT = re.compile(r"camera (\d+) analytics: .*; retry in")


class Drops:
    """The seeded schedule of stream drops and restores."""

    def __init__(self, sim: Simulator, rng: random.Random, every: tuple[float, float]) -> None:
        self.sim, self.rng, self.every = sim, rng, every
        self.next_at = time.monotonic() + rng.uniform(*every)
        self.down: tuple[str, str, float] | None = None  # camera, how, restore at
        self.done = {"stopped": 0, "killed": 0}
        self.slow = 0  # restores not served within 30 s

    def tick(self) -> None:
        now = time.monotonic()
        if self.down and now >= self.down[2]:
            name, how, _ = self.down
            self.down = None
            try:
                if how == "stopped":
                    self.sim.set_fault(name, "", ready_timeout_s=30)
                else:
                    self.sim.restart(name, ready_timeout_s=30)
                said = "restored"
            except SimulatorError as exc:  # a loaded machine: its publisher is up, not yet served
                self.slow += 1
                said = f"restored, not yet served ({exc})"
            print(f"  {time.strftime('%H:%M:%S')} {name} {said}", flush=True)
        if self.down is None and now >= self.next_at:
            name = self.rng.choice(self.sim.cameras).name
            how = self.rng.choice(("stopped", "killed"))
            if how == "stopped":
                self.sim.set_fault(name, "stopped")
            else:
                self.sim.kill(name)
            self.done[how] += 1
            self.down = (name, how, now + self.rng.uniform(5, 20))
            self.next_at = now + self.rng.uniform(*self.every)
            print(f"  {time.strftime('%H:%M:%S')} {name} dropped ({how})", flush=True)


def slope_mb_per_10min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS over time, in MB per 10 minutes."""
    t = np.array([s[0] for s in samples])
    mb = np.array([s[1] for s in samples])
    return float(np.polyfit(t, mb, 1)[0] * 600) if len(samples) >= 2 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--minutes", type=float, default=12.0, help="Whole soak, warm-up in.")
    parser.add_argument("--warmup", type=float, default=120.0, help="Seconds before the fit.")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--sample", type=float, default=10.0)
    parser.add_argument("--footage", choices=("typical", "vtest"), default="typical")
    parser.add_argument("--samples-out", type=Path, help="Write the RSS samples here (JSON).")
    args = parser.parse_args()
    source = typical_footage(MEDIA) if args.footage == "typical" else None
    media = prepare_media(directory=MEDIA, source=source)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="soak-worker-") as tmp:
        root = Path(tmp)
        settings = bench_settings(root)
        with Simulator(main=media["sd"], sub=media["sub"], count=args.count, ports=Ports.free(),
                       log_dir=root / "sim") as sim:  # fmt: skip
            register(settings, sim, zones=ZONES, sub=True)
            env = settings_env(
                settings,
                NIGRANI_ANALYTICS_TOKEN="soak",  # noqa: S106 - nobody is asked
                NIGRANI_ANALYTICS_SERVER_URL="http://127.0.0.1:9",  # nobody: all is spooled
                NIGRANI_ANALYTICS_DETECTOR_THREADS="1",
            )
            argv = [sys.executable, "-m", "nigrani", "worker", "--cameras", str(args.count),
                    "--status-every", "0"]  # fmt: skip
            log_path = root / "worker.log"
            share = f"{100 * moving_share():.0f} % moving" if source else "always moving"
            print(f"soak: {args.count} cameras ({args.footage} footage, {share}), "
                  f"{args.minutes} min, seed {args.seed}")  # fmt: skip
            with log_path.open("wb") as log:
                proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)  # noqa: S603
                began = time.monotonic()
                samples: list[tuple[float, float]] = []
                drops = Drops(sim, rng, (30.0, 60.0))
                up = True
                next_sample = began
                try:
                    while time.monotonic() - began < args.minutes * 60:
                        if proc.poll() is not None:
                            up = False
                            break
                        if time.monotonic() >= next_sample:
                            mb = rss_mb(proc.pid)
                            if mb is not None:
                                samples.append((time.monotonic() - began, mb))
                            next_sample += args.sample
                        drops.tick()
                        time.sleep(0.5)
                finally:
                    if proc.poll() is None:
                        proc.terminate()
                    code = proc.wait(120)
            said = log_path.read_text(errors="replace")
            spooled = len(list((root / "var" / "analytics-spool").glob("*.json")))
    report(samples, args, drops, said, up=up, code=code, spooled=spooled)


def report(
    samples: list[tuple[float, float]],
    args: argparse.Namespace,
    drops: Drops,
    said: str,
    *,
    up: bool,
    code: int,
    spooled: int,
) -> None:
    after = [s for s in samples if s[0] >= args.warmup]
    warm = after[0] if after else samples[-1]
    reconnects: dict[str, int] = {}
    for match in RECONNECT.finditer(said):
        reconnects[match.group(1)] = reconnects.get(match.group(1), 0) + 1
    summary = next((ln for ln in said.splitlines() if "stopped after" in ln), "(no summary)")
    print(f"RSS: start {samples[0][1]:.0f} MB (at {samples[0][0]:.0f} s), after warm-up "
          f"{warm[1]:.0f} MB (at {warm[0]:.0f} s), end {samples[-1][1]:.0f} MB "
          f"(at {samples[-1][0]:.0f} s), max {max(s[1] for s in samples):.0f} MB")  # fmt: skip
    print(f"RSS slope after warm-up: {slope_mb_per_10min(after):+.1f} MB per 10 min "
          f"({len(after)} samples)")  # fmt: skip
    half = len(after) // 2
    print(f"  first half {slope_mb_per_10min(after[:half]):+.1f}, second half "
          f"{slope_mb_per_10min(after[half:]):+.1f} MB per 10 min (a leak keeps its slope; "
          f"an allocator warming up flattens)")  # fmt: skip
    print(f"drops: {drops.done} (restores not served within 30 s: {drops.slow})")
    print(f"worker reconnects per camera id: {reconnects} (total {sum(reconnects.values())})")
    print(f"event changes spooled: {spooled}; tracebacks in the log: {said.count('Traceback')}")
    print(f"worker stayed up: {up}; exit code after SIGTERM: {code}")
    print(summary)
    if args.samples_out:
        args.samples_out.write_text(json.dumps(samples))


if __name__ == "__main__":
    main()
