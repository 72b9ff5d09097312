"""Typical station footage for the worker's benchmarks: a room that is still most of the
time, with people coming and going, made from vtest.avi (which always moves).

The still spans are vtest's empty pavement (the median of frames across the clip: every
passer-by is gone) with a little sensor noise per frame; the walking spans are vtest's
own frames, cross-faded in and out over half a second. The loop is SPANS: 24 of its 80 s
(30 %) show people walking. The file is made once (cached by recipe) and passed as
`source` to simulator_media.prepare_media, which encodes it like any footage.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

import av
import numpy as np

from nigrani.stations.simulator_media import find_source

FPS: Final = 10
# (kind, seconds, where in vtest a walking span starts)
SPANS: Final = (
    ("still", 16, 0),
    ("walk", 12, 0),
    ("still", 16, 0),
    ("walk", 12, 40),
    ("still", 24, 0),
)
FADE_FRAMES: Final = 5
NOISE: Final = 2.0  # the still picture's sensor noise, grey levels (sd)


def moving_share() -> float:
    """The share of the loop's time with people walking."""
    walk = sum(s for kind, s, _ in SPANS if kind == "walk")
    return walk / sum(s for _, s, _ in SPANS)


def _frames(source: Path) -> list[np.ndarray]:
    with av.open(str(source)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def typical_footage(directory: Path, source: Path | None = None) -> Path:
    """The still-room loop as a near-lossless H.264 MP4 under `directory` (made once)."""
    return spans_footage(directory, SPANS, fade_frames=FADE_FRAMES, source=source)


# The alert-latency clip: hard cuts between the empty pavement and vtest's walkers.
CUT_SPANS: Final = (("still", 10, 0), ("walk", 10, 0), ("still", 10, 0), ("walk", 10, 22))


def cut_footage(directory: Path, source: Path | None = None) -> Path:
    """CUT_SPANS as an MP4 under `directory` (made once): every walk starts on a cut."""
    return spans_footage(directory, CUT_SPANS, fade_frames=0, source=source, name="cuts")


def spans_footage(
    directory: Path,
    spans: tuple[tuple[str, int, int], ...],
    *,
    fade_frames: int,
    source: Path | None = None,
    name: str = "typical",
) -> Path:
    """Still and walking spans (kind, seconds, where in vtest a walk starts) as a
    near-lossless H.264 MP4 under `directory`, made once (cached by recipe); a walk fades in
    and out over `fade_frames` (0: a hard cut)."""
    footage = find_source(source)
    stat = footage.stat()
    recipe = repr((str(footage), stat.st_size, spans, fade_frames, NOISE, FPS))
    target = directory / f"{name}-{hashlib.sha256(recipe.encode()).hexdigest()[:10]}.mp4"
    if target.exists():
        return target
    frames = _frames(footage)
    empty = np.median(np.stack(frames[::5]), axis=0).astype(np.float32)
    rng = np.random.default_rng(17)
    directory.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}")
    with av.open(str(building), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = empty.shape[1], empty.shape[0]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast"}
        for kind, seconds, at in spans:
            count = seconds * FPS
            for i in range(count):
                still = empty + rng.normal(0, NOISE, empty.shape).astype(np.float32)
                if kind == "walk":
                    ramp = max(1, fade_frames)
                    fade = min(1.0, (i + 1) / ramp, (count - i) / ramp)
                    picture = fade * frames[(at * FPS + i) % len(frames)] + (1 - fade) * still
                else:
                    picture = still
                rgb = np.clip(picture, 0, 255).astype(np.uint8)
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    building.replace(target)
    return target


if __name__ == "__main__":
    made = typical_footage(Path("var/simulator"))
    print(f"{made}: {100 * moving_share():.0f} % of the loop moving")
