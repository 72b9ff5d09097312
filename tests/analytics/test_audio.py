"""The room's sound: Silero VAD finds Hindi speech (espeak-ng's) and not silence, hiss or a
fan's hum; a shout stands 10 dB or more over the baseline that normal speech taught, which
silence and noise never teach; a stream gives the same windows however it is cut, at any rate."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from nigrani.analytics.audio import (
    REPORT,
    SAMPLE_RATE,
    VAD_MODEL,
    VAD_WINDOW,
    SileroVad,
    SoundMeter,
    SpeechBaseline,
    frames_samples,
    level_db,
    resample,
    resampler,
)
from nigrani.analytics.observe import Sound

NORMAL = (
    "नमस्ते, मेरा नाम राम प्रसाद है। मैं कानपुर के पास एक गाँव से आया हूँ। "
    "मुझे अपनी ज़मीन के काग़ज़ों के बारे में शिकायत दर्ज करानी है, कृपया मेरी मदद कीजिए।"
)
SHOUT = "यह क्या हो रहा है! तीन महीने से मेरा काम क्यों नहीं हुआ? मुझे अभी जवाब चाहिए!"
ROOM = 0.002  # a quiet room tone under every recording (about -57 dBFS)


def speak(path: Path, text: str, *options: str) -> np.ndarray:
    """espeak-ng's Hindi voice at 22.05 kHz, decoded and resampled by PyAV, over room tone."""
    subprocess.run(["espeak-ng", "-v", "hi", *options, "-w", str(path), text], check=True)
    with av.open(str(path)) as container:
        samples = np.concatenate(list(frames_samples(container.decode(audio=0))))
    room: np.ndarray = samples + hum(len(samples) / SAMPLE_RATE, ROOM)
    return room


