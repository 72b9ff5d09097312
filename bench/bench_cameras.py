"""The camera simulator under load: N cameras served, every stream pulled with PyAV at once.

Prints the open time of each reader (stations.streams.open_stream), the packets and bytes
each stream delivered per second, and the CPU the RTSP server and the publishers used.

    .venv/bin/python -m bench.bench_cameras --count 30 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import prepare_media
from nigrani.stations.streams import open_stream

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Reading:
    url: str
    open_s: float = 0.0
    packets: dict[str, int] = field(default_factory=dict)
    size: int = 0
    codecs: set[str] = field(default_factory=set)
    error: str = ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (from /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def read(reading: Reading, seconds: float, start: threading.Barrier) -> None:
    start.wait()
    began = time.monotonic()
    try:
        with open_stream(reading.url, transport="udp") as container:
            reading.open_s = time.monotonic() - began
            reading.codecs = {s.codec_context.name for s in container.streams}
            until = time.monotonic() + seconds
            for packet in container.demux():
                kind = packet.stream.type
                reading.packets[kind] = reading.packets.get(kind, 0) + 1
                reading.size += packet.size
                if time.monotonic() > until:
                    break
    except Exception as exc:  # a benchmark reports every failure, whatever its kind
        reading.error = f"{type(exc).__name__}: {exc}"


def report(readings: list[Reading], seconds: float, cpu: tuple[float, float], wall: float) -> None:
    opened = sorted(r.open_s for r in readings if not r.error)
    failed = [r for r in readings if r.error]
    print(f"streams {len(readings)}, failed {len(failed)}")
    for r in failed[:5]:
        print(f"  {r.url}: {r.error}")
    if opened:
        print(
            f"open s: median {statistics.median(opened):.3f}, max {opened[-1]:.3f}, "
            f"min {opened[0]:.3f}"
        )
    for kind in ("video", "audio"):
        rates = [r.packets.get(kind, 0) / seconds for r in readings if not r.error]
        if rates:
            print(f"{kind} packets/s per stream: min {min(rates):.1f}, max {max(rates):.1f}")
    kbps = [r.size * 8 / seconds / 1000 for r in readings if not r.error]
    if kbps:
        print(f"kbit/s per stream: median {statistics.median(kbps):.0f}")
    for role, used in zip(("server", "publishers"), cpu, strict=True):
        print(f"{role} CPU: {used:.2f} s in {wall:.1f} s = {100 * used / wall:.0f}% of one core")
    fast = [r for r in readings if r.packets.get("video", 0) > 12 * seconds]
    print(f"streams faster than real time: {[r.url.rsplit('/', 1)[1] for r in fast]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--variant", default="sd", choices=("sd", "hd", "sub"))
    parser.add_argument("--no-sub", action="store_true", help="publish and read main streams only")
    parser.add_argument("--log-dir", type=Path, help="server and publisher logs")
    args = parser.parse_args()
    variants = [args.variant] if args.no_sub else [args.variant, "sub"]
    media = prepare_media(directory=Path("var/simulator"), variants=variants)
    sub = () if args.no_sub else media["sub"]
    with Simulator(
        main=media[args.variant],
        sub=sub,
        count=args.count,
        ports=Ports.free(),
        log_dir=args.log_dir,
    ) as sim:
        urls = [u for c in sim.cameras for u in (c.main_url, c.sub_url) if u]
        readings = [Reading(url) for url in urls]
        start = threading.Barrier(len(readings) + 1)
        threads = [threading.Thread(target=read, args=(r, args.seconds, start)) for r in readings]
        for thread in threads:
            thread.start()
        server, publishers = sim.pids()[:1], sim.pids()[1:]
        before = cpu_seconds(server), cpu_seconds(publishers)
        wall_before = time.monotonic()
        start.wait()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - wall_before
        cpu = cpu_seconds(server) - before[0], cpu_seconds(publishers) - before[1]
    report(readings, args.seconds, cpu, wall)


if __name__ == "__main__":
    main()
