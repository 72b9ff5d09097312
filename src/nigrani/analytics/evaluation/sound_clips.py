"""Scripted station-room sound clips for the raised-voice evaluation, made at eval time.

A clip (`SoundClip`, the labelled table is `sound_scenarios.json`) is a room's sound over
one to three minutes: a complainant and an officer talking (espeak-ng's Hindi voices,
`-v hi+m3` and the like, turn by turn), people shouting (espeak's amplitude, pitch and speed
raised), a TV's steady newsreader, and the room itself: a fan's hum, traffic (FFmpeg's
anoisesrc, swelling as vehicles pass), a phone ringing, a door banged, a horn outside. Each
part is placed at its scripted time and level: a voice's level is its active speech level
(dBFS of its 20 ms frames within 35 dB of its loudest), a noise's its RMS, so a distance is
a level and "12 dB over the room's speech" is exact. The mix is encoded as a camera's AAC
and cached by a hash of its script, so the ground truth is what was scripted.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

import av
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from nigrani.analytics.audio import SAMPLE_RATE, Floats, frames_samples
from nigrani.analytics.evaluation.scoring import Interval

SCENARIOS: Final = Path(__file__).with_name("sound_scenarios.json")
RENDER_VERSION: Final = 1  # part of each clip's cache key: bump when the rendering changes
FRAME: Final = 320  # 20 ms at 16 kHz: the frames a voice's active level is measured over
ACTIVE_DB: Final = 35.0  # frames this far under a voice's loudest are its pauses
FADE_S: Final = 0.05

Style = Literal["normal", "shout", "tv"]
NoiseKind = Literal["fan", "traffic", "murmur"]
BangKind = Literal["door", "phone", "horn", "clap"]

# espeak-ng's options per way of speaking (the level is set afterwards; -a shapes the voice)
STYLES: Final[dict[str, tuple[str, ...]]] = {
    "normal": ("-a", "90", "-s", "150", "-p", "45"),
    "shout": ("-a", "200", "-s", "185", "-p", "80"),
    "tv": ("-a", "120", "-s", "170", "-p", "40"),
}

LINES: Final[dict[str, tuple[str, ...]]] = {
    "complainant": (
        "नमस्ते साहब, मेरा नाम राम प्रसाद है, मैं कल्याणपुर से आया हूँ।",
        "मेरी मोटरसाइकिल कल रात घर के बाहर से चोरी हो गई।",
        "मैंने सुबह पड़ोसियों से पूछा, किसी ने कुछ नहीं देखा।",
        "गाड़ी का नंबर यू पी सत्तर, ए बी, चार पाँच छह सात है।",
        "मेरे पास उसके काग़ज़ और बीमा की रसीद भी है।",
        "कृपया मेरी शिकायत दर्ज कर लीजिए, मुझे काम पर भी जाना है।",
        "मेरी ज़मीन पर पड़ोसी ने कब्ज़ा कर लिया है, तीन महीने हो गए।",
    ),
    "officer": (
        "बैठिए, आराम से बताइए क्या हुआ है।",
        "आपकी गाड़ी किस समय तक घर के बाहर खड़ी थी?",
        "आधार कार्ड और गाड़ी के काग़ज़ों की एक प्रति दे दीजिए।",
        "हम आपकी शिकायत दर्ज कर रहे हैं, आपको एक नंबर मिलेगा।",
        "बीट के सिपाही आज शाम आपके मोहल्ले में जाएँगे।",
        "आप दो दिन बाद थाने आकर जानकारी ले सकते हैं।",
        "यहाँ हस्ताक्षर कीजिए, और यह रसीद अपने पास रखिए।",
    ),
    "shout": (
        "यह क्या हो रहा है! तीन महीने से मेरा काम क्यों नहीं हुआ?",
        "मुझे अभी जवाब चाहिए! मैं रोज़ रोज़ यहाँ नहीं आ सकता!",
        "आप लोग कुछ नहीं करते! मैं ऊपर शिकायत करूँगा!",
        "चुप रहो! बाहर निकलो यहाँ से, अभी के अभी!",
        "मेरी कोई सुनता क्यों नहीं है! बुलाओ अपने साहब को!",
    ),
    "tv": (
        "आज के मुख्य समाचार, प्रदेश में बारिश से कई ज़िलों में जलभराव हो गया है।",
        "मौसम विभाग ने अगले दो दिनों तक भारी वर्षा की चेतावनी जारी की है।",
        "शहर में नई बस सेवा कल से शुरू होगी, किराया दस रुपये होगा।",
        "क्रिकेट मैच में भारत ने पहले बल्लेबाज़ी करते हुए तीन सौ रन बनाए।",
    ),
}

# FFmpeg sources of the room's noises and of the loud non-speech events (16 kHz mono);
# {seed} makes each clip's noise its own
NOISES: Final[dict[str, str]] = {
    "fan": (
        "aevalsrc='0.6*sin(2*PI*50*t)+0.3*sin(2*PI*100*t)+0.2*sin(2*PI*150*t)':s=16000[h];"
        "anoisesrc=color=pink:seed={seed}:sample_rate=16000,lowpass=f=700[n];"
        "[h][n]amix=inputs=2:weights='1 1'[out0]"
    ),
    "traffic": (
        "anoisesrc=color=brown:seed={seed}:sample_rate=16000,lowpass=f=500,"
        "tremolo=f=0.1:d=0.7[out0]"
    ),
    "murmur": (
        "anoisesrc=color=pink:seed={seed}:sample_rate=16000,bandpass=f=500:width_type=o:w=2[out0]"
    ),
}
BANGS: Final[dict[str, str]] = {
    # a slammed door: a thud and a crack, gone in half a second
    "door": ("aevalsrc='(0.8*sin(2*PI*70*t)*exp(-9*t)+(random(0)*2-1)*exp(-25*t))':s=16000:d=0.6"),
    # an Indian ring: 0.4 s on, 0.2 off, 0.4 on, 2 s off, of 400 + 450 Hz
    "phone": (
        "aevalsrc='(sin(2*PI*400*t)+sin(2*PI*450*t))"
        "*lt(mod(t,3),1)*(1-between(mod(t,3),0.4,0.6))':s=16000:d={length}"
    ),
    # a truck's horn outside: a buzzing 420 Hz with its harmonics
    "horn": (
        "aevalsrc='sin(2*PI*420*t)+0.5*sin(2*PI*840*t)+0.3*sin(2*PI*1260*t)':s=16000:d={length}"
    ),
    # a hand slapped on the desk, three times
    "clap": "aevalsrc='(random(0)*2-1)*exp(-40*mod(t,0.35))':s=16000:d=1.05",
}


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Talk(_Part):
    """People talking turn by turn from start_s to end_s; each turn at `db` (plus a speaker's
    ±`spread_db`), the whole span drifting by `ramp_db` from start to end."""

    start_s: float = Field(ge=0)
    end_s: float
    db: float = Field(ge=-70, le=0)
    voices: tuple[str, ...] = ("hi+m3", "hi+f2")
    roles: tuple[str, ...] = ("complainant", "officer")
    style: Style = "normal"
    ramp_db: float = 0.0
    spread_db: float = 1.5
    gap_s: tuple[float, float] = (0.3, 1.0)
    turn_s: tuple[float, float] = (3.0, 7.0)


class Shout(_Part):
    """One person shouting from start_s to end_s, at `db`."""

    start_s: float = Field(ge=0)
    end_s: float
    db: float = Field(ge=-70, le=0)
    voice: str = "hi+m3"
    style: Style = "shout"


class Noise(_Part):
    """A steady noise under the whole clip at `db` RMS (drifting by ramp_db to the end)."""

    kind: NoiseKind
    db: float = Field(ge=-80, le=0)
    ramp_db: float = 0.0


class Bang(_Part):
    """A loud non-speech sound at at_s, `db` its sounding part's level (as a voice's)."""

    kind: BangKind
    at_s: float = Field(ge=0)
    db: float = Field(ge=-70, le=0)
    length_s: float = Field(default=1.0, gt=0, le=60)  # phone and horn; door and clap are set


class SoundClip(_Part):
    """One scripted clip and its labels: the intervals of raised voice (seconds)."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    length_s: float = Field(ge=10, le=300)
    note: str = ""
    talk: tuple[Talk, ...] = ()
    shouts: tuple[Shout, ...] = ()
    noises: tuple[Noise, ...] = ()
    bangs: tuple[Bang, ...] = ()
    raised: tuple[tuple[float, float], ...] = ()

    def labels(self) -> list[Interval]:
        return [Interval(s, e) for s, e in self.raised]