def hum(seconds: float, amplitude: float) -> np.ndarray:
    """A fan-like hum: 50 Hz mains with its harmonics, a slow wobble and a little hiss."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((50, 100, 150, 300), 1))
    wobble = 1 + 0.2 * np.sin(2 * np.pi * 0.7 * t)
    hiss = np.random.default_rng(7).standard_normal(len(t)) * 0.1
    return (amplitude * (tone * wobble + hiss) / 2).astype(np.float32)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("voices")
    return {
        "normal": speak(folder / "normal.wav", NORMAL, "-a", "50"),
        "shout": speak(folder / "shout.wav", SHOUT, "-a", "200", "-s", "190", "-p", "70"),
    }


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def meter(vad: SileroVad, learn_s: float = 5.0) -> SoundMeter:
    vad.reset()
    return SoundMeter(vad=vad, baseline=SpeechBaseline(learn_s=learn_s))


def white(seconds: float, amplitude: float) -> np.ndarray:
    rng = np.random.default_rng(3)
    return (rng.standard_normal(round(seconds * SAMPLE_RATE)) * amplitude).astype(np.float32)


def test_the_model_is_the_silero_vad_6_2_3_onnx() -> None:
    digest = hashlib.sha256(VAD_MODEL.read_bytes()).hexdigest()
    assert digest == "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"


def test_speech_is_found_in_speech(vad: SileroVad, voices: dict[str, np.ndarray]) -> None:
    for voice in voices.values():
        sounds = meter(vad).feed(voice)
        # espeak-ng leaves no long pauses: nearly every window of its speech is speech
        assert sum(s.speech for s in sounds) >= 0.7 * len(sounds), sounds


def test_no_speech_in_silence_hiss_or_a_fans_hum(vad: SileroVad) -> None:
    quiet = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    for noise in (quiet, white(3, 0.05), white(3, 0.3), hum(3, 0.1), hum(3, 0.5)):
        sounds = meter(vad).feed(noise)
        assert len(sounds) == 5 and not any(s.speech for s in sounds), sounds
        assert all(s.baseline_db is None for s in sounds)


def test_a_shout_stands_10_db_over_the_baseline_of_normal_speech(
    vad: SileroVad, voices: dict[str, np.ndarray]
) -> None:
    room = meter(vad)
    learning = room.feed(voices["normal"])
    assert learning[0].baseline_db is None  # it judges nothing before it has learned
    baseline = room.baseline.db
    assert baseline is not None and -30 < baseline < -22  # the clip is at -27 dBFS overall
    shouted = [s for s in room.feed(voices["shout"]) if s.speech]
    assert len(shouted) >= 4
    over = np.median([s.level_db - (s.baseline_db or 0) for s in shouted])
    assert over >= 10, (baseline, shouted)
    assert all(s.baseline_db is not None for s in shouted)


def test_silence_and_noise_do_not_teach_the_baseline(
    vad: SileroVad, voices: dict[str, np.ndarray]
) -> None:
    room = meter(vad, learn_s=2)
    room.feed(np.zeros(2 * SAMPLE_RATE, dtype=np.float32))
    room.feed(hum(4, 0.5))
    room.feed(white(4, 0.2))
    assert room.baseline.db is None and not room.baseline.levels
    room.feed(voices["normal"])
    baseline = room.baseline.db
    assert baseline is not None and -40 < baseline < -20
    room.feed(hum(4, 0.5))  # a loud fan afterwards leaves it as it was
    assert room.baseline.db == baseline


def test_the_same_windows_however_the_stream_is_cut(
    vad: SileroVad, voices: dict[str, np.ndarray]
) -> None:
    voice = voices["normal"][: 6 * REPORT + 1000]
    whole = meter(vad).feed(voice)
    cut = meter(vad)
    pieces = np.split(voice, [1, 700, 5000, 9000, 30_000, 31_000])
    assert [s for piece in pieces for s in cut.feed(piece)] == whole
    assert len(whole) == 6


def test_the_state_is_carried_from_window_to_window(
    vad: SileroVad, voices: dict[str, np.ndarray]
) -> None:
    windows = voices["normal"][: 40 * VAD_WINDOW].reshape(40, VAD_WINDOW)
    vad.reset()
    streamed = [vad.probability(w) for w in windows]
    alone = []
    for w in windows:
        vad.reset()
        alone.append(vad.probability(w))
    # the model hears speech only with the windows before: alone, 32 ms says little
    assert np.mean(streamed) > 0.6 and np.mean(alone) < np.mean(streamed) - 0.2
    with pytest.raises(ValueError, match="512"):
        vad.probability(windows[0][:500])


# silero-vad 6.2.3's own OnnxWrapper (its code run as it is, torch's few calls stood in for by
# numpy) on `vowels()`, once: each 32 ms window's speech probability. Without the 64 samples of
# context before each window the model gives 0.0005-0.0007 for all of them.
UPSTREAM = [0.0694, 0.0201, 0.0142, 0.0153, 0.0248, 0.0267, 0.0507, 0.0163]
UPSTREAM += [0.0321, 0.03, 0.0225, 0.0309, 0.0388, 0.0813, 0.1079, 0.0596]


def vowels(n: int) -> np.ndarray:
    """A buzzy voice-like tone: harmonics of a wavering 120 Hz under a 700 Hz formant."""
    t = np.arange(n) / SAMPLE_RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    x = sum(np.sin(k * phase) * np.exp(-(((k * f0 - 700) / 300) ** 2)) for k in range(1, 30))
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2
    voice: np.ndarray = (0.1 * x * envelope / np.abs(x).max()).astype(np.float32)
    return voice


def test_the_windows_are_fed_as_the_silero_package_feeds_them(vad: SileroVad) -> None:
    vad.reset()
    x = vowels(16 * VAD_WINDOW)
    got = [vad.probability(x[i : i + VAD_WINDOW]) for i in range(0, len(x), VAD_WINDOW)]
    assert got == pytest.approx(UPSTREAM, abs=1e-3)


def test_a_stereo_48_khz_frame_is_resampled_to_mono_16_khz(vad: SileroVad) -> None:
    t = np.arange(4800) / 48_000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]).T.reshape(1, -1), "s16", "stereo")
    frame.sample_rate = 48_000
    to = resampler()
    samples = np.concatenate([resample(frame, to), resample(None, to)])
    assert samples.dtype == np.float32 and abs(len(samples) - 1600) <= 32
    # a 0.5 sine is at -9 dBFS; FFmpeg's down-mix adds both channels at -3 dB each: +3 dB
    assert level_db(samples[100:-100]) == pytest.approx(-6.0, abs=0.3)
    room = meter(vad)
    sounds = [len(room.feed_frame(frame)) for _ in range(10)]  # 0.1 s each
    assert sounds == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0]  # one 0.512 s window (a few ms delayed)


def test_short_frames_are_gathered_into_the_same_windows_at_the_same_frames(
    voices: dict[str, np.ndarray],
) -> None:
    def frames() -> list[av.AudioFrame]:
        out = []
        for i in range(0, len(voices["normal"]), 1024):  # a camera's AAC frame at 48 kHz: 21 ms
            frame = av.AudioFrame.from_ndarray(voices["normal"][None, i : i + 1024], "flt", "mono")
            frame.sample_rate = SAMPLE_RATE
            out.append(frame)
        return out

    to, one_by_one = resampler(), meter(SileroVad())
    expected = [(i, s) for i, f in enumerate(frames()) for s in one_by_one.feed(resample(f, to))]
    gathered = meter(SileroVad())
    heard = [(i, s) for i, f in enumerate(frames()) for s in gathered.feed_frame(f)]
    assert len(heard) > 10 and heard == expected


def g711(path: Path, samples: np.ndarray) -> Path:
    """The samples as a camera's G.711 µ-law at 8 kHz, encoded by PyAV."""
    to = av.AudioResampler(format="s16", layout="mono", rate=8000)
    frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16)[None, :], "s16", "mono")
    frame.sample_rate = SAMPLE_RATE
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_mulaw", rate=8000, layout="mono")
        for part in [*to.resample(frame), *to.resample(None), None]:
            container.mux(stream.encode(part))
    return path


