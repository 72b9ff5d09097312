"""Is the picture usable? Checks of a probe's few frames against the camera's own baseline.

Fixed thresholds fail across scenes (a dim lane is not a broken camera; a blank wall has
few edges), so each score is compared with the camera's own running median, learned from
its healthy probes, by day and by night apart. Until a period has `MIN_SAMPLES` healthy
probes, only conservative absolute floors apply.

The scores, all cheap on a ~320 px grayscale frame (a few milliseconds for 8 frames):
- `luma`, `p95`: brightness; black is near zero everywhere, dark is far below the baseline;
- `edges`: share of coarse (4×4 block) gradients above 12 % of the picture's brightness,
  so it survives dimming but collapses when something covers the lens;
- `sharpness`: Laplacian energy at full size over that at half size, which falls when the
  lens is out of focus while lighting and contrast cancel out;
- `still` / `mad`: share of (2×2 block) pixels that changed by more than `CHANGE_LEVEL`
  between consecutive frames, and the mean absolute difference: a frozen stream changes
  nowhere, not even the burnt-in clock; sensor noise alone stays under the level;
- `match`: correlation of blurred edge maps of the probe's median frame and the reference
  snapshot; it falls when the camera looks elsewhere (moved, turned, zoomed);
- `audio_db`: the sound's level, for cameras that should have sound.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any, Final

import av
import numpy as np
from PIL import Image

WINDOW: Final = 21  # healthy probes a running median remembers, per period
MIN_SAMPLES: Final = 3  # healthy probes before the baseline is trusted
CHANGE_LEVEL: Final = 12.0  # grey levels a 2×2 block must change by to count as motion
EDGE_CONTRAST: Final = 0.12  # Weber contrast of a coarse gradient that counts as an edge
# Absolute floors (before a baseline, and always for black and silence).
BLACK_P95: Final = 12.0
BLACK_LUMA: Final = 8.0
DARK_LUMA: Final = 22.0
COVERED_EDGES: Final = 0.004
SILENT_DB: Final = -60.0
MOVED_MATCH: Final = 0.25
# Relative to the camera's own running median.
DARK_RATIO: Final = 0.4
COVERED_RATIO: Final = 0.25
DEFOCUS_RATIO: Final = 0.55
FROZEN_RATIO: Final = 0.2
FROZEN_STILL: Final = 0.0005
MOVED_RATIO: Final = 0.5
SILENT_DROP_DB: Final = 30.0
LEARNED: Final = ("luma", "edges", "sharpness", "still", "mad", "audio_db")


@dataclass(frozen=True)
class Judgement:
    """The verdict on one probe's picture: `reason` "" when fine, else a degraded reason."""

    reason: str
    scores: dict[str, float]
    baseline: dict[str, Any]


def small_gray(frame: av.VideoFrame, width: int = 320) -> np.ndarray:
    """The frame as a small grayscale array (the reduction the prober uses)."""
    height = max(2, round(frame.height * width / max(1, frame.width) / 2) * 2)
    gray: np.ndarray = frame.reformat(width=width, height=height, format="gray").to_ndarray()
    return gray


def encode_reference(gray: np.ndarray) -> bytes:
    """JPEG bytes of a grayscale picture, stored as the camera's reference snapshot."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8), mode="L").save(
        out, format="JPEG", quality=85
    )
    return out.getvalue()


def decode_reference(data: bytes) -> np.ndarray:
    """The grayscale array of a stored reference snapshot."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)


def reference_frame(frames: Sequence[np.ndarray]) -> np.ndarray:
    """The picture to keep as a reference: the median of a probe's frames (passers-by fade)."""
    stack = np.stack([np.asarray(f, dtype=np.uint8) for f in frames[:8]])
    out: np.ndarray = stack_median(stack).astype(np.uint8)
    return out


def judge(
    frames: Sequence[np.ndarray],
    *,
    baseline: dict[str, Any],
    reference: np.ndarray | None,
    audio_db: float | None,
    expect_audio: bool,
    night: bool,
) -> Judgement:
    """Judge a probe's frames (grayscale, in order) against the camera's baseline."""
    if not frames:
        raise ValueError("judge needs at least one frame")
    period = "night" if night else "day"
    learned = _period(baseline, period)
    ref_key = _fingerprint(reference)
    if learned.get("ref") != ref_key:
        learned = {**learned, "ref": ref_key, "match": []}  # a new reference: learn anew
    scores = picture_scores(frames, reference)
    if audio_db is not None:
        scores["audio_db"] = float(audio_db)
    reason = _verdict(scores, learned, audio_db=audio_db, expect_audio=expect_audio)
    if not reason:
        learned = _learn(learned, scores)
    return Judgement(reason=reason, scores=_rounded(scores), baseline={**baseline, period: learned})


