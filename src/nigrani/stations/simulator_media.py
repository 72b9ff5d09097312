"""Demo footage for the camera simulator, prepared once and cached under var/.

Real outdoor video (OpenCV's vtest.avi) with a sound track a station hears: Hindi
sentences from espeak-ng over low room noise. Encoded the way a CCTV camera sends it
(H.264 without B-frames, a key frame every second, AAC audio), so that publishers only
copy packets (`-c copy`) and the browser plays the audio without transcoding.

Faulty cameras (`faulty_media`) are made from the same footage with FFmpeg filters and
cached the same way: black, covered, defocused, frozen, moved (another view) and silent.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final

import av

TOOLS: Final = ("ffmpeg", "espeak-ng", "rtsp-server-perl", "perl")
SOURCE_CANDIDATES: Final = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "vtest.avi",
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
)
SPEECH: Final = (
    "मेरी शिकायत दर्ज कीजिए",
    "साहब मेरी बात सुनिए",
    "मेरा मोबाइल फ़ोन चोरी हो गया है",
    "कृपया बैठ जाइए, आपकी बारी आएगी",
    "थाना प्रभारी अभी बाहर गए हैं",
)
SPEECH_SLOT_S: Final = (7, 9, 8, 10, 6)  # each sentence, then quiet until its slot ends
ROOM_NOISE: Final = "anoisesrc=color=brown:amplitude=0.03:sample_rate=48000:seed=7"
H264: Final = ("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency")
GOP: Final = ("-g", "10", "-bf", "0", "-pix_fmt", "yuv420p")


# What a simulated camera can suffer. `stopped`: the server does not publish it (DESCRIBE
# answers 404, as when a camera's stream dies); `hung`: a TCP port that accepts the
# connection and never answers; the rest are pictures (or sound) made by `faulty_media`.
MEDIA_FAULTS: Final = ("black", "covered", "defocused", "frozen", "moved", "silent")
FAULTS: Final = ("stopped", "hung", *MEDIA_FAULTS)
FAULT_SECONDS: Final = 20  # a fault clip's length; publishers loop it


class SimulatorError(RuntimeError):
    """The simulator cannot run: a tool or the source footage is missing, or a step failed."""


@dataclass(frozen=True)
class Variant:
    """One prepared encoding; many cameras may share it."""

    name: str
    width: int
    height: int
    video_kbps: int
    audio_kbps: int
    fps: int | None = None  # None: the footage's own rate (vtest's 10)

    def args(self) -> tuple[str, ...]:
        rate = f"{self.video_kbps}k"
        scale = f"scale={self.width}:{self.height}"
        if self.fps is not None:  # a camera set to send fewer frames; a key frame a second
            scale, gop = f"fps={self.fps},{scale}", ("-g", str(self.fps), *GOP[2:])
        else:
            gop = GOP
        return (
            *("-vf", scale, *H264, *gop),
            *("-b:v", rate, "-maxrate", f"{self.video_kbps * 6 // 5}k", "-bufsize", rate),
            *("-c:a", "aac", "-b:a", f"{self.audio_kbps}k", "-ac", "1", "-ar", "48000"),
        )


VARIANTS: Final = {
    v.name: v
    for v in (
        Variant("sd", 768, 576, 1000, 64),  # vtest's own size: the default main stream
        Variant("hd", 1280, 720, 1800, 64),  # 720p for the recorder benchmark
        Variant("sub", 384, 288, 300, 32),  # the low-resolution sub-stream
        # the sub-stream of a camera set to the analytics rate (the worker benchmark)
        Variant("sub2fps", 384, 288, 120, 32, fps=2),
    )
}


def require_tools() -> dict[str, str]:
    """Full paths of the simulator's programs; a clear error naming the missing ones."""
    found = {tool: shutil.which(tool) for tool in TOOLS}
    missing = [tool for tool, path in found.items() if path is None]
    if missing:
        raise SimulatorError(
            f"Not installed: {', '.join(missing)}. Run `make media-tools` "
            "(Debian: apt-get install ffmpeg espeak-ng rtsp-server-perl)."
        )
    return {tool: path for tool, path in found.items() if path is not None}