def test_a_cameras_8_khz_g711_is_heard_as_the_16_khz_original(
    vad: SileroVad, voices: dict[str, np.ndarray], tmp_path: Path
) -> None:
    original = meter(vad).feed(voices["normal"])
    room = meter(vad)
    with av.open(str(g711(tmp_path / "camera.wav", voices["normal"]))) as container:
        heard = [s for frame in container.decode(audio=0) for s in room.feed_frame(frame)]
    assert len(original) - 1 <= len(heard) <= len(original)  # resamplers hold back a few ms
    assert [s.speech for s in heard] == [s.speech for s in original[: len(heard)]]
    assert max(abs(a.level_db - b.level_db) for a, b in zip(heard, original, strict=False)) < 1.5


def test_levels() -> None:
    assert level_db(np.zeros(100, np.float32)) == -120.0
    assert level_db(np.ones(100, np.float32)) == 0.0
    assert level_db(np.full(100, 0.1, np.float32)) == pytest.approx(-20.0)
    assert level_db(np.zeros(0, np.float32)) == -120.0


def test_the_baseline_is_kept_as_json_and_a_bad_state_is_ignored() -> None:
    baseline = SpeechBaseline(keep_s=5, learn_s=2)
    for level in (-30.0, -28.04, -26.0, -31.0):
        baseline.add(level)
    assert baseline.db == -29.0
    again = SpeechBaseline(keep_s=5, learn_s=2)
    again.load_json(baseline.to_json())
    assert list(again.levels) == [-30.0, -28.0, -26.0, -31.0] and again.db == -29.0
    for bad in ("", "[]", '{"levels": 3}', '{"version": 1, "window_s": 1.0, "levels": [1]}'):
        fresh = SpeechBaseline(keep_s=5, learn_s=2)
        fresh.load_json(bad)
        assert not fresh.levels
    odd = SpeechBaseline(keep_s=5, learn_s=2)
    odd.load_json('{"version": 1, "window_s": 0.512, "levels": [-30, NaN, 1e9, -1e9, -125]}')
    assert list(odd.levels) == [-30.0]  # levels no window can have are not believed
    with pytest.raises(ValueError):
        SpeechBaseline(keep_s=5, learn_s=10)


