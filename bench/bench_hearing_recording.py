"""Video hearings: CPU per recorded side, and how many recorded hearings this machine holds.

The subject is `hearings.recorder.Recorder`, the server's own WebRTC peer (aiortc): it
decodes what a page sends (VP8 and Opus, as Chromium sends) and writes H.264 at most
15 frames a second and AAC into a fragmented MP4. The senders stand in for the pages: one
child process of aiortc peers, each playing a generated 640x480, 30 fps clip with a tone
(FFmpeg's testsrc2 and sine), so their encoding is not counted against the recorder. Only
this process's CPU time (all threads: aiortc's decoders, the encoders, the event loop) is
measured, over a fixed window once every peer is connected.

The reference, in the same run and interleaved round by round: the same peers answered by a
receive-only sink that decodes every frame and throws it away — what any server-side peer
pays before it writes a byte. The difference is the cost of writing the file.

A hearing has two sides (the citizen's page and the officer's), so a recorded hearing costs
two sides. "Held" is how many whole hearings fit in the machine's cores at the measured
cost per side, and the frames written per side per second show whether the recorder kept
up (15 is all it keeps). The senders' own CPU is shown too: they share this machine, so
where the machine is full the recorder's figures are a floor, not its limit.

    .venv/bin/python -m bench.bench_hearing_recording                  # sides 1 2 4 6
    .venv/bin/python -m bench.bench_hearing_recording --sides 2 4 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError

from nigrani.core.config import Settings
from nigrani.hearings.recorder import RECORD_FPS, Recorder

NOW = datetime(2031, 3, 4, 6, 30, tzinfo=UTC)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the senders (a child process) --------------------------------------------------------------


async def _send(count: int, clip: str) -> None:
    """Print `count` offers, read as many answers, play until stdin closes."""
    peers = []
    for _ in range(count):
        player = MediaPlayer(clip, options={"stream_loop": "-1"})
        pc = RTCPeerConnection()
        assert player.video is not None and player.audio is not None
        pc.addTrack(player.video)
        pc.addTrack(player.audio)
        await pc.setLocalDescription(await pc.createOffer())
        peers.append((pc, player))
        print(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}), flush=True)
    loop = asyncio.get_running_loop()
    for pc, _player in peers:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        await pc.setRemoteDescription(RTCSessionDescription(**json.loads(line)))
    await loop.run_in_executor(None, sys.stdin.readline)  # "stop", or stdin closed
    for pc, _player in peers:
        await pc.close()


# -- the reference: decode and drop -------------------------------------------------------------


class Dropper:
    """A receive-only peer per side that decodes every frame and keeps none."""

    def __init__(self) -> None:
        self.peers: list[RTCPeerConnection] = []
        self.frames = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def _drain(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                self.frames += 1

    async def answer(self, offer: dict[str, str]) -> dict[str, str]:
        pc = RTCPeerConnection()
        pc.on("track", lambda track: self.tasks.append(asyncio.ensure_future(self._drain(track))))
        await pc.setRemoteDescription(RTCSessionDescription(**offer))
        await pc.setLocalDescription(await pc.createAnswer())
        self.peers.append(pc)
        return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}

    async def close(self) -> None:
        for pc in self.peers:
            await pc.close()
        for task in self.tasks:
            task.cancel()


# -- one round -----------------------------------------------------------------------------------


def _round(mode: str, sides: int, clip: Path, seconds: float, media: Path) -> dict[str, float]:
    argv = [sys.executable, "-m", "bench.bench_hearing_recording", "--send", str(sides), str(clip)]
    sender = subprocess.Popen(  # noqa: S603 - our own argv
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sender.stdin is not None and sender.stdout is not None
    children, started = _children_cpu_s(), time.monotonic()
    offers = [json.loads(sender.stdout.readline()) for _ in range(sides)]
    settings = Settings(demo=True, media_dir=media, hearings_recorder_addresses="127.0.0.1")
    recorder = Recorder(settings)
    dropper = Dropper()
    try:
        for n, offer in enumerate(offers):
            if mode == "record":
                answer = recorder.answer(n + 1, "citizen", offer, [], now=NOW)
            else:
                answer = recorder._run(dropper.answer(offer))
            sender.stdin.write(json.dumps(answer) + "\n")
            sender.stdin.flush()
        time.sleep(3)  # every peer connected and its first keyframe decoded
        frames_before = _frames(recorder, dropper, mode, sides)
        cpu, wall = _cpu_s(), time.monotonic()
        time.sleep(seconds)
        cpu, wall = _cpu_s() - cpu, time.monotonic() - wall
        frames = _frames(recorder, dropper, mode, sides) - frames_before
    finally:
        sender.stdin.write("stop\n")
        sender.stdin.flush()
        if mode == "record":
            for n in range(sides):
                for done in recorder.stop(n + 1):
                    done.path.unlink(missing_ok=True)
        else:
            recorder._run(dropper.close())
        recorder.close()
        sender.wait(30)
    senders = (_children_cpu_s() - children) / (time.monotonic() - started)
    return {"cores": cpu / wall, "fps": frames / wall / sides, "senders": senders}


def _frames(recorder: Recorder, dropper: Dropper, mode: str, sides: int) -> int:
    if mode != "record":
        return dropper.frames
    return sum(recorder._sinks[(n + 1, "citizen")].video_frames for n in range(sides))


def _clip(folder: Path) -> Path:
    path = folder / "page.mp4"
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    subprocess.run(  # noqa: S603
        [ffmpeg, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "20",
         "-c:v", "libx264", "-g", "30", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[1, 2, 4, 6])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--send", nargs=2, metavar=("COUNT", "CLIP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        asyncio.run(_send(int(args.send[0]), args.send[1]))
        return
    cores = os.cpu_count() or 1
    print(f"{cores} cores; each side a 640x480 30 fps VP8 + Opus peer; {args.seconds:.0f} s")
    with tempfile.TemporaryDirectory() as folder:
        clip = _clip(Path(folder))
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for sides in args.sides:
                for mode in ("record", "receive"):  # subject and reference, interleaved
                    got = _round(mode, sides, clip, args.seconds, Path(folder) / "media")
                    results.setdefault((mode, sides), []).append(got)
                    print(f"  {mode:8} {sides} sides: {got['cores']:.2f} cores, "
                          f"{got['fps']:.1f} fps a side, senders {got['senders']:.2f} cores",
                          flush=True)  # fmt: skip
    print()
    print("sides  recorder cores  per side  fps kept  | receive-only cores  per side  |"
          " senders  | held")  # fmt: skip
    for sides in args.sides:
        rec = statistics.median(r["cores"] for r in results[("record", sides)])
        fps = statistics.median(r["fps"] for r in results[("record", sides)])
        ref = statistics.median(r["cores"] for r in results[("receive", sides)])
        senders = statistics.median(r["senders"] for r in results[("record", sides)])
        held = cores / (2 * rec / sides)
        print(f"{sides:5}  {rec:14.2f}  {rec / sides:8.3f}  {fps:5.1f}/{RECORD_FPS}  |"
              f" {ref:18.2f}  {ref / sides:8.3f}  | {senders:7.2f}  |"
              f" {held:4.1f} hearings")  # fmt: skip


if __name__ == "__main__":
    main()