class Scenarios(BaseModel):
    """The labelled table: how labels are defined, the scoring margin, and the clips."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label_over_db: float  # a labelled shout is this much over the room's talk, or more
    label_for_s: float  # ... for at least this long
    label_gap_s: float  # shouts less than this apart are one labelled episode
    margin_s: float = Field(ge=0)  # an event this near a label still overlaps it
    clips: tuple[SoundClip, ...]


def load_scenarios(path: Path = SCENARIOS) -> Scenarios:
    """The labelled table, validated."""
    return Scenarios.model_validate_json(path.read_text(encoding="utf-8"))


def clip_key(clip: SoundClip) -> str:
    """The cache key of a clip: its script, the rendering's version and espeak-ng's."""
    script = json.dumps([RENDER_VERSION, _espeak_version(), clip.model_dump(mode="json")])
    return hashlib.sha256(script.encode()).hexdigest()[:16]


def make_clip(clip: SoundClip, work: Path) -> Path:
    """Render the clip as a camera's AAC (once: cached in `work` by its key) and return it."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / f"{clip.name}-{clip_key(clip)}.m4a"
    if out.exists():
        return out
    partial = out.with_suffix(".part.m4a")
    samples = np.clip(mix(clip), -1.0, 1.0).astype("<f4")
    argv = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", "-"]
    argv += ["-c:a", "aac", "-b:a", "48k", "-f", "mp4", str(partial)]
    _ffmpeg(argv, stdin=samples.tobytes())
    partial.replace(out)
    return out


