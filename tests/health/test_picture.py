"""The picture checks on real footage: each scripted fault is found with its reason, healthy
footage (a ticking clock, a cloud, wind shake) is not flagged, day and night learn apart, and
accepting a new reference after a deliberate move makes the picture fine again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from nigrani.health import picture
from nigrani.health.evaluate import Clip, Evaluation, decode
from nigrani.health.fault_cases import FAULTS
from nigrani.health.faults import FaultCase, Source, make_clip

# 11 s of OpenCV's street camera: the baseline learns from the first 5 s, faults are probed after.
STREET = Source("street", "vtest.avi", start_s=20.0, duration_s=11.0, length_s=11.0, train_s=5.0)
FAULT_NAMES = [
    "black",
    "dark",
    "covered-cloth",
    "covered-hand",
    "defocused",
    "frozen",
    "frozen-clock",
    "moved-pan",
    "moved-zoom",
    "silent",
]
HEALTHY_NAMES = ["healthy", "healthy-clock", "healthy-shake", "healthy-sound"]


def street_case(name: str) -> FaultCase:
    _name, fault, vf, audio, note = next(row for row in FAULTS if row[0] == name)
    return FaultCase(f"street-{name}", STREET.name, fault, vf, audio=audio, note=note)


@pytest.fixture(scope="module")
def evaluation(vtest: Path, tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    """All the street's cases judged once (clips made with FFmpeg from the real footage)."""
    run = Evaluation(
        footage={"vtest.avi": vtest},
        cache=tmp_path_factory.mktemp("clips"),
        stride_s=0.75,
        healthy_stride_s=0.5,
    )
    run.run([street_case(n) for n in [*HEALTHY_NAMES, *FAULT_NAMES]], [STREET])
    return run


@pytest.fixture(scope="module")
def healthy_clip(evaluation: Evaluation, vtest: Path) -> Clip:
    return decode(make_clip(street_case("healthy"), STREET, vtest, evaluation.cache))


def clip_of(evaluation: Evaluation, vtest: Path, name: str) -> Clip:
    return decode(make_clip(street_case(name), STREET, vtest, evaluation.cache))


def learned(clip: Clip, *, night: bool = False, upto_s: float = 5.0) -> dict[str, Any]:
    """The baseline after a probe every second of the clip's first `upto_s` seconds."""
    reference = picture.reference_frame(clip.window(0.0))
    baseline: dict[str, Any] = {}
    for t in np.arange(0.0, upto_s - 2.0, 1.0):
        baseline = judge(clip.window(float(t)), baseline, reference, night=night).baseline
    return baseline


def judge(
    frames: list[np.ndarray],
    baseline: dict[str, Any],
    reference: np.ndarray | None,
    *,
    night: bool = False,
) -> picture.Judgement:
    return picture.judge(
        frames,
        baseline=baseline,
        reference=reference,
        audio_db=None,
        expect_audio=False,
        night=night,
    )


@pytest.mark.parametrize("name", FAULT_NAMES)
def test_each_scripted_fault_is_found_with_its_reason(evaluation: Evaluation, name: str) -> None:
    result = next(r for r in evaluation.report.results if r.case.name == f"street-{name}")
    assert result.probes >= 4
    assert result.right >= 0.9 * result.probes, dict(result.reasons)
    assert result.alarms >= 1  # enough in a row to turn the camera's state


@pytest.mark.parametrize("name", HEALTHY_NAMES)
def test_healthy_footage_is_not_flagged(evaluation: Evaluation, name: str) -> None:
    result = next(r for r in evaluation.report.results if r.case.name == f"street-{name}")
    assert result.probes >= 7
    assert result.flagged == 0, dict(result.reasons)


def test_the_report_counts_recall_false_alarms_and_cost(evaluation: Evaluation) -> None:
    report = evaluation.report
    right, probes = report.recall("covered")
    assert probes > 0 and right == probes
    healthy_probes, verdicts, alarms = report.healthy()
    assert healthy_probes > 25 and verdicts == 0 and alarms == 0
    assert report.judge_calls > healthy_probes and report.decoded_probes == len(report.results)
    assert 0 < report.alarms_per_week_bound() < float("inf")


