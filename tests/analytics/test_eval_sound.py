"""Raised voice on scripted sound: the labels are what the script says; short clips of each
kind through the real meter and rules (a shout found; a slammed door, a steady loud TV
not); and a phone's ring or a horn is steady sound, a voice is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nigrani.analytics.audio import REPORT, SoundMeter, SpeechBaseline, steady_share
from nigrani.analytics.evaluation import sound_clips
from nigrani.analytics.evaluation.sound import evaluate_sound, observations, score_clip
from nigrani.analytics.evaluation.sound_clips import (
    Bang,
    Scenarios,
    Shout,
    SoundClip,
    Talk,
    label_problems,
    load_scenarios,
    scripted_labels,
)
from nigrani.analytics.rule_config import RaisedVoice

FAN = sound_clips.Noise(kind="fan", db=-50)
TV = Talk(
    start_s=0, end_s=34, db=-22, voices=("hi+m2",), roles=("tv",), style="tv",
    gap_s=(0.2, 0.5), turn_s=(6, 10), spread_db=0.5,
)  # fmt: skip
# three clips of 34 s: 20 s of talk teach a baseline that learns from 12 s of speech
CLIPS = (
    SoundClip(
        name="t-shout", length_s=34, noises=(FAN,), talk=(Talk(start_s=0, end_s=25, db=-32),),
        shouts=(Shout(start_s=26, end_s=33, db=-16),), raised=((26, 33),),
    ),
    SoundClip(
        name="t-door", length_s=34, noises=(FAN,), talk=(Talk(start_s=0, end_s=34, db=-32),),
        bangs=tuple(Bang(kind="door", at_s=t, db=-8) for t in (24, 29.5)),
    ),
    SoundClip(
        name="t-tv", length_s=34, noises=(FAN,), talk=(TV, Talk(start_s=4, end_s=34, db=-34)),
    ),
)  # fmt: skip
TABLE = Scenarios(label_over_db=10, label_for_s=3, label_gap_s=2, margin_s=1, clips=CLIPS)


def quick_meter() -> SoundMeter:
    return SoundMeter(baseline=SpeechBaseline(learn_s=12))


def test_the_committed_labels_are_what_the_script_implies() -> None:
    table = load_scenarios()
    assert label_problems(table) == []
    assert 20 <= len(table.clips) <= 30
    assert all(60 <= c.length_s <= 180 for c in table.clips)
    labelled = [c for c in table.clips if c.raised]
    assert len(labelled) >= 12 and len(table.clips) - len(labelled) >= 8
    kinds = {b.kind for c in table.clips for b in c.bangs}
    assert kinds == {"door", "phone", "horn", "clap"}


def test_a_label_the_script_does_not_imply_is_found_out() -> None:
    quiet = CLIPS[0].model_copy(update={"shouts": (Shout(start_s=26, end_s=33, db=-25),)})
    assert scripted_labels(quiet, TABLE) == []  # 7 dB over the talk: not a raised voice
    brief = CLIPS[0].model_copy(update={"shouts": (Shout(start_s=26, end_s=28, db=-16),)})
    assert scripted_labels(brief, TABLE) == []  # 2 s: shorter than T
    wrong = TABLE.model_copy(update={"clips": (quiet,)})
    assert label_problems(wrong) == ["t-shout: labels ((26.0, 33.0),) != []"]


def test_one_clip_of_each_kind_through_the_meter_and_the_rules(tmp_path: Path) -> None:
    rows = {c.name: score_clip(c, tmp_path, margin_s=1, meter=quick_meter) for c in CLIPS}
    shout = rows["t-shout"]
    assert (shout.match.true_positives, shout.match.false_positives) == (1, 0)
    (found,) = shout.found
    assert 25 <= found.start_s <= 27.5 and shout.peaks_db[0] >= RaisedVoice().over_db
    for name in ("t-door", "t-tv"):
        assert rows[name].found == (), name
    # the clips were rendered once, into the work folder
    assert sorted(p.name.split("-")[1] for p in tmp_path.glob("*.m4a")) == [
        "door",
        "shout",
        "tv",
    ]


def test_the_sweep_finds_the_shout_at_low_margins_and_not_at_high(tmp_path: Path) -> None:
    heard: list[str] = []
    table = TABLE.model_copy(update={"clips": CLIPS[:1]})
    report = evaluate_sound(
        tmp_path, scenarios=table, sweep_db=(12, 30), meter=quick_meter, progress=heard.append
    )
    assert heard == ["t-shout"] and report.rows[0].clip == "t-shout"
    low, high = report.sweep
    assert (low[0], low[1].true_positives, high[1].true_positives) == (12, 1, 0)
    assert high[1].misses == 1 and report.audio_s == pytest.approx(34, abs=1)
    with pytest.raises(ValueError, match="unknown sound clips: nope"):
        evaluate_sound(tmp_path, scenarios=table, clips=["nope"])


def test_observations_carry_the_loudest_window_of_each_half_second() -> None:
    from nigrani.analytics.evaluation.sound import Heard
    from nigrani.analytics.observe import Sound

    span = REPORT / 16_000
    windows = tuple(((i + 1) * span, Sound(True, -30.0 + i, -30.0)) for i in range(4))
    obs = observations(Heard(windows, clip_s=4 * span, cpu_s=0.0))
    levels = [o.sound.level_db if o.sound else None for o in obs]
    # windows end at 0.512, 1.024, 1.536 and 2.048 s; pictures every 0.5 s from 0.5 s
    assert levels == [None, -30.0, -29.0, -28.0, -27.0]


def test_a_ring_or_a_horn_is_steady_and_a_voice_is_not() -> None:
    t = np.arange(REPORT) / 16_000
    ring = (np.sin(2 * np.pi * 400 * t) + np.sin(2 * np.pi * 450 * t)).astype(np.float32)
    voice = sound_clips.espeak(sound_clips.LINES["shout"][0], "hi+m3", "shout")
    start = int(np.argmax(np.abs(voice)))  # a loud stretch of the shout
    part = voice[max(0, start - REPORT // 2) :][:REPORT]
    assert steady_share(ring) > 0.5
    assert steady_share(part) < 0.2
    assert steady_share(np.zeros(REPORT, dtype=np.float32)) == 0.0
