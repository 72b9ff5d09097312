"""The room's sound: is someone speaking, how loud, and how loud this room's speech usually is.

Voice activity comes from Silero VAD 6.2.3 (MIT, `models/silero_vad.onnx`) run by onnxruntime
without torch, the way the silero-vad package's own `OnnxWrapper` runs it: windows of 512
samples at 16 kHz, each preceded by the last 64 samples of the window before (the context),
with the model's recurrent state carried from window to window. Offline speech-to-text of
Hindi is not to be had, so a raised voice is judged by loudness alone: the dBFS of each half
second against the room's own baseline, the median level of its last minutes of speech.
A window whose sound is mostly steady (a phone's ring, a horn, a loud fan: per frequency, its
quietest 32 ms frames keep most of its power) is not counted as speech even when someone is
talking under it, for its level is the ring's, not the voice's: speech changes from syllable
to syllable.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from nigrani.analytics.observe import Sound

VAD_MODEL = Path(__file__).parent / "models" / "silero_vad.onnx"
SAMPLE_RATE = 16_000
VAD_WINDOW = 512  # samples the model takes at 16 kHz (32 ms)
VAD_CONTEXT = 64  # samples of the window before, put in front of each window
WINDOWS_PER_REPORT = 16  # VAD windows in one Sound
REPORT = VAD_WINDOW * WINDOWS_PER_REPORT  # samples in one Sound: 8192
REPORT_S = REPORT / SAMPLE_RATE  # 0.512 s
SILENCE_DB = -120.0  # the level given to digital silence
MAX_DB = 6.0  # above any window of samples in -1..1 (a kept level over it is not believed)
MAX_STEADY = 0.3  # the most of a speech window's power that may stay steady through it
_HANN = np.hanning(VAD_WINDOW).astype(np.float32)
Floats = npt.NDArray[np.float32]


class SileroVad:
    """Speech probability of each 32 ms window of one stream (state carried across calls)."""

    def __init__(self, *, model: Path = VAD_MODEL) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # a 2 MB model per 32 ms: more threads only cost
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the stream: a new one starts from silence."""
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(VAD_CONTEXT, dtype=np.float32)

    def probability(self, window: Floats) -> float:
        """The chance that these 512 samples (float32 in -1..1, 16 kHz) hold speech."""
        if window.shape != (VAD_WINDOW,):
            raise ValueError(f"the VAD takes {VAD_WINDOW} samples, not {window.shape}")
        x = np.concatenate([self._context, window.astype(np.float32, copy=False)])[None, :]
        out, self._state = self.session.run(
            None, {"input": x, "state": self._state, "sr": self._sr}
        )
        self._context = x[0, -VAD_CONTEXT:]
        return float(out[0, 0])

    def skip(self, window: Floats) -> None:
        """Windows not looked at: the next one's context is still the samples before it."""
        self._context = window[-VAD_CONTEXT:].astype(np.float32, copy=True)


def level_db(samples: Floats) -> float:
    """The RMS level in dB below full scale (a full-scale square wave is 0 dBFS)."""
    if samples.size == 0:
        return SILENCE_DB
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return max(SILENCE_DB, 20 * math.log10(rms)) if rms > 0 else SILENCE_DB


def steady_share(window: Floats) -> float:
    """How much of a window's power stays through it (0-1): per frequency, the power of its
    quietest quarter of 32 ms frames over their mean. Speech is near 0.0-0.1 (it moves from
    syllable to syllable); a ringing phone or a horn near 1."""
    frames = window[: len(window) - len(window) % VAD_WINDOW].reshape(-1, VAD_WINDOW)
    power = np.square(np.abs(np.fft.rfft(frames * _HANN, axis=1)))
    mean = float(power.mean(axis=0).sum())
    if frames.shape[0] < 4 or mean <= 0:
        return 0.0
    return float(np.quantile(power, 0.25, axis=0).sum()) / mean


