"""A constant-velocity Kalman filter on a box (centre x, centre y, aspect w/h, height and
their velocities), as SORT and ByteTrack keep one per track, but over seconds rather than
frames: a station camera's frames come at 2-5 fps with gaps, so each step is as long as the
time since the last one, and the noise grows with it. Noise scales with the box's height, so
a far person and a near one are equally sure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]  # x1, y1, x2, y2
Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]

MEASURED = np.hstack([np.eye(4), np.zeros((4, 4))])  # we see cx, cy, a, h, not velocities


@dataclass(frozen=True, slots=True)
class Noise:
    """Standard deviations, as fractions of the box's height (aspect: absolute)."""

    measured: float = 0.05  # a detector's box edge jitters about 5 % of the height
    aspect: float = 0.1
    walk: float = 0.1  # position drift not explained by the velocity, per √s
    turn: float = 0.6  # velocity change (heights/s) per √s: people stop, turn, start
    first_speed: float = 1.0  # an unknown walker's speed, heights/s (about 1.5 m/s)


def xyah(box: Box) -> Vector:
    x1, y1, x2, y2 = box
    height = max(y2 - y1, 1e-6)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / height, height])


def corners(mean: Vector) -> Box:
    cx, cy, aspect, height = (float(v) for v in mean[:4])
    half_w, half_h = aspect * height / 2, height / 2
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


class BoxFilter:
    """One track's state estimate and its covariance."""

    __slots__ = ("covariance", "mean", "noise")

    def __init__(self, box: Box, noise: Noise) -> None:
        self.noise = noise
        self.mean = np.concatenate([xyah(box), np.zeros(4)])
        h = self.mean[3]
        first = noise.first_speed * h
        std = [2 * noise.measured * h] * 2 + [noise.aspect, 2 * noise.measured * h]
        self.covariance = np.diag(np.square([*std, first, first, 1e-3, first / 4]))

    @property
    def box(self) -> Box:
        return corners(self.mean)

    def predict(self, dt: float, *, hold_size: bool = False) -> None:
        """Move the estimate dt seconds on; hold_size keeps the height as it is (a lost
        track's height should not keep growing or shrinking unseen)."""
        if hold_size:
            self.mean[7] = 0.0
        if dt <= 0:
            return
        motion = np.eye(8)
        motion[range(4), range(4, 8)] = dt
        h = self.mean[3]
        walk, turn = self.noise.walk * h, self.noise.turn * h
        std = np.array([walk, walk, 1e-2, walk, turn, turn, 1e-3, turn / 4])
        self.mean = motion @ self.mean
        self.covariance = motion @ self.covariance @ motion.T + np.diag(np.square(std) * dt)

    def update(self, box: Box) -> None:
        """Correct the estimate with a detected box."""
        measured = xyah(box)
        h = self.mean[3]
        std = [self.noise.measured * h] * 2 + [self.noise.aspect, self.noise.measured * h]
        projected = MEASURED @ self.covariance @ MEASURED.T + np.diag(np.square(std))
        gain = np.linalg.solve(projected, MEASURED @ self.covariance).T
        self.mean = self.mean + gain @ (measured - MEASURED @ self.mean)
        self.covariance = self.covariance - gain @ projected @ gain.T
