"""Incidents in figures for the home pages, each counted with the incidents list's own
filter (`service.IncidentFilter`), so a number and the list behind it agree."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.canvass.models import Incident
from nigrani.canvass.service import FOOTAGE_STATES, IncidentFilter, incident_where


@dataclass(frozen=True, slots=True)
class IncidentCounts:
    """Open incidents, those recorded since a moment, and incidents by footage state."""

    open: int
    since: int
    footage: dict[str, int]


def count(session: Session, *, scope_path: str, f: IncidentFilter) -> int:
    """How many incidents the list shows for this filter."""
    stmt = select(func.count(Incident.id)).where(*incident_where(scope_path, f))
    return session.scalar(stmt) or 0


def counts(
    session: Session, *, scope_path: str, since: datetime, officer_id: int | None = None
) -> IncidentCounts:
    """The figures of one officer's incidents (or all under a node): five indexed counts."""
    mine = IncidentFilter(officer_id=officer_id)
    return IncidentCounts(
        open=count(session, scope_path=scope_path, f=replace(mine, status="open")),
        since=count(session, scope_path=scope_path, f=replace(mine, since=since)),
        footage={
            state: count(session, scope_path=scope_path, f=replace(mine, footage=state))
            for state in FOOTAGE_STATES
        },
    )