def test_the_baseline_follows_the_last_minutes_of_speech() -> None:
    baseline = SpeechBaseline(keep_s=10, learn_s=1)
    for _ in range(40):
        baseline.add(-40.0)
    for _ in range(20):
        baseline.add(-20.0)  # 10 s of louder speech fill what it keeps
    assert baseline.db == -20.0 and len(baseline.levels) == 20


def test_broken_samples_give_finite_levels(vad: SileroVad, voices: dict[str, np.ndarray]) -> None:
    room = meter(vad)
    broken = np.full(REPORT, np.nan, dtype=np.float32)
    broken[::3] = np.inf
    broken[1::3] = -np.inf
    (sound,) = room.feed(broken)
    assert not sound.speech and sound.level_db == pytest.approx(-1.8, abs=0.1)  # 2/3 at ±1
    assert sum(s.speech for s in room.feed(voices["normal"])) > 10


def test_sound_is_the_observation_type(vad: SileroVad) -> None:
    sounds = meter(vad).feed(white(1.1, 0.01))
    assert len(sounds) == 2 and all(isinstance(s, Sound) for s in sounds)


class CountingVad(SileroVad):
    """The real VAD, counting the 32 ms windows it is asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def probability(self, window: np.ndarray) -> float:
        self.asked += 1
        return super().probability(window)


def test_a_quiet_room_is_heard_every_other_window_and_speech_every_window(
    voices: dict[str, np.ndarray],
) -> None:
    vad = CountingVad()
    strided = SoundMeter(vad=vad, baseline=SpeechBaseline(learn_s=5), quiet_stride=2)
    quiet = strided.feed(hum(4, 0.1))
    assert len(quiet) == 7 and not any(s.speech for s in quiet)
    assert vad.asked == 3 * REPORT // VAD_WINDOW  # windows 2, 4 and 6 of the 7
    vad.reset()
    full = meter(SileroVad()).feed(voices["normal"])
    strided = SoundMeter(vad=vad, baseline=SpeechBaseline(learn_s=5), quiet_stride=2)
    heard = strided.feed(voices["normal"])
    # once speech is heard every window is looked at: at most one quiet window missed
    # per onset, and the levels are every window's
    assert [s.level_db for s in heard] == [s.level_db for s in full]
    said = [s.speech for s in full]
    onsets = sum(1 for a, b in zip([False, *said], said, strict=False) if b and not a)
    missed = sum(1 for a, b in zip(full, heard, strict=True) if a.speech and not b.speech)
    assert sum(s.speech for s in heard) >= 0.7 * len(heard) and missed <= onsets
    with pytest.raises(ValueError, match="at least 1"):
        SoundMeter(vad=vad, quiet_stride=0)


def test_once_the_talk_is_known_the_rooms_hum_far_under_it_is_not_asked_of_the_vad(
    voices: dict[str, np.ndarray],
) -> None:
    vad = CountingVad()
    gated = SoundMeter(vad=vad, baseline=SpeechBaseline(learn_s=2), below_db=15.0)
    before = gated.feed(hum(3, 0.2))  # no baseline yet: every window is looked at
    assert vad.asked == len(before) * REPORT // VAD_WINDOW
    talk = gated.feed(voices["normal"])
    base = gated.baseline.db
    assert base is not None and sum(s.speech for s in talk) >= 0.7 * len(talk)
    vad.asked = 0
    hum_level = gated.feed(hum(3, 0.002))  # some 40 dB under the talk
    assert all(s.level_db < base - 15 and not s.speech for s in hum_level)
    assert vad.asked == 0
    shout = gated.feed(voices["shout"])  # over the talk: looked at, and speech
    assert vad.asked == len(shout) * REPORT // VAD_WINDOW
    assert sum(s.speech for s in shout) >= 0.7 * len(shout)
    with pytest.raises(ValueError, match="positive"):
        SoundMeter(vad=vad, below_db=0)