def mix(clip: SoundClip) -> Floats:
    """The clip's samples: every part laid at its time and level (16 kHz mono float32)."""
    total = np.zeros(round(clip.length_s * SAMPLE_RATE), dtype=np.float32)
    seed = int(hashlib.sha256(clip.name.encode()).hexdigest()[:6], 16)
    for i, noise in enumerate(clip.noises):
        _lay(total, 0.0, _ramped(_noise(noise.kind, clip.length_s, seed + i), noise))
    for i, talk in enumerate(clip.talk):
        for at, piece in _turns(talk, np.random.default_rng([seed, i])):
            _lay(total, at, piece)
    for shout in clip.shouts:
        speech = _fill(shout.voice, shout.style, LINES["shout"], shout.end_s - shout.start_s, 0)
        _lay(total, shout.start_s, _at_level(speech, shout.db))
    for bang in clip.bangs:
        _lay(total, bang.at_s, _at_level(_bang(bang), bang.db))  # its sounding part's level
    return total


@dataclass(frozen=True, slots=True)
class _Speaker:
    voice: str
    role: str


def _turns(talk: Talk, rng: np.random.Generator) -> list[tuple[float, Floats]]:
    """A span of talk as turns: who speaks, what, when, and how loud."""
    out: list[tuple[float, Floats]] = []
    speakers = [_Speaker(v, talk.roles[i % len(talk.roles)]) for i, v in enumerate(talk.voices)]
    offsets = {s.voice: rng.uniform(-talk.spread_db, talk.spread_db) for s in speakers}
    at, who = talk.start_s, 0
    while at < talk.end_s - 1.0:
        speaker = speakers[who % len(speakers)]
        length = min(float(rng.uniform(*talk.turn_s)), talk.end_s - at)
        first = int(rng.integers(len(LINES[speaker.role])))
        speech = _fill(speaker.voice, talk.style, LINES[speaker.role], length, first)
        drift = talk.ramp_db * (at - talk.start_s) / max(talk.end_s - talk.start_s, 1e-9)
        db = talk.db + offsets[speaker.voice] + drift
        out.append((at, _at_level(speech, db)))
        at += len(speech) / SAMPLE_RATE + float(rng.uniform(*talk.gap_s))
        who += 1
    return out


def _fill(voice: str, style: str, lines: tuple[str, ...], length_s: float, first: int) -> Floats:
    """Lines spoken one after another (from `first`, round) until length_s, cut there."""
    parts: list[Floats] = []
    have, k = 0, first
    want = round(length_s * SAMPLE_RATE)
    while have < want:
        piece = espeak(lines[k % len(lines)], voice, style)
        parts.append(piece)
        have += len(piece)
        k += 1
    speech = np.concatenate(parts)[:want].copy()
    fade = min(round(FADE_S * SAMPLE_RATE), len(speech))
    speech[len(speech) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return speech


@cache
def espeak(text: str, voice: str, style: str) -> Floats:
    """espeak-ng's speech of `text` as 16 kHz mono float32 (decoded and resampled by PyAV)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise RuntimeError("espeak-ng is needed to make the sound clips")
    done = subprocess.run(  # noqa: S603 - our own argv
        [binary, "-v", voice, *STYLES[style], "--stdout", text],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with av.open(_BytesSource(done.stdout), mode="r", format="wav") as container:
        return np.concatenate(list(frames_samples(container.decode(audio=0))))


class _BytesSource:
    """A WAV held in memory, read by PyAV as a file."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, n: int) -> bytes:
        chunk = self._data[self._at : self._at + n]
        self._at += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._at, 2: len(self._data)}[whence]
        self._at = max(0, min(len(self._data), base + offset))
        return self._at


def active_db(samples: Floats) -> float:
    """The level of the sounding part: the mean power of the 20 ms frames within ACTIVE_DB of
    the loudest, in dBFS (a voice's level without its pauses)."""
    frames = samples[: len(samples) - len(samples) % FRAME].reshape(-1, FRAME)
    power = np.mean(np.square(frames, dtype=np.float64), axis=1)
    if power.size == 0 or power.max() <= 0:
        return -math.inf
    active = power[power >= power.max() * 10 ** (-ACTIVE_DB / 10)]
    return 10 * math.log10(float(active.mean()))


