"""The review report's trend: uptime per day as inline SVG bars drawn on the server (no script,
no library), in a viewBox 300 units wide so one drawing fits a 390 px phone and a desktop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 300, 120
LEFT, TOP, BOTTOM = 24, 8, 100  # the plot area, in viewBox units
GOOD, FAIR = 95.0, 80.0  # a day at or above GOOD is drawn green, below FAIR red


@dataclass(frozen=True, slots=True)
class DayBar:
    """One day's uptime (None: no camera was measured that day)."""

    day: date
    pct: float | None
    x: float
    width: float
    y: float

    @property
    def tone(self) -> str:
        """The bar's colour class."""
        if self.pct is None:
            return "none"
        return "good" if self.pct >= GOOD else "fair" if self.pct >= FAIR else "bad"


@dataclass(frozen=True, slots=True)
class Trend:
    """The chart: a bar per day, the first and last dates, the period's mean uptime."""

    bars: list[DayBar]
    first: str
    last: str
    mean: float | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = BOTTOM

    def y_of(self, pct: float) -> float:
        """Where a percentage sits on the chart."""
        return _y(pct)


def _y(pct: float) -> float:
    return round(BOTTOM - (BOTTOM - TOP) * max(0.0, min(pct, 100.0)) / 100, 1)


def trend(days: list[tuple[date, float | None]]) -> Trend | None:
    """Bars for the days (None when there are none)."""
    if not days:
        return None
    step = (WIDTH - LEFT) / len(days)
    bars = [
        DayBar(day, pct, round(LEFT + i * step, 1), round(max(step * 0.8, 0.6), 1), _y(pct or 0))
        for i, (day, pct) in enumerate(days)
    ]
    measured = [p for _d, p in days if p is not None]
    mean = round(sum(measured) / len(measured), 1) if measured else None
    return Trend(
        bars=bars,
        first=days[0][0].strftime("%d.%m"),
        last=days[-1][0].strftime("%d.%m"),
        mean=mean,
    )