class SpeechBaseline:
    """The room's usual speech level: the median dBFS of its last `keep_s` seconds of speech,
    known once `learn_s` seconds of speech were heard. Only speech teaches it (silence, a fan
    or traffic never do), and it is counted in seconds of speech, not of clock, so a quiet
    night neither empties it nor a restart loses it (see `to_json` / `load_json`)."""

    def __init__(
        self, *, keep_s: float = 600.0, learn_s: float = 30.0, window_s: float = REPORT_S
    ) -> None:
        if not 0 < learn_s <= keep_s:
            raise ValueError("learn_s must be positive and at most keep_s")
        self.window_s = window_s
        self.learn = max(1, round(learn_s / window_s))
        self.levels: deque[float] = deque(maxlen=max(self.learn, round(keep_s / window_s)))

    def add(self, level: float) -> None:
        """One more window of speech at this level."""
        self.levels.append(round(level, 1))

    @property
    def db(self) -> float | None:
        """The baseline, or None until enough speech was heard."""
        if len(self.levels) < self.learn:
            return None
        return float(np.median(np.fromiter(self.levels, dtype=np.float64)))

    def to_json(self) -> str:
        """The state a worker keeps between runs (a few KB)."""
        return json.dumps({"version": 1, "window_s": self.window_s, "levels": list(self.levels)})

    def load_json(self, text: str) -> None:
        """Take back a kept state; one kept with another window length, or unreadable, is
        ignored (the baseline learns afresh rather than from levels measured otherwise)."""
        try:
            data: Any = json.loads(text)
            levels = [float(v) for v in data["levels"] if SILENCE_DB <= float(v) <= MAX_DB]
            same = data.get("version") == 1 and float(data["window_s"]) == self.window_s
        except (ValueError, TypeError, KeyError, AttributeError):
            return
        if same:
            self.levels.clear()
            self.levels.extend(levels[-(self.levels.maxlen or 0) :])


