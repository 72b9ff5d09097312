"""A raised voice's level trace as the alert page draws it: an inline SVG line chart (no
script) of the room's level, with the baseline and the threshold, the event's span shaded,
and the time axis in seconds from the event's start. Geometry only: the template draws."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from nigrani.analytics.level_trace import MAX_DB, MIN_DB, LevelTrace

WIDTH, HEIGHT = 360.0, 170.0  # the viewBox: drawn at the page's width, ~1:1 on a phone
LEFT, RIGHT, TOP, BOTTOM = 34.0, 8.0, 8.0, 22.0
BREAK_S = 2.0  # points further apart than this are not joined (the sound was away)
STEP_DB = 10.0


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x or y in the viewBox
    label: str


@dataclass(frozen=True, slots=True)
class TraceChart:
    lines: list[str]  # each a polyline's `points`
    event_span: tuple[float, float]  # x from, x to: the event's time
    baseline_y: float | None
    threshold_y: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    peak_db: float
    baseline_db: float | None
    threshold_db: float | None
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    top: float = TOP
    right: float = WIDTH - RIGHT
    bottom: float = HEIGHT - BOTTOM


def _db_range(levels: list[float], marks: list[float]) -> tuple[float, float]:
    low = max(MIN_DB, math.floor((min(levels + marks) - 3) / STEP_DB) * STEP_DB)
    high = min(MAX_DB, math.ceil((max(levels + marks) + 3) / STEP_DB) * STEP_DB)
    return low, max(high, low + STEP_DB)


def _x_step(span_s: float) -> float:
    return next((s for s in (5.0, 10.0, 15.0, 30.0, 60.0, 120.0) if span_s / s <= 6), 300.0)


def _signed(seconds: float) -> str:
    return "0" if seconds == 0 else f"{seconds:+.0f}"


def chart(trace: LevelTrace, *, started_at: datetime, ended_at: datetime | None) -> TraceChart:
    """The chart of a trace whose event ran from started_at to ended_at (None: still on)."""
    points = trace.points
    origin = (started_at - trace.start).total_seconds()  # the event's start, in trace time
    last = points[-1][0] if points else origin
    end = (ended_at - trace.start).total_seconds() if ended_at else last
    t0, t1 = min(0.0, points[0][0] if points else 0.0), max(last, end, origin + 1.0)
    marks = [v for v in (trace.baseline_db, trace.threshold_db) if v is not None]
    low, high = _db_range([db for _, db in points] or marks or [-60.0], marks)
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + (t - t0) / (t1 - t0) * (right - LEFT), 1)

    def y(db: float) -> float:
        return round(bottom - (db - low) / (high - low) * (bottom - TOP), 1)

    lines: list[list[str]] = []
    for i, (t, db) in enumerate(points):
        if i == 0 or t - points[i - 1][0] > BREAK_S:
            lines.append([])
        lines[-1].append(f"{x(t)},{y(db)}")
    step = _x_step(t1 - t0)
    first = math.ceil((t0 - origin) / step) * step
    x_ticks = [
        Tick(x(origin + s), _signed(s))
        for s in (first + k * step for k in range(int((t1 - t0) / step) + 2))
        if t0 <= origin + s <= t1
    ]
    y_ticks = [Tick(y(v), f"{v:.0f}") for v in _range(low, high, STEP_DB)]
    return TraceChart(
        lines=[" ".join(line) for line in lines],
        event_span=(x(origin), x(min(end, t1))),
        baseline_y=y(trace.baseline_db) if trace.baseline_db is not None else None,
        threshold_y=y(trace.threshold_db) if trace.threshold_db is not None else None,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        peak_db=max((db for _, db in points), default=low),
        baseline_db=trace.baseline_db,
        threshold_db=trace.threshold_db,
    )


def _range(low: float, high: float, step: float) -> list[float]:
    return [low + k * step for k in range(round((high - low) / step) + 1)]
