"""Object detectors for the station analytics, chosen by `type` (NIGRANI_ANALYTICS_DETECTOR).

Each detector takes BGR frames of any size and returns, per frame, the persons and cell
phones it found, with boxes in that frame's own pixels. "nanodet" runs NanoDet-m
(models/nanodet-m.onnx, made by tools/convert_nanodet.py) with onnxruntime; "none" finds
nothing (analytics off). Nothing here recognises faces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from nigrani.core.config import Settings

Frame = npt.NDArray[np.uint8]
Label = Literal["person", "cell_phone"]
MODEL = Path(__file__).parent / "models" / "nanodet-m.onnx"
# The COCO classes kept, by their index in the model's 80 scores.
CLASSES: dict[int, Label] = {0: "person", 67: "cell_phone"}
# Execution providers in order of preference; the CPU is always there.
PROVIDERS = ("CUDAExecutionProvider", "OpenVINOExecutionProvider", "CPUExecutionProvider")


class DetectorConfigError(ValueError):
    """A detector type or option the operator set that no detector has."""


@dataclass(frozen=True, slots=True)
class Detection:
    label: Label
    score: float
    # x1, y1, x2, y2 in the source frame's pixels
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Thresholds:
    person: float = 0.35
    cell_phone: float = 0.3
    iou: float = 0.6  # NMS: a box overlapping a better one of its class this much is dropped

    def of(self, label: Label) -> float:
        return self.person if label == "person" else self.cell_phone


class Detector(Protocol):
    def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
        """Per frame, what it shows."""
        ...


class NoDetector:
    """Finds nothing: analytics switched off."""

    def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
        return [[] for _ in frames]


def build_detector(settings: Settings) -> Detector:
    """The detector NIGRANI_ANALYTICS_DETECTOR names, warmed up and ready."""
    factory = DETECTORS.get(settings.analytics_detector)
    if factory is None:
        known = ", ".join(sorted(DETECTORS))
        raise DetectorConfigError(
            f"NIGRANI_ANALYTICS_DETECTOR {settings.analytics_detector!r} is no detector "
            f"(one of: {known})"
        )
    return factory(settings)


def _nanodet(settings: Settings) -> Detector:
    from nigrani.analytics.nanodet import NanoDet

    thresholds = Thresholds(
        person=settings.analytics_person_threshold,
        cell_phone=settings.analytics_phone_threshold,
    )
    return NanoDet(
        thresholds=thresholds,
        threads=settings.analytics_detector_threads,
        tiles=settings.analytics_detector_tiles,
    )


DETECTORS: dict[str, Callable[[Settings], Detector]] = {
    "nanodet": _nanodet,
    "none": lambda _settings: NoDetector(),
}


def session(model: Path, *, threads: int) -> ort.InferenceSession:
    """An onnxruntime session on the best provider present (CUDA, OpenVINO, else CPU)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # 0: onnxruntime's own choice
    options.inter_op_num_threads = 1
    chosen = providers(ort.get_available_providers())
    return ort.InferenceSession(str(model), sess_options=options, providers=chosen)


def providers(available: Sequence[str]) -> list[str]:
    """The providers to ask for, best first, of those this onnxruntime build has."""
    return [p for p in PROVIDERS if p in available] or ["CPUExecutionProvider"]


def resize(frame: Frame, size: int) -> Frame:
    """The frame stretched to size × size, without a letterbox (the preprocessing that was
    checked on real footage here, DESIGN.md)."""
    out: Any = cv2.resize(frame, (size, size), interpolation=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.uint8)