class SoundMeter:
    """One camera's microphone, fed float32 mono samples at 16 kHz in pieces of any length:
    a `Sound` per 0.512 s window (speech when at least `speech_share` of its VAD windows are
    speech and at most `max_steady` of its power is steady; the baseline given is the one
    before that window taught it).

    With `quiet_stride` n > 1, while the room is quiet (the last window was not speech) the
    VAD looks at only every n-th window; the others are reported as no speech with their
    level. Speech is then found up to (n - 1) windows late, and from then on every window
    is looked at until it ends; the VAD, most of a camera's sound cost, runs 1/n as often
    in a quiet room.

    With `below_db`, once the baseline is known a window quieter than the baseline by more
    than that is not looked at either (reported as no speech, with its level): the room's
    hum and far murmur, which can be neither a raised voice (that is over the baseline) nor
    a voice that moves the baseline's median (a window that far under it only adds to the
    low side). The VAD then runs on the windows near and over the room's talk."""

    def __init__(
        self,
        *,
        vad: SileroVad | None = None,
        baseline: SpeechBaseline | None = None,
        threshold: float = 0.5,
        speech_share: float = 0.5,
        quiet_stride: int = 1,
        below_db: float | None = None,
        max_steady: float = MAX_STEADY,
    ) -> None:
        if quiet_stride < 1:
            raise ValueError("quiet_stride must be at least 1")
        if below_db is not None and below_db <= 0:
            raise ValueError("below_db must be positive")
        self.below_db = below_db
        self.vad = vad or SileroVad()
        self.baseline = baseline or SpeechBaseline(window_s=REPORT_S)
        self.threshold = threshold
        self.exit = max(threshold - 0.15, 0.01)  # silero's own hysteresis: enter 0.5, leave 0.35
        self.speech_share = speech_share
        self.max_steady = max_steady
        self.quiet_stride = quiet_stride
        self._speaking = False
        self._heard_speech = False  # the last window looked at was speech
        self._skipped = 0  # quiet windows not looked at since the last one that was
        self._pending = np.zeros(0, dtype=np.float32)
        self._resampler: av.AudioResampler | None = None
        self._gathered: list[Floats] = []  # frames' samples not yet fed (under a window)
        self._gathered_n = 0

    def feed(self, samples: Floats) -> list[Sound]:
        """The Sounds of the windows these samples complete (often none, for short pieces)."""
        # a broken decode's NaN reads as silence and its infinities as full scale, so that
        # no level is infinite (nor a rule's peak, nor the baseline's median)
        clean = np.nan_to_num(np.asarray(samples, dtype=np.float32), nan=0.0, posinf=1, neginf=-1)
        pending = np.concatenate([self._pending, np.clip(clean, -1, 1)])
        whole = len(pending) - len(pending) % REPORT
        self._pending = pending[whole:]
        return [self._window(pending[i : i + REPORT]) for i in range(0, whole, REPORT)]

    def feed_frame(self, frame: av.AudioFrame) -> list[Sound]:
        """The same for a decoded PyAV frame of any rate, layout and format. A camera's
        frames are short (1024 samples at 48 kHz: 21 ms), so they are gathered until they
        complete a window and then fed at once: the same Sounds, one call in ~24."""
        if self._resampler is None:
            self._resampler = resampler()
        samples = resample(frame, self._resampler)
        self._gathered.append(samples)
        self._gathered_n += len(samples)
        if len(self._pending) + self._gathered_n < REPORT:
            return []
        gathered, self._gathered, self._gathered_n = self._gathered, [], 0
        return self.feed(np.concatenate(gathered))

    def _window(self, window: Floats) -> Sound:
        level = level_db(window)
        base = self.baseline.db
        if base is not None and self.below_db is not None and level < base - self.below_db:
            self._heard_speech = self._speaking = False
            self.vad.skip(window)
            return Sound(speech=False, level_db=round(level, 1), baseline_db=base)
        if not self._heard_speech and self._skipped < self.quiet_stride - 1:
            self._skipped += 1
            self.vad.skip(window)
            return Sound(speech=False, level_db=round(level, 1), baseline_db=base)
        self._skipped = 0
        speech = 0
        for chunk in window.reshape(WINDOWS_PER_REPORT, VAD_WINDOW):
            p = self.vad.probability(chunk)
            self._speaking = p >= self.threshold or (self._speaking and p >= self.exit)
            speech += self._speaking
        is_speech = speech >= self.speech_share * WINDOWS_PER_REPORT
        if is_speech and steady_share(window) > self.max_steady:
            is_speech = False  # a ring or a horn over the talk: its level is not a voice's
        self._heard_speech = is_speech
        sound = Sound(speech=is_speech, level_db=round(level, 1), baseline_db=self.baseline.db)
        if is_speech:
            self.baseline.add(level)
        return sound


def resampler() -> av.AudioResampler:
    """A PyAV resampler to the VAD's float32 mono 16 kHz (one per stream: it keeps state).
    FFmpeg's down-mix adds a stereo pair at -3 dB each, so two equal channels read 3 dB over
    one: a constant for a camera, which its own baseline takes in."""
    return av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)


def resample(frame: av.AudioFrame | None, to: av.AudioResampler) -> Floats:
    """A decoded frame's samples as float32 mono 16 kHz (None flushes the resampler)."""
    parts = [f.to_ndarray().reshape(-1) for f in to.resample(frame)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def frames_samples(frames: Iterable[av.AudioFrame]) -> Iterator[Floats]:
    """A stream's decoded frames as float32 mono 16 kHz pieces, flushed at the end."""
    to = resampler()
    for frame in frames:
        yield resample(frame, to)
    yield resample(None, to)


# A camera's meter as the worker runs it (and the evaluation scores it): in a quiet room the
# VAD hears every other half second, and not at all a window 15 dB under the room's talk.
QUIET_STRIDE = 2
BELOW_DB = 15.0


def camera_meter() -> SoundMeter:
    """One camera's meter, with the worker's savings (one per camera: it keeps the voice's
    state)."""
    return SoundMeter(quiet_stride=QUIET_STRIDE, below_db=BELOW_DB)