def test_day_and_night_learn_apart(healthy_clip: Clip) -> None:
    day = learned(healthy_clip)
    dim = [(f.astype(np.float32) * 0.3).astype(np.uint8) for f in healthy_clip.window(7.0)]
    reference = picture.reference_frame(healthy_clip.window(0.0))
    # By day a third of the day's light is too dark; at night, before a night baseline, only
    # the absolute floors apply and the dim picture is fine. Its scores go to "night" only.
    assert judge(dim, day, reference).reason == "dark"
    night = judge(dim, day, None, night=True)
    assert night.reason == ""
    assert night.baseline["day"] == day["day"]
    assert night.baseline["night"]["luma"] == [night.scores["luma"]]


def test_the_baseline_is_the_cameras_own(healthy_clip: Clip) -> None:
    baseline = learned(healthy_clip)["day"]
    assert len(baseline["luma"]) == 3
    assert 100 < np.median(baseline["luma"]) < 140  # vtest's bright street
    assert baseline["ref"]  # which reference the match scores were measured against
    # Before any baseline a frozen street is caught only if its frames are identical.
    still = [healthy_clip.window(7.0)[0]] * 8
    assert judge(still, {}, None).reason == "frozen"


def test_accepting_a_new_reference_after_a_move(
    evaluation: Evaluation, vtest: Path, healthy_clip: Clip
) -> None:
    baseline = learned(healthy_clip)
    old = picture.reference_frame(healthy_clip.window(0.0))
    moved = clip_of(evaluation, vtest, "moved-pan").window(7.0)
    assert judge(moved, baseline, old).reason == "moved"
    # The operator accepts the new view: it becomes the reference, stored as a JPEG.
    new = picture.decode_reference(picture.encode_reference(picture.reference_frame(moved)))
    after = judge(clip_of(evaluation, vtest, "moved-pan").window(8.5), baseline, new)
    assert after.reason == ""
    assert after.baseline["day"]["ref"] != baseline["day"]["ref"]
    assert len(after.baseline["day"]["match"]) == 1  # match scores learn anew


def test_reference_snapshot_round_trip() -> None:
    gray = (np.arange(240 * 320).reshape(240, 320) % 251).astype(np.uint8)
    data = picture.encode_reference(gray)
    assert data[:2] == b"\xff\xd8"
    back = picture.decode_reference(data)
    assert back.shape == gray.shape and back.dtype == np.uint8
    assert float(np.abs(back.astype(int) - gray).mean()) < 12


def test_absolute_floors_before_a_baseline() -> None:
    black = [np.full((180, 320), 3, np.uint8)] * 4
    assert judge(black, {}, None).reason == "black"
    rng = np.random.default_rng(1)
    cloth = [(128 + rng.normal(0, 2, (180, 320))).clip(0, 255).astype(np.uint8) for _ in range(4)]
    assert judge(cloth, {}, None).reason == "covered"
    one = judge([cloth[0]], {}, None)  # a single frame: nothing to say about motion
    assert "still" not in one.scores


def test_silence_where_sound_is_expected(healthy_clip: Clip) -> None:
    frames = healthy_clip.window(7.0)

    def said(audio_db: float | None, expect: bool) -> str:
        return picture.judge(
            frames, baseline={}, reference=None, audio_db=audio_db, expect_audio=expect, night=False
        ).reason

    assert said(None, True) == "silent"  # no sound track at all
    assert said(-85.0, True) == "silent"
    assert said(-35.0, True) == ""
    assert said(None, False) == ""


def test_small_gray_is_about_320_wide() -> None:
    frame = av.VideoFrame.from_ndarray(np.zeros((576, 768, 3), np.uint8), format="rgb24")
    gray = picture.small_gray(frame)
    assert gray.shape == (240, 320) and gray.dtype == np.uint8


def test_the_fast_percentile_and_median_give_numpys_values() -> None:
    rng = np.random.default_rng(16)
    for size in (1, 2, 7, 19200):
        values = rng.integers(0, 256, size).astype(np.uint8)
        for q in (0.0, 5.0, 50.0, 95.0, 100.0, 37.3):
            assert picture.percentile_u8(values, q) == pytest.approx(np.percentile(values, q))
    assert picture.percentile_u8(np.full(50, 9, np.uint8), 95) == 9.0
    for frames in (3, 4, 8):
        stack = rng.integers(0, 256, (frames, 24, 32)).astype(np.float32)
        assert np.allclose(picture.stack_median(stack), np.median(stack, axis=0))
