"""A raised voice's level trace: the room's level each sound window (~0.5 s) from shortly
before the event until its end, with the baseline and the threshold it was judged against.

The worker's rules keep each camera's recent levels (`LevelHistory`) and give each raised
voice its trace (`TraceBuilder`); the server validates it (`LevelTrace`) and keeps it as
JSON on the event for the alert page's chart."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from nigrani.core.i18n import _

PRE_S = 30.0  # of the room's level before the condition began
MAX_POINTS = 720  # ~6 minutes of 0.512 s windows: the pre-roll and the event's first minutes
MAX_SPAN_S = 3600.0
MIN_DB, MAX_DB = -120.0, 10.0
Db = Annotated[float, Field(ge=MIN_DB, le=MAX_DB, allow_inf_nan=False)]
Offset = Annotated[float, Field(ge=0, le=MAX_SPAN_S, allow_inf_nan=False)]


class LevelTrace(BaseModel):
    """The room's level, as [seconds after `start`, dBFS] points in time order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    points: list[tuple[Offset, Db]] = Field(max_length=MAX_POINTS)
    baseline_db: Db | None = None
    threshold_db: Db | None = None

    @field_validator("points")
    @classmethod
    def _in_order(cls, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if any(b[0] < a[0] for a, b in pairwise(points)):
            raise ValueError(_("The trace's points must be in time order"))
        return points


@dataclass(slots=True)
class LevelHistory:
    """One camera's last `keep_s` seconds of sound windows: (moment, dBFS)."""

    keep_s: float = PRE_S
    levels: deque[tuple[datetime, float]] = field(default_factory=deque)

    def add(self, at: datetime, level_db: float) -> None:
        """One more window heard at `at`."""
        self.levels.append((at, level_db))
        while self.levels and (at - self.levels[0][0]).total_seconds() > self.keep_s:
            self.levels.popleft()

    def since(self, at: datetime) -> list[tuple[datetime, float]]:
        """The windows heard from `at` on."""
        return [(t, db) for t, db in self.levels if t >= at]


@dataclass(slots=True)
class TraceBuilder:
    """The trace of one raised voice as it goes on: the pre-roll, then each window, capped."""

    start: datetime
    baseline_db: float | None
    threshold_db: float | None
    points: list[tuple[float, float]] = field(default_factory=list)

    @classmethod
    def begin(
        cls, history: LevelHistory, *, onset: datetime, baseline_db: float | None, over_db: float
    ) -> TraceBuilder:
        """A trace from PRE_S before the onset, with the history's windows since then."""
        start = onset - timedelta(seconds=PRE_S)
        threshold = None if baseline_db is None else min(baseline_db + over_db, MAX_DB)
        built = cls(start, baseline_db, threshold)
        for at, level in history.since(start):
            built.add(at, level)
        return built

    def add(self, at: datetime, level_db: float) -> None:
        """One more window (kept while the trace has room)."""
        if len(self.points) < MAX_POINTS:
            offset = round((at - self.start).total_seconds(), 2)
            self.points.append((max(0.0, offset), min(max(level_db, MIN_DB), MAX_DB)))

    def trace(self) -> LevelTrace:
        """The trace so far, as posted with the event."""
        return LevelTrace(
            start=self.start,
            points=list(self.points),
            baseline_db=self.baseline_db,
            threshold_db=self.threshold_db,
        )