def picture_scores(frames: Sequence[np.ndarray], reference: np.ndarray | None) -> dict[str, float]:
    """The probe's scores: medians over up to three of its frames, motion over all of them."""
    grays = [np.asarray(f, dtype=np.uint8) for f in frames]
    picks = sorted({0, len(grays) // 2, len(grays) - 1})
    per_frame = [_frame_scores(grays[i]) for i in picks]
    scores = {key: float(median(s[key] for s in per_frame)) for key in per_frame[0]}
    same = [g for g in grays if g.shape == grays[0].shape]
    half = _blocks(np.stack(same).astype(np.float32), 2)  # frames × H/2 × W/2
    scores.update(_motion(half))
    if reference is not None:
        scores["match"] = _match(stack_median(half), reference)
    return scores


def stack_median(stack: np.ndarray) -> np.ndarray:
    """The per-pixel median of a stack of frames (np.median's value; three frames, as a
    keyframe probe reads, by a min/max network at a fraction of the cost)."""
    if stack.shape[0] == 3:
        a, b, c = stack[0], stack[1], stack[2]
        out: np.ndarray = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
        return out
    return np.asarray(np.median(stack, axis=0))


def percentile_u8(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) (linear) of 8-bit values, from their histogram."""
    flat = np.asarray(values, dtype=np.uint8).ravel()
    if flat.size == 0:
        raise ValueError("percentile of no values")
    counts = np.cumsum(np.bincount(flat, minlength=256))
    rank = q / 100 * (flat.size - 1)
    low = int(np.searchsorted(counts, int(rank), side="right"))
    high = int(np.searchsorted(counts, min(int(rank) + 1, flat.size - 1), side="right"))
    return float(low + (high - low) * (rank - int(rank)))


def _frame_scores(gray: np.ndarray) -> dict[str, float]:
    f = gray.astype(np.float32)
    luma = float(f.mean())
    half = _blocks(f, 2)
    coarse = _blocks(half, 2)
    gx = np.abs(np.diff(coarse, axis=1))[:-1, :]
    gy = np.abs(np.diff(coarse, axis=0))[:, :-1]
    edges = float(np.mean(np.maximum(gx, gy) > EDGE_CONTRAST * (luma + 8.0)))
    fine = float(_laplacian(f).var())
    return {
        "luma": luma,
        "p95": percentile_u8(gray[::2, ::2], 95),
        "contrast": float(f.std()),
        "edges": edges,
        "sharpness": fine / (float(_laplacian(half).var()) + 1.0),
    }


def _motion(half: np.ndarray) -> dict[str, float]:
    """Largest changed share and mean absolute difference over consecutive frames."""
    if half.shape[0] < 2:
        return {}
    diff = np.abs(np.diff(half, axis=0))
    changed = (diff > CHANGE_LEVEL).mean(axis=(1, 2))
    return {"still": float(changed.max()), "mad": float(diff.mean(axis=(1, 2)).max())}


def _match(current: np.ndarray, reference: np.ndarray) -> float:
    """Correlation of the edge maps of the probe's (half-size) median frame and the reference."""
    ref = np.asarray(reference, dtype=np.uint8)
    size = (current.shape[1] * 2, current.shape[0] * 2)
    if (ref.shape[1], ref.shape[0]) != size:
        ref = np.asarray(Image.fromarray(ref, mode="L").resize(size, Image.Resampling.BILINEAR))
    a, b = _edge_map(current), _edge_map(_blocks(ref.astype(np.float32), 2))
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 1e-6 else 0.0


def _edge_map(half: np.ndarray) -> np.ndarray:
    """Gradient magnitude (relative to brightness), box-blurred to forgive a little jitter."""
    gx = np.abs(np.diff(half, axis=1))[:-1, :]
    gy = np.abs(np.diff(half, axis=0))[:, :-1]
    grad = (gx + gy) / (float(half.mean()) + 8.0)
    return _box_blur(grad, 3)


def _verdict(
    scores: dict[str, float], learned: dict[str, Any], *, audio_db: float | None, expect_audio: bool
) -> str:
    for check in (_black, _covered, _dark, _defocused, _stuck, _moved, _frozen):
        reason = check(scores, learned)
        if reason:
            return reason
    if expect_audio and _silent(audio_db, learned):
        return "silent"
    return ""


def _black(scores: dict[str, float], _learned: dict[str, Any]) -> str:
    return "black" if scores["p95"] <= BLACK_P95 and scores["luma"] <= BLACK_LUMA else ""


def _covered(scores: dict[str, float], learned: dict[str, Any]) -> str:
    base = _median(learned, "edges")
    floor = COVERED_EDGES if base is None else max(COVERED_EDGES, COVERED_RATIO * base)
    return "covered" if scores["edges"] < floor else ""


def _dark(scores: dict[str, float], learned: dict[str, Any]) -> str:
    base = _median(learned, "luma")
    floor = DARK_LUMA if base is None else min(DARK_RATIO * base, 60.0)
    return "dark" if scores["luma"] < max(floor, BLACK_LUMA) else ""


def _defocused(scores: dict[str, float], learned: dict[str, Any]) -> str:
    base = _median(learned, "sharpness")
    return "defocused" if base is not None and scores["sharpness"] < DEFOCUS_RATIO * base else ""


def _stuck(scores: dict[str, float], learned: dict[str, Any]) -> str:
    """Frozen beyond doubt, said before "moved": a stuck frame need not match the reference."""
    if "still" not in scores:
        return ""
    base_still, base_mad = _median(learned, "still"), _median(learned, "mad")
    if scores["mad"] < 0.01 and (base_mad is None or base_mad >= 0.2):
        return "frozen"  # every frame identical, on a camera whose frames normally differ
    moving = base_still is not None and base_still >= 2 * FROZEN_STILL
    return "frozen" if moving and scores["still"] == 0.0 else ""  # not one block changed


def _frozen(scores: dict[str, float], learned: dict[str, Any]) -> str:
    if "still" not in scores:
        return ""
    base_still = _median(learned, "still")
    if base_still is None or base_still < 2 * FROZEN_STILL:
        return ""  # the scene is normally still: no motion proves nothing
    limit = min(FROZEN_STILL, FROZEN_RATIO * base_still)
    return "frozen" if scores["still"] <= limit else ""


def _moved(scores: dict[str, float], learned: dict[str, Any]) -> str:
    if "match" not in scores:
        return ""
    base = _median(learned, "match")
    floor = MOVED_MATCH if base is None else max(MOVED_MATCH, MOVED_RATIO * base)
    return "moved" if scores["match"] < floor else ""


def _silent(audio_db: float | None, learned: dict[str, Any]) -> bool:
    if audio_db is None or audio_db < SILENT_DB:
        return True
    base = _median(learned, "audio_db")
    return base is not None and audio_db < min(base - SILENT_DROP_DB, -45.0)


def _period(baseline: dict[str, Any], period: str) -> dict[str, Any]:
    value = baseline.get(period)
    return dict(value) if isinstance(value, dict) else {}


def _learn(learned: dict[str, Any], scores: dict[str, float]) -> dict[str, Any]:
    out = dict(learned)
    for key in (*LEARNED, "match"):
        if key in scores:
            history = [float(v) for v in out.get(key, []) if isinstance(v, int | float)]
            out[key] = [*history, round(scores[key], 5)][-WINDOW:]
    return out


def _median(learned: dict[str, Any], key: str) -> float | None:
    values = learned.get(key)
    if not isinstance(values, list) or len(values) < MIN_SAMPLES:
        return None
    return float(median(values))


def _fingerprint(reference: np.ndarray | None) -> str:
    if reference is None:
        return ""
    ref = np.ascontiguousarray(reference)
    return f"{ref.shape[0]}x{ref.shape[1]}:{zlib.crc32(ref.tobytes()):08x}"


def _blocks(f: np.ndarray, n: int) -> np.ndarray:
    """Mean over n×n blocks of the last two axes (a ragged right or bottom edge is dropped)."""
    h, w = (f.shape[-2] // n) * n, (f.shape[-1] // n) * n
    f = f[..., :h, :w]
    total = sum(f[..., i::n, j::n] for i in range(n) for j in range(n))
    out: np.ndarray = np.asarray(total) / (n * n)
    return out


def _laplacian(f: np.ndarray) -> np.ndarray:
    out: np.ndarray = 4 * f[1:-1, 1:-1] - f[:-2, 1:-1] - f[2:, 1:-1] - f[1:-1, :-2] - f[1:-1, 2:]
    return out


def _box_blur(f: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)² window, by cumulative sums (edges padded by reflection)."""
    p = np.pad(f, r, mode="edge")
    c = np.cumsum(np.cumsum(p, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    k = 2 * r + 1
    out: np.ndarray = (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)
    return out


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 5) for key, value in scores.items()}
