"""Synthetic people walking in a 1280 × 720 picture, and what a flawed detector reports of
them: boxes jittered by 3 % of the height, 20 % of the persons missed in each frame, 15 %
of the rest at a low score, and about one one-frame false positive per frame anywhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nigrani.analytics.detector import Detection
from nigrani.analytics.kalman import Box

WIDTH, HEIGHT = 1280, 720


@dataclass(frozen=True, slots=True)
class Frame:
    at: float
    detections: list[Detection]
    truth: list[Box]


def walk(
    seed: int, *, people: int = 8, seconds: float = 120, fps: float = 2.0, miss: float = 0.2
) -> list[Frame]:
    """People of 120-200 px walking at 0.3-0.8 of their height a second (about 0.5-1.3 m/s),
    turning gently, now and then stopping or setting off, turning back at the edges."""
    rng = np.random.default_rng(seed)
    height = rng.uniform(120, 200, people)
    width = height * 0.4
    feet = np.column_stack([rng.uniform(width, WIDTH - width), rng.uniform(height, HEIGHT)])
    pace = rng.uniform(0.3, 0.8, people) * height
    heading = rng.uniform(0, 2 * np.pi, people)
    moving = np.ones(people, dtype=bool)
    low = np.column_stack([width / 2, height])
    high = np.column_stack([WIDTH - width / 2, np.full(people, float(HEIGHT))])
    frames = []
    for index in range(int(seconds * fps)):
        truth = [
            (x - w / 2, y - h, x + w / 2, y)
            for (x, y), w, h in zip(feet.tolist(), width, height, strict=True)
        ]
        frames.append(Frame(index / fps, _detect(rng, truth, miss), truth))
        moving ^= rng.random(people) < 0.05 / fps
        heading += rng.normal(0, 0.4, people) / np.sqrt(fps)
        steps = np.column_stack([np.cos(heading), np.sin(heading)]) * (pace * moving)[:, None]
        feet += steps / fps
        out_x = (feet[:, 0] < low[:, 0]) | (feet[:, 0] > high[:, 0])
        out_y = (feet[:, 1] < low[:, 1]) | (feet[:, 1] > high[:, 1])
        heading[out_x] = np.pi - heading[out_x]
        heading[out_y] = -heading[out_y]
        feet = np.clip(feet, low, high)
    return frames


def _detect(rng: np.random.Generator, truth: list[Box], miss: float) -> list[Detection]:
    found = []
    for box in truth:
        if rng.random() < miss:
            continue
        jitter = rng.normal(0, 0.03 * (box[3] - box[1]), 4)
        score = rng.uniform(0.2, 0.5) if rng.random() < 0.15 else rng.uniform(0.6, 0.95)
        found.append(Detection("person", float(score), _box(np.add(box, jitter))))
    for _ in range(rng.poisson(1.0)):
        x, y = rng.uniform(0, WIDTH - 80), rng.uniform(0, HEIGHT - 160)
        size = (rng.uniform(30, 80), rng.uniform(80, 160))
        found.append(
            Detection(
                "person", float(rng.uniform(0.5, 0.9)), _box((x, y, x + size[0], y + size[1]))
            )
        )
    order = rng.permutation(len(found))
    return [found[i] for i in order]


def _box(values: object) -> Box:
    x1, y1, x2, y2 = (float(v) for v in np.asarray(values, dtype=np.float64))
    return (x1, y1, x2, y2)


def crossing(seed: int, *, fps: float = 2.0) -> list[Frame]:
    """Two people walking towards each other along nearly the same line, passing through
    each other's boxes mid-way (one slightly nearer the camera), 20 % of detections missed."""
    rng = np.random.default_rng(seed)
    frames = []
    for index in range(int(16 * fps)):
        t = index / fps
        a = 200 + 70 * t  # left to right
        b = 1080 - 70 * t  # right to left
        truth = [(a - 30, 300.0, a + 30, 450.0), (b - 28, 310.0, b + 28, 450.0)]
        found = []
        for box in truth:
            if rng.random() < 0.2:
                continue
            jitter = rng.normal(0, 4, 4)
            found.append(
                Detection("person", float(rng.uniform(0.6, 0.9)), _box(np.add(box, jitter)))
            )
        frames.append(Frame(t, found, truth))
    return frames
