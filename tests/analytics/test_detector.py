"""The detector plugins: NanoDet-m finds the pedestrians of real footage where they walk,
nothing in a black picture, the same in a batch as alone; the type is checked."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import get_args

import av
import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from nigrani.analytics import nanodet
from nigrani.analytics.detector import (
    DETECTORS,
    MODEL,
    Detection,
    DetectorConfigError,
    NoDetector,
    Thresholds,
    build_detector,
    providers,
)
from nigrani.analytics.nanodet import NanoDet
from nigrani.core.config import Settings
from tests.conftest import make_settings

VTEST = Path(__file__).resolve().parents[3] / "shared" / "data" / "vtest.avi"
FRAMES = (0, 200, 400, 600)
# Pedestrians counted by eye in those frames of vtest.avi (a traffic cone scores 0.35-0.42 as
# a person, and a walker half behind the sign scores as low: 0.5 leaves only the clear ones).
COUNTS = (3, 7, 3, 6)
# Frame 0's three walkers, boxed by hand (x1, y1, x2, y2 in the 768 × 576 frame).
WALKERS = ((251, 220, 283, 309), (499, 158, 530, 234), (639, 239, 684, 324))


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    picked = []
    with av.open(str(VTEST)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in FRAMES:
                picked.append(frame.to_ndarray(format="bgr24"))
            if index == FRAMES[-1]:
                return picked
    raise AssertionError("vtest.avi is shorter than expected")


@pytest.fixture(scope="module")
def detector() -> NanoDet:
    return NanoDet(thresholds=Thresholds(person=0.5), threads=1)


def persons(found: list[Detection]) -> list[Detection]:
    return [d for d in found if d.label == "person"]


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - width * height
    return width * height / union


def test_the_pedestrians_are_found_where_they_walk(
    detector: NanoDet, frames: list[np.ndarray]
) -> None:
    found = detector.detect(frames)
    assert [len(persons(f)) for f in found] == list(COUNTS)
    boxes = [d.box for d in persons(found[0])]
    assert all(max(iou(walker, box) for box in boxes) > 0.7 for walker in WALKERS)
    assert all(d.score >= 0.5 for f in found for d in f)


def test_boxes_are_in_the_source_frames_pixels(detector: NanoDet, frames: list[np.ndarray]) -> None:
    half = np.asarray(cv2.resize(frames[0], (384, 288), interpolation=cv2.INTER_AREA), np.uint8)
    (full,), (small,) = detector.detect(frames[:1]), detector.detect([half])
    assert len(persons(small)) == 3
    for box in (d.box for d in persons(small)):
        assert max(iou(tuple(v * 2 for v in box), d.box) for d in full) > 0.8


def test_a_black_frame_shows_nothing(detector: NanoDet) -> None:
    black = np.zeros((576, 768, 3), dtype=np.uint8)
    assert detector.detect([black, black[:100, :200]]) == [[], []]


def test_a_batch_finds_what_each_frame_finds_alone(
    detector: NanoDet, frames: list[np.ndarray]
) -> None:
    together = detector.detect(frames)
    for frame, batch in zip(frames, together, strict=True):
        (alone,) = detector.detect([frame])
        assert [d.label for d in alone] == [d.label for d in batch]
        assert np.allclose([d.box for d in alone], [d.box for d in batch], atol=0.01)
        assert np.allclose([d.score for d in alone], [d.score for d in batch], atol=1e-4)


def test_the_default_detector_comes_from_the_settings(
    tmp_path: Path, frames: list[np.ndarray]
) -> None:
    settings = make_settings("sqlite://", tmp_path, analytics_detector_threads=1)
    assert settings.analytics_detector == "nanodet"
    (found,) = build_detector(settings).detect(frames[:1])
    assert len(persons(found)) == 3  # at the default 0.35 too
    off = build_detector(make_settings("sqlite://", tmp_path, analytics_detector="none"))
    assert isinstance(off, NoDetector)
    assert off.detect(frames[:2]) == [[], []]


def test_an_unknown_detector_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"analytics_detector\n.*'nanodet' or 'none'"):
        make_settings("sqlite://", tmp_path, analytics_detector="yolo")
    settings = make_settings("sqlite://", tmp_path).model_copy(
        update={"analytics_detector": "yolo"}
    )
    with pytest.raises(DetectorConfigError, match=r"'yolo' is no detector \(one of: nanodet"):
        build_detector(settings)
    # The settings offer exactly the detectors there are.
    choices = get_args(Settings.model_fields["analytics_detector"].annotation)
    assert set(choices) == set(DETECTORS)


def test_a_cell_is_decoded_into_its_box_and_class() -> None:
    heads = [
        np.zeros(((416 // s) ** 2, width), dtype=np.float32)
        for s in nanodet.STRIDES
        for width in (80, 44)
    ]
    cell = 10 * 26 + 5  # stride 16: column 5, row 10, centre (88, 168)
    heads[2][cell, 67] = 0.9  # a cell phone
    reg = np.full((4, 11), -20.0, dtype=np.float32)
    reg[[0, 1, 2, 3], [1, 2, 3, 4]] = 20.0  # left 1, top 2, right 3, bottom 4 strides
    heads[3][cell] = reg.ravel()
    scores, boxes = nanodet.decode(heads)
    assert len(scores) == len(boxes) == 52**2 + 26**2 + 13**2  # every cell
    best = int(np.argmax(scores[:, 1]))
    assert scores[best].tolist() == pytest.approx([0.0, 0.9])
    assert boxes[best].tolist() == pytest.approx([72, 136, 136, 232], abs=1e-3)
    scores, boxes = nanodet.decode(heads, 0.5)  # only the cells that could be kept
    assert scores.shape == (1, 2)
    assert boxes.shape == (1, 4)
    assert scores[0].tolist() == pytest.approx([0.0, 0.9])
    assert boxes[0].tolist() == pytest.approx([72, 136, 136, 232], abs=1e-3)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]], dtype=np.float32)
    assert nanodet.nms(boxes, 0.6) == [0, 2]
    assert nanodet.nms(boxes, 0.9) == [0, 1, 2]


def test_the_model_is_the_one_its_readme_names() -> None:
    readme = (MODEL.parent / "README.md").read_text(encoding="utf-8")
    (named,) = re.findall(rf"{MODEL.name}.*sha256 `([0-9a-f]{{64}})`", readme)
    assert hashlib.sha256(MODEL.read_bytes()).hexdigest() == named


def test_a_gpu_or_openvino_build_is_used_when_installed(detector: NanoDet) -> None:
    assert detector.session.get_providers() == ["CPUExecutionProvider"]  # this machine's
    gpu = ["AzureExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert providers(gpu) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    vino = ["OpenVINOExecutionProvider", "CPUExecutionProvider"]
    assert providers(vino) == vino


def test_two_tiles_find_the_walkers_in_the_frames_pixels_and_keep_one_box_each(
    detector: NanoDet, frames: list[np.ndarray]
) -> None:
    tiled = NanoDet(tiles=2, threads=1)
    whole, halves = detector.detect(frames[:1])[0], tiled.detect(frames[:1])[0]
    # each walker once (the overlap's doubles merged), where the whole frame sees it
    assert len(persons(halves)) >= len(persons(whole))
    for box in (d.box for d in persons(whole)):
        assert sum(iou(box, d.box) > 0.5 for d in persons(halves)) == 1
    assert all(0 <= d.box[0] < d.box[2] <= 768 and 0 <= d.box[1] < d.box[3] <= 576 for d in halves)
    # a batch of several frames gives what each gives alone; a portrait frame is not split
    for frame, batch in zip(frames[1:3], tiled.detect(frames[:3])[1:], strict=True):
        (alone,) = tiled.detect([frame])
        assert [d.label for d in alone] == [d.label for d in batch]
        assert np.allclose([d.box for d in alone], [d.box for d in batch], atol=0.01)
    portrait = np.ascontiguousarray(frames[0][:, :400])
    (split,), (one,) = tiled.detect([portrait]), detector.detect([portrait])
    assert np.allclose([d.box for d in split], [d.box for d in one], atol=0.01)
    with pytest.raises(ValueError, match="1 or 2"):
        NanoDet(tiles=3)
