"""Station recording under load: N simulated 720p H.264 + AAC cameras recorded at once by
one `nigrani recorder` process (segments + live HLS), next to a bare PyAV demux of the
same streams in one process (the floor: reading RTSP without writing anything).

Prints the recorder's CPU (of one core and of the machine), the RTSP server's and the
publishers' CPU, packets/s, segments written, bytes per camera per day (extrapolated), and
the goal (< 50 % of the machine for >= 100 streams).

    .venv/bin/python -m bench.bench_recorder --count 100 --seconds 60
    .venv/bin/python -m bench.bench_recorder --count 20 --seconds 20   # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av
from sqlalchemy import func, select

from bench.fleet import CORES, bench_settings, cpu_seconds, register, settings_env
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.stations.models import RecordingSegment, StationCamera
from nigrani.stations.recorder.journal import STOPPED_REASON
from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import prepare_media
from nigrani.stations.streams import open_stream

GOAL = "goal: < 50% of the machine for >= 100 streams"


@dataclass
class Window:
    """CPU seconds (all, and in the kernel) of each role over a measured wall time."""

    wall: float
    cpu: dict[str, float]
    system: dict[str, float]

    def line(self, role: str) -> str:
        one = 100 * self.cpu[role] / self.wall
        kernel = 100 * self.system[role] / self.wall
        return (
            f"{role:<22} {one:6.1f}% of one core, {one / CORES:5.1f}% of {CORES} cores "
            f"(kernel {kernel:4.1f}% of one core)"
        )


def measure(roles: dict[str, list[int]], seconds: float) -> Window:
    before = {role: cpu_seconds(pids) for role, pids in roles.items()}
    before_sys = {role: cpu_seconds(pids, system_only=True) for role, pids in roles.items()}
    began = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - began
    return Window(
        wall,
        {r: cpu_seconds(p) - before[r] for r, p in roles.items()},
        {r: cpu_seconds(p, system_only=True) - before_sys[r] for r, p in roles.items()},
    )


def make_settings(root: Path) -> Settings:
    return bench_settings(root, recording_segment_seconds=60)


def recorder_env(settings: Settings) -> dict[str, str]:
    segment = str(settings.recording_segment_seconds)
    return settings_env(settings, NIGRANI_RECORDING_SEGMENT_SECONDS=segment)


def wait_recording(settings: Settings, count: int, timeout_s: float) -> int:
    """Seconds until every camera has a live playlist; returns how many do."""
    deadline = time.monotonic() + timeout_s
    live = 0
    while time.monotonic() < deadline:
        live = sum(
            1 for p in settings.live_path.glob("*/main/index.m3u8")
            if time.time() - p.stat().st_mtime < 5
        )  # fmt: skip
        if live >= count:
            break
        time.sleep(0.5)
    return live


def live_lag(settings: Settings) -> list[float]:
    """Per camera: seconds between now and the end of the newest listed live segment."""
    lags = []
    now = datetime.now(UTC)
    for playlist in settings.live_path.glob("*/main/index.m3u8"):
        lines = playlist.read_text().splitlines()
        stamps = [ln.split(":", 1)[1] for ln in lines if ln.startswith("#EXT-X-PROGRAM-DATE-TIME")]
        lengths = [float(ln[8:].rstrip(",")) for ln in lines if ln.startswith("#EXTINF:")]
        if stamps and lengths:
            start = datetime.strptime(stamps[-1], "%Y-%m-%dT%H:%M:%S.%f%z")
            lags.append((now - start).total_seconds() - lengths[-1])
    return sorted(lags)


def recorded(settings: Settings) -> tuple[int, int, float]:
    """Segments, bytes and recorded seconds of every row (the last ones closed at stop)."""
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        row = session.execute(
            select(
                func.count(), func.coalesce(func.sum(RecordingSegment.bytes), 0),
                func.coalesce(func.sum(RecordingSegment.duration_s), 0.0),
            )
        ).one()  # fmt: skip
        errors = session.scalar(
            select(func.count()).where(StationCamera.last_error.not_in(["", STOPPED_REASON]))
        )
    engine.dispose()
    print(f"cameras with an error at the end: {errors}")
    return int(row[0]), int(row[1]), float(row[2])


def packets_in(settings: Settings) -> int:
    """Packets (video + audio) in every segment file written."""
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        paths = session.scalars(select(RecordingSegment.path)).all()
    engine.dispose()
    total = 0
    for path in paths:
        with av.open(str(settings.recordings_path / path)) as container:
            total += sum(1 for p in container.demux() if p.size)
    return total


def record(sim: Simulator, settings: Settings, args: argparse.Namespace) -> None:
    argv = [sys.executable, "-m", "nigrani", "recorder", "--cameras", str(args.count),
            "--transport", "udp", "--status-every", "0"]  # fmt: skip
    log = (settings.var_dir / "recorder.log").open("wb")
    proc = subprocess.Popen(argv, env=recorder_env(settings), stdout=log, stderr=log)  # noqa: S603
    try:
        live = wait_recording(settings, args.count, timeout_s=30 + args.count * 0.3)
        print(f"cameras live before measuring: {live}/{args.count}")
        server, publishers = sim.pids()[:1], sim.pids()[1:]
        window = measure(
            {"recorder": [proc.pid], "rtsp server": server, "publishers": publishers},
            args.seconds,
        )
        lags = live_lag(settings)
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
    print(f"\n== nigrani recorder, {args.count} cameras, {window.wall:.1f} s ==")
    said = (settings.var_dir / "recorder.log").read_text(errors="replace")
    print(next((line for line in said.splitlines() if "stopped after" in line), "(no summary)"))
    for role in window.cpu:
        print(window.line(role))
    # Every row, the last ones closed at stop: bytes and packets per recorded second.
    segments, size, seconds = recorded(settings)
    packets = packets_in(settings)
    print(f"segments written: {segments} ({seconds:.0f} s of footage)")
    if seconds:
        rate = packets / seconds * args.count
        print(f"packets/s (video + audio, counted in the files, all cameras): {rate:.0f}")
        per_day = size / seconds * 86400
        print(
            f"disk per camera per day: {per_day / 1e9:.2f} GB "
            f"({size * 8 / seconds / 1e3:.0f} kbit/s)"
        )
    if lags:
        median = statistics.median(lags)
        print(
            f"live edge: newest segment ends {median:.2f} s before now (median; max "
            f"{lags[-1]:.2f}); with hls.js 3 segments behind the edge, ~{median + 3 * 1.0:.1f} s"
        )
    machine = 100 * window.cpu["recorder"] / window.wall / CORES
    verdict = "met" if machine < 50 and args.count >= 100 else "not met"
    print(f"recorder {machine:.1f}% of the machine for {args.count} streams; {GOAL}: {verdict}")


def demux_reference(sim: Simulator, seconds: float) -> None:
    """The floor: every main stream read by PyAV in one process's threads, nothing written."""
    counts = [0] * len(sim.cameras)
    stop = threading.Event()

    def read(n: int, url: str) -> None:
        with open_stream(url, transport="udp") as container:
            for _packet in container.demux():
                counts[n] += 1
                if stop.is_set():
                    return

    threads = [
        threading.Thread(target=read, args=(n, c.main_url)) for n, c in enumerate(sim.cameras)
    ]
    for thread in threads:
        thread.start()
    time.sleep(5)
    before, began = sum(counts), time.monotonic()
    window = measure({"demux only": [os.getpid()]}, seconds)
    rate = (sum(counts) - before) / (time.monotonic() - began)
    stop.set()
    for thread in threads:
        thread.join(10)
    print(
        f"\n== reference: bare PyAV demux of the same {len(threads)} streams, "
        f"{window.wall:.1f} s =="
    )
    print(window.line("demux only"))
    print(f"packets/s: {rate:.0f}")


