"""Scripted camera faults made from real footage with FFmpeg filters.

A `Source` is one fixed camera's view cut from a real video (a short shot is played forwards
and backwards until it lasts long enough); a `FaultCase` (the labelled table is in
`fault_cases.py`) is that view with a filter chain that breaks it the way cameras break:
painted black, a cloth over the lens, a lens out of focus, a stream stuck on one frame, a
camera knocked to look elsewhere, a microphone that went silent. `make_clip` renders a case
to an H.264 MP4 (what a camera's sub-stream carries), cached by the command that made it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import nigrani

WIDTH: Final = 640  # the sub-stream's width the clips are made at
FONT: Final = (
    Path(nigrani.__file__).resolve().parent / "web" / "static" / "fonts" / "NotoSans-Bold.ttf"
)
AUDIO: Final = {
    "none": "",
    # A room's hum and murmur, about -35 dBFS; a dead microphone's faint hiss, about -80 dBFS.
    "room": "anoisesrc=color=pink:amplitude=0.03:sample_rate=16000",
    "silence": "anullsrc=channel_layout=mono:sample_rate=16000",
    "hiss": "anoisesrc=color=white:amplitude=0.0001:sample_rate=16000",
}


@dataclass(frozen=True)
class Source:
    """One camera's view: `file` (in the footage folder) from `start_s` for `duration_s`."""

    name: str
    file: str
    start_s: float
    duration_s: float
    length_s: float  # how long the camera's clips last (a short shot is bounced to this)
    train_s: float  # the first seconds of the healthy clip, to learn the baseline from
    night: bool = False
    vf: str = ""  # applied before any fault (a night view is the day view dimmed and grainy)

    @property
    def bounce(self) -> bool:
        return self.length_s > self.duration_s + 0.5


@dataclass(frozen=True)
class FaultCase:
    """One labelled clip: `fault` is the reason it should be judged with ("" = healthy)."""

    name: str
    source: str
    fault: str
    vf: str = ""
    audio: str = "none"
    crf: int = 28
    footage: str = ""  # another source's view instead of this camera's (a camera turned away)
    note: str = ""


def clock(size: int = 28) -> str:
    """A burnt-in clock of whole seconds, as most cameras draw in a corner."""
    return (
        f"drawtext=fontfile='{FONT}':text='%{{eif\\:trunc(t)+36000\\:d}}':"
        f"x=w-tw-12:y=12:fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.4"
    )


def ffmpeg_command(case: FaultCase, source: Source, footage: Path, out: Path) -> list[str]:
    """The FFmpeg command that renders `case` from `source` (cut, scaled, faulted)."""
    chain = [f"scale={WIDTH}:-2", "setsar=1"]
    if source.bounce:
        chain = [*chain, "split[f][b];[b]reverse[r];[f][r]concat=n=2:v=1:a=0", _loop(source)]
    chain = [*chain, source.vf, case.vf, "format=yuv420p"]
    graph = "[0:v]" + ",".join(part for part in chain if part) + "[v]"
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", f"{source.start_s}", "-t", f"{source.duration_s}"]
    cmd += ["-i", str(footage)]
    if AUDIO[case.audio]:
        cmd += ["-f", "lavfi", "-i", AUDIO[case.audio]]
    cmd += ["-filter_complex", graph, "-map", "[v]"]
    if AUDIO[case.audio]:
        cmd += ["-map", "1:a", "-c:a", "aac", "-b:a", "48k"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(case.crf), "-g", "25"]
    return [*cmd, "-t", f"{source.length_s}", "-movflags", "+faststart", str(out)]


def make_clip(case: FaultCase, source: Source, footage: Path, cache: Path) -> Path:
    """Render the case (once: clips are cached by a hash of their command) and return it."""
    cache.mkdir(parents=True, exist_ok=True)
    probe = ffmpeg_command(case, source, footage, Path("out.mp4"))
    key = hashlib.sha256("\0".join(probe).encode()).hexdigest()[:16]
    out = cache / f"{case.name}-{key}.mp4"
    if out.exists():
        return out
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("FFmpeg is needed to make the fault clips")
    partial = out.with_suffix(".part.mp4")
    cmd = ffmpeg_command(case, source, footage, partial)
    subprocess.run([ffmpeg, *cmd[1:]], check=True, capture_output=True, timeout=300)  # noqa: S603
    partial.replace(out)
    return out


def _loop(source: Source) -> str:
    """Repeat the bounced shot (forwards then backwards) for the clip's whole length."""
    frames = round(source.duration_s * 2 * 30) + 10  # ≥ the bounce's frames at ≤ 30 fps
    return f"loop=loop=-1:size={frames},setpts=N/FRAME_RATE/TB"