def _at_level(samples: Floats, db: float, *, active: bool = True) -> Floats:
    now = active_db(samples) if active else _rms_db(samples)
    if not math.isfinite(now):
        return samples
    return (samples * 10 ** ((db - now) / 20)).astype(np.float32)


def _rms_db(samples: Floats) -> float:
    power = float(np.mean(np.square(samples, dtype=np.float64)))
    return 10 * math.log10(power) if power > 0 else -math.inf


def _ramped(samples: Floats, noise: Noise) -> Floats:
    level = _at_level(samples, noise.db, active=False)
    gain = 10 ** (np.linspace(0.0, noise.ramp_db, len(level), dtype=np.float32) / 20)
    return (level * gain).astype(np.float32)


def _lay(total: Floats, at_s: float, piece: Floats) -> None:
    begin = round(at_s * SAMPLE_RATE)
    end = min(len(total), begin + len(piece))
    if end > begin:
        total[begin:end] += piece[: end - begin]


def _noise(kind: str, length_s: float, seed: int) -> Floats:
    return _lavfi(NOISES[kind].format(seed=seed % 2**31), length_s)


def _bang(bang: Bang) -> Floats:
    source = BANGS[bang.kind].format(length=bang.length_s)
    return _lavfi(f"{source}[out0]", None)


def _lavfi(graph: str, length_s: float | None) -> Floats:
    argv = ["-f", "lavfi", "-i", graph]
    if length_s is not None:
        argv += ["-t", f"{length_s}"]
    argv += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"]
    return np.frombuffer(_ffmpeg(argv), dtype="<f4").astype(np.float32)


def _ffmpeg(argv: list[str], *, stdin: bytes | None = None) -> bytes:
    binary = shutil.which("ffmpeg")
    if binary is None:
        raise RuntimeError("FFmpeg is needed to make the sound clips")
    done = subprocess.run(  # noqa: S603 - our own argv
        [binary, "-v", "error", "-y", *argv],
        input=stdin,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return done.stdout


@cache
def _espeak_version() -> str:
    binary = shutil.which("espeak-ng")
    if binary is None:
        return ""
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def scripted_labels(clip: SoundClip, table: Scenarios) -> list[tuple[float, float]]:
    """The labels the script implies: shouts `label_gap_s` or less apart joined into one
    episode; an episode labelled when it lasts `label_for_s` and its loudest shout stands
    `label_over_db` over the room's talk at its start (the loudest talk under way or last)."""
    episodes: list[tuple[float, float, float]] = []  # start, end, the most it stood over
    for shout in sorted(clip.shouts, key=lambda s: s.start_s):
        over = shout.db - _room_db(clip, shout.start_s)
        if episodes and shout.start_s - episodes[-1][1] <= table.label_gap_s:
            start, _, most = episodes[-1]
            episodes[-1] = (start, shout.end_s, max(most, over))
        else:
            episodes.append((shout.start_s, shout.end_s, over))
    return [
        (start, end)
        for start, end, over in episodes
        if end - start >= table.label_for_s and over >= table.label_over_db
    ]


def _room_db(clip: SoundClip, at_s: float) -> float:
    """The room's talk level at a moment: the loudest span under way, else the last one."""

    def level(t: Talk) -> float:
        done = min(max(at_s - t.start_s, 0.0), t.end_s - t.start_s)
        return t.db + t.ramp_db * done / max(t.end_s - t.start_s, 1e-9)

    going = [level(t) for t in clip.talk if t.start_s <= at_s <= t.end_s]
    if going:
        return max(going)
    before = [t for t in clip.talk if t.end_s <= at_s]
    return level(max(before, key=lambda t: t.end_s)) if before else -math.inf


def label_problems(table: Scenarios) -> list[str]:
    """Where the committed labels are not what the script implies (empty: they agree)."""
    problems = []
    names = [c.name for c in table.clips]
    if len(set(names)) != len(names):
        problems.append("clip names repeat")
    for clip in table.clips:
        parts: list[Talk | Shout] = [*clip.talk, *clip.shouts]
        if any(p.end_s <= p.start_s or p.end_s > clip.length_s for p in parts):
            problems.append(f"{clip.name}: a part ends before it starts or after the clip")
        if any(b.at_s >= clip.length_s for b in clip.bangs):
            problems.append(f"{clip.name}: a bang after the clip's end")
        if [tuple(r) for r in clip.raised] != scripted_labels(clip, table):
            problems.append(f"{clip.name}: labels {clip.raised} != {scripted_labels(clip, table)}")
    return problems