def ffmpeg_reference(sim: Simulator, root: Path, seconds: float) -> None:
    """Frigate's way: one `ffmpeg -c copy` process per camera, writing the same two outputs
    (60 s MPEG-TS segments and a 1 s fMP4 HLS playlist)."""
    processes = []
    for camera in sim.cameras:
        out = root / "ffmpeg" / camera.name
        out.mkdir(parents=True)
        # FFmpeg 5.1's CLI needs its default probe to learn the picture size here.
        argv = [sim.tools["ffmpeg"], "-nostdin", "-v", "error", "-rtsp_transport", "udp",
                "-i", camera.main_url, "-map", "0", "-c", "copy",
                "-f", "segment", "-segment_time", "60", "-reset_timestamps", "1",
                "-segment_format", "mpegts", str(out / "%05d.ts"),
                "-map", "0", "-c", "copy", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                "-hls_segment_type", "fmp4", "-hls_flags",
                "delete_segments+program_date_time+independent_segments+omit_endlist",
                str(out / "index.m3u8")]  # fmt: skip
        quiet = subprocess.DEVNULL
        processes.append(subprocess.Popen(argv, stdout=quiet, stderr=quiet))  # noqa: S603
        if len(processes) % 10 == 0:
            time.sleep(1.0)  # a hundred default probes at once starve each other
    try:
        playlists = [root / "ffmpeg" / c.name / "index.m3u8" for c in sim.cameras]
        deadline = time.monotonic() + 60
        while sum(p.exists() for p in playlists) < len(playlists) and time.monotonic() < deadline:
            time.sleep(1.0)
        time.sleep(3)
        window = measure({"ffmpeg -c copy": [p.pid for p in processes]}, seconds)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
    alive = sum(1 for c in sim.cameras if (root / "ffmpeg" / c.name / "index.m3u8").exists())
    print(f"\n== reference: one ffmpeg -c copy per camera ({alive} live), {window.wall:.1f} s ==")
    print(window.line("ffmpeg -c copy"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reference-seconds", type=float, default=20.0)
    parser.add_argument("--variant", default="hd", choices=("sd", "hd", "sub"))
    parser.add_argument("--no-ffmpeg", action="store_true", help="skip the ffmpeg reference")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    media = prepare_media(directory=Path("var/simulator"), variants=[args.variant])
    root = Path(tempfile.mkdtemp(prefix="bench-recorder-"))
    settings = make_settings(root)
    settings.var_dir.mkdir(parents=True)
    print(f"{args.count} cameras, {args.variant}, {CORES} cores, load {os.getloadavg()[0]:.2f}")
    try:
        with Simulator(main=media[args.variant], count=args.count, ports=Ports.free(),
                       log_dir=root / "sim") as sim:  # fmt: skip
            register(settings, sim)
            record(sim, settings, args)
            if args.reference_seconds > 0:
                demux_reference(sim, args.reference_seconds)
                if not args.no_ffmpeg:
                    ffmpeg_reference(sim, root, args.reference_seconds)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