def find_source(source: Path | None = None) -> Path:
    """The footage to loop: the given file, or vtest.avi where the repo or Debian keeps it."""
    for candidate in (source,) if source else SOURCE_CANDIDATES:
        if candidate and candidate.is_file():
            return candidate
    raise SimulatorError(
        f"No source footage at {source or ' or '.join(map(str, SOURCE_CANDIDATES))} "
        "(vtest.avi comes with Debian's opencv-doc)."
    )


def _run(args: Sequence[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argument list, no shell
    if done.returncode:
        raise SimulatorError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-600:]}")


def _atomic(target: Path, make: Callable[[Path], None]) -> Path:
    """Build into a temporary name and rename, so parallel runs never see half a file."""
    if not target.exists():
        building = target.with_name(f".{target.stem}.{os.getpid()}{target.suffix}")
        make(building)
        building.replace(target)
    return target


def media_duration_s(source: Path) -> float:
    """The video's length in seconds."""
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / av.time_base


def _espeak(out: Path, *, espeak: str, sentence: str) -> None:
    _run([espeak, "-v", "hi", "-w", str(out), sentence])


def _speech(directory: Path, tools: dict[str, str]) -> list[Path]:
    files = []
    for index, sentence in enumerate(SPEECH):
        digest = hashlib.sha256(sentence.encode()).hexdigest()[:8]
        espeak = partial(_espeak, espeak=tools["espeak-ng"], sentence=sentence)
        files.append(_atomic(directory / f"speech-{index}-{digest}.wav", espeak))
    return files


def _room_audio(target: Path, speech: list[Path], duration_s: float, ffmpeg: str) -> None:
    """Speech in slots, looped over the video's length and mixed over low room noise."""
    inputs = [arg for wav in speech for arg in ("-i", str(wav))]
    pads = ";".join(f"[{i}]apad=whole_dur={s}[s{i}]" for i, s in enumerate(SPEECH_SLOT_S))
    joined = "".join(f"[s{i}]" for i in range(len(speech)))
    graph = (
        f"{pads};{joined}concat=n={len(speech)}:v=0:a=1,aresample=48000,"
        f"aloop=loop=-1:size=2147483647[talk];[talk][{len(speech)}]"
        f"amix=inputs=2:duration=longest:normalize=0,atrim=duration={duration_s:.3f}[out]"
    )
    noise = ("-f", "lavfi", "-i", ROOM_NOISE)
    args = ("-filter_complex", graph, "-map", "[out]", "-ac", "1", "-ar", "48000")
    _run([ffmpeg, "-v", "error", "-y", *inputs, *noise, *args, str(target)])


def _encode(target: Path, *, source: Path, audio: Path, variant: Variant, ffmpeg: str) -> None:
    inputs = ("-i", str(source), "-i", str(audio), "-map", "0:v:0", "-map", "1:a:0")
    tail = ("-shortest", "-movflags", "+faststart", "-f", "mp4", str(target))
    _run([ffmpeg, "-v", "error", "-y", *inputs, *variant.args(), *tail])


def _rotate(target: Path, *, prepared: Path, start_s: int, ffmpeg: str) -> None:
    """The same footage starting `start_s` into the loop: cut at a key frame, no re-encode."""
    listing = target.with_suffix(".txt")
    name = str(prepared.resolve()).replace("'", "'\\''")
    listing.write_text(f"file '{name}'\ninpoint {start_s}\nfile '{name}'\noutpoint {start_s}\n")
    concat = ("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy")
    try:
        _run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                *concat,
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(target),
            ]
        )
    finally:
        listing.unlink()


def _phases(prepared: Path, *, phases: int, duration_s: float, ffmpeg: str) -> tuple[Path, ...]:
    """The prepared file and rotated copies, so neighbouring cameras show different moments.

    (`-ss` with `-stream_loop` would be simpler, but FFmpeg then bursts after each loop.)
    """
    files = [prepared]
    for phase in range(1, phases):
        start_s = int(duration_s * phase / phases)
        target = prepared.with_name(f"{prepared.stem}-at{start_s}s.mp4")
        files.append(
            _atomic(target, partial(_rotate, prepared=prepared, start_s=start_s, ffmpeg=ffmpeg))
        )
    return tuple(files)


def _key(source: Path, *parts: object) -> str:
    stat = source.stat()
    recipe = repr((str(source), stat.st_size, stat.st_mtime_ns, SPEECH, SPEECH_SLOT_S, *parts))
    return hashlib.sha256(recipe.encode()).hexdigest()[:10]


