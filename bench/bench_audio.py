"""Station analytics' sound: CPU per second of audio for voice activity + loudness, next to
loudness alone and a bare numpy RMS in the same run.

Audio: espeak-ng's Hindi voice (normal, then shouting) over a fan-like hum, with stretches of
hum alone, about 24 s, made once in a temporary folder, decoded and resampled to 16 kHz mono
float32 by PyAV before timing. Each round, in an order that rotates, over the same 4 s chunk:
- `SoundMeter.feed`: the whole meter of analytics/audio.py: Silero VAD on every 32 ms
  window (state and context carried), the dBFS of every 0.512 s window, the baseline;
- `VAD alone`: SileroVad.probability on the same 32 ms windows;
- `loudness alone`: level_db of every 0.512 s window;
- reference `numpy RMS`: one np.sqrt(np.mean(x * x)) of the whole chunk, the memory floor.
Also, once: PyAV's resampling of 48 kHz stereo s16 frames (a camera's AAC, decoded) to the
meter's input. Figures are medians of the rounds: CPU milliseconds per second of audio
(process time) and how many times faster than real time one core runs it.

    .venv/bin/python -m bench.bench_audio               # 60 rounds
    .venv/bin/python -m bench.bench_audio --rounds 10   # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from nigrani.analytics.audio import (
    REPORT,
    SAMPLE_RATE,
    VAD_WINDOW,
    Floats,
    SileroVad,
    SoundMeter,
    level_db,
    resample,
    resampler,
)

REFERENCE = "reference: numpy RMS"
CHUNK_S = 4
NORMAL = "नमस्ते, मेरा नाम राम प्रसाद है। मुझे अपनी ज़मीन के काग़ज़ों के बारे में शिकायत दर्ज करानी है।"
SHOUT = "यह क्या हो रहा है! तीन महीने से मेरा काम क्यों नहीं हुआ? मुझे अभी जवाब चाहिए!"


def speech(folder: Path) -> Floats:
    """Normal speech, hum alone, a shout, hum alone: 16 kHz mono over the hum."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is missing: `make media-tools` installs it")
    parts: list[Floats] = []
    for name, text, options in (
        ("normal", NORMAL, ["-a", "50"]),
        ("shout", SHOUT, ["-a", "200", "-s", "190", "-p", "70"]),
    ):
        path = folder / f"{name}.wav"
        argv = [espeak, "-v", "hi", *options, "-w", str(path), text]
        subprocess.run(argv, check=True)  # noqa: S603 - our own argv
        to = resampler()
        with av.open(str(path)) as container:
            parts += [resample(f, to) for f in container.decode(audio=0)]
        parts += [resample(None, to), np.zeros(4 * SAMPLE_RATE, dtype=np.float32)]
    audio = np.concatenate(parts * 2)
    t = np.arange(len(audio)) / SAMPLE_RATE
    fan = 0.02 * np.sin(2 * np.pi * 50 * t) + 0.01 * np.sin(2 * np.pi * 100 * t)
    return (audio + fan).astype(np.float32)


Case = Callable[[Floats], None]


def cases(meter: SoundMeter, vad: SileroVad) -> dict[str, Case]:
    def whole(chunk: Floats) -> None:
        meter.feed(chunk)

    def vad_alone(chunk: Floats) -> None:
        for start in range(0, len(chunk) - VAD_WINDOW + 1, VAD_WINDOW):
            vad.probability(chunk[start : start + VAD_WINDOW])

    def loudness(chunk: Floats) -> None:
        for start in range(0, len(chunk) - REPORT + 1, REPORT):
            level_db(chunk[start : start + REPORT])

    def rms(chunk: Floats) -> None:
        np.sqrt(np.mean(chunk * chunk))

    return {
        "SoundMeter.feed (VAD + loudness)": whole,
        "VAD alone": vad_alone,
        "loudness alone": loudness,
        REFERENCE: rms,
    }


def measure(audio: Floats, rounds: int) -> dict[str, list[float]]:
    """Per case, CPU seconds per second of audio, one sample a round, the cases back to back
    on the same chunk in a rotating order."""
    timed = cases(SoundMeter(), SileroVad())
    names = list(timed)
    size = CHUNK_S * SAMPLE_RATE // REPORT * REPORT
    chunks = [audio[i : i + size] for i in range(0, len(audio) - size + 1, size)]
    samples: dict[str, list[float]] = {n: [] for n in names}
    for round_ in range(rounds):
        chunk = chunks[round_ % len(chunks)]
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            cpu = time.process_time()
            timed[name](chunk)
            samples[name].append((time.process_time() - cpu) / (len(chunk) / SAMPLE_RATE))
    return samples


def resampling(seconds: int = 20) -> float:
    """CPU seconds per second of audio to resample 48 kHz stereo s16 frames of 1024."""
    t = np.arange(1024) / 48_000
    tone = (0.3 * np.sin(2 * np.pi * 300 * t) * 32767).astype(np.int16)
    to = resampler()
    cpu = time.process_time()
    for _ in range(seconds * 48_000 // 1024):
        frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]).T.reshape(1, -1), "s16", "stereo")
        frame.sample_rate = 48_000
        resample(frame, to)
    return (time.process_time() - cpu) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        audio = speech(Path(folder))
    sounds = SoundMeter().feed(audio)
    print(f"{len(audio) / SAMPLE_RATE:.1f} s of audio, load {os.getloadavg()[0]:.1f},")
    print(f"windows of speech: {sum(s.speech for s in sounds)} of {len(sounds)}")
    samples = measure(audio, args.rounds)
    print(f"{'':34} {'CPU ms per s':>13} {'× real time':>12}")
    for name, values in samples.items():
        cpu = statistics.median(values)
        print(f"{name:34} {cpu * 1e3:13.3f} {1 / cpu if cpu else float('inf'):12.0f}")
    cpu = resampling()
    print(f"{'PyAV resample 48k stereo → 16k':34} {cpu * 1e3:13.3f} {1 / cpu:12.0f}")


if __name__ == "__main__":
    main()
