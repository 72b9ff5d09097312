"""Small charts drawn on the server as inline SVG (no script, no library): the geometry of
the 30-day complaints trend and of the compliance scores by area. The SVG scales to its
box (a viewBox 300 units wide), so one drawing fits a 390 px phone and a desktop."""

from __future__ import annotations

from dataclasses import dataclass

from nigrani.accounts.models import JurisdictionNode
from nigrani.grievances.figures import Day

WIDTH, HEIGHT = 300, 120
LEFT, TOP, BOTTOM = 22, 10, 100  # the plot area, in viewBox units
ROW = 26  # one area's bar in the scores chart


@dataclass(frozen=True, slots=True)
class DayBar:
    """One day of the trend: the received bar, and the breaches bar drawn over it."""

    day: Day
    x: float
    width: float
    received_y: float
    breached_y: float


@dataclass(frozen=True, slots=True)
class Trend:
    """The trend chart: a bar per day, the scale's top, the first and last dates."""

    bars: list[DayBar]
    peak: int
    first: str
    last: str
    breached: int  # SLA breaches over the whole span
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = BOTTOM


def _y(value: int, peak: int) -> float:
    return round(BOTTOM - (BOTTOM - TOP) * value / peak, 1)


def trend(days: list[Day]) -> Trend:
    """Bars for the days, scaled to the busiest day (at least 1)."""
    peak = max([1] + [d.received for d in days] + [d.breached for d in days])
    step = (WIDTH - LEFT) / max(1, len(days))
    bars = [
        DayBar(
            d,
            round(LEFT + i * step, 1),
            round(step * 0.8, 1),
            _y(d.received, peak),
            _y(d.breached, peak),
        )
        for i, d in enumerate(days)
    ]
    first, last = (days[0].day, days[-1].day) if days else (None, None)
    return Trend(
        bars=bars,
        peak=peak,
        first=first.strftime("%d.%m") if first else "",
        last=last.strftime("%d.%m") if last else "",
        breached=sum(d.breached for d in days),
    )


@dataclass(frozen=True, slots=True)
class ScoreBar:
    """One area's compliance score as a horizontal bar (None: no station to score)."""

    node: JurisdictionNode
    score: float | None
    y: int
    width: float


@dataclass(frozen=True, slots=True)
class Scores:
    """The scores chart: a bar per area, the chart's height."""

    bars: list[ScoreBar]
    height: int
    bar_left: int = 130
    bar_span: int = 130


def scores(areas: list[tuple[JurisdictionNode, float | None]]) -> Scores | None:
    """Bars for the areas' scores (0–100), or None when there is no area."""
    if not areas:
        return None
    bars = [
        ScoreBar(node, score, i * ROW, round(130 * (score or 0) / 100, 1))
        for i, (node, score) in enumerate(areas)
    ]
    return Scores(bars, ROW * len(bars))