def media_steps(variants: Sequence[str]) -> int:
    """How many steps prepare_media reports (for a progress bar)."""
    return 2 + len(variants)


def prepare_media(
    *,
    directory: Path,
    variants: Sequence[str] = ("sd", "sub"),
    source: Path | None = None,
    phases: int = 4,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, tuple[Path, ...]]:
    """Encode the variants once (cached by recipe); each variant's MP4 files, one per phase."""
    tools, footage = require_tools(), find_source(source)
    unknown = sorted(set(variants) - VARIANTS.keys())
    if unknown:
        raise SimulatorError(f"Unknown variant {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    step = on_step or (lambda _: None)
    directory.mkdir(parents=True, exist_ok=True)
    speech = _speech(directory, tools)
    step("speech")
    duration = media_duration_s(footage)
    room = directory / f"room-{_key(footage, ROOM_NOISE, duration)}.wav"
    _atomic(room, lambda out: _room_audio(out, speech, duration, tools["ffmpeg"]))
    step("room audio")
    made = {}
    for name in variants:
        variant = VARIANTS[name]
        target = directory / f"{name}-{_key(footage, room.name, variant.args())}.mp4"
        encode = partial(
            _encode, source=footage, audio=room, variant=variant, ffmpeg=tools["ffmpeg"]
        )
        prepared = _atomic(target, encode)
        made[name] = _phases(prepared, phases=phases, duration_s=duration, ffmpeg=tools["ffmpeg"])
        step(name)
    return made


def fault_filter(fault: str, width: int) -> str:
    """The FFmpeg video filter that makes footage `width` pixels wide show `fault` (""
    for `silent`, whose picture is untouched)."""
    filters = {
        # a dead sensor: black with a little noise
        "black": "lutyuv=y=16:u=128:v=128,noise=alls=4:allf=t",
        # a cloth or a hand on the lens: nearly opaque, light leaking round it
        "covered": f"gblur=sigma={width / 8:.0f},drawbox=c=0x2b2118@0.9:t=fill",
        # the lens out of focus
        "defocused": f"gblur=sigma={width / 110:.1f}",
        # the first picture repeated: nothing moves, the stream still flows
        "frozen": (
            "trim=end_frame=1,setpts=PTS-STARTPTS,"
            f"tpad=stop_mode=clone:stop_duration={FAULT_SECONDS}"
        ),
        # knocked round to look the other way: the scene mirrored, as sharp as before (a
        # crop scaled up would also blur it, and read as defocused)
        "moved": "hflip",
        "silent": "",
    }
    if fault not in filters:
        raise SimulatorError(f"Unknown fault {fault}; known: {', '.join(MEDIA_FAULTS)}")
    return filters[fault]


def _fault_args(fault: str, source: Path) -> tuple[str, ...]:
    with av.open(str(source)) as container:
        video = container.streams.video[0]
        width = video.codec_context.width
        kbps = max(100, (video.bit_rate or 1_000_000) // 1000)
    audio = ("-af", "volume=0", "-c:a", "aac", "-b:a", "32k") if fault == "silent" else ()
    picture = fault_filter(fault, width)
    if not picture:
        return ("-c:v", "copy", *audio)
    rate: tuple[str, ...] = ("-b:v", f"{kbps}k", "-maxrate", f"{kbps * 6 // 5}k")
    rate += ("-bufsize", f"{kbps}k")
    if fault == "frozen":  # a fixed quantiser: no bits left over to refine the still picture
        rate = ("-qp", "23")
    return ("-vf", picture, *H264, *GOP, *rate, *(audio or ("-c:a", "copy")))


def faulty_media(source: Path, fault: str) -> Path:
    """`source` (a prepared MP4) showing `fault`: FAULT_SECONDS long, encoded like it, made
    once next to it (cached by recipe)."""
    ffmpeg = require_tools()["ffmpeg"]
    args = _fault_args(fault, source)
    target = source.with_name(f"{source.stem}-{fault}-{_key(source, fault, args)}.mp4")

    def make(out: Path) -> None:
        head = (ffmpeg, "-v", "error", "-y", "-i", str(source), "-t", str(FAULT_SECONDS))
        tail = ("-map", "0:v:0", "-map", "0:a:0?", "-movflags", "+faststart", "-f", "mp4")
        _run([*head, *tail[:4], *args, *tail[4:], str(out)])

    return _atomic(target, make)
