"""A camera's health state without flapping: probe results become a state only once K in a
row agree; a state other than working is an outage with a start and an end.

Rules (`record`):
- A result equal to the current state clears any candidate. A different one becomes the
  candidate (or adds to it when it repeats it); the K-th in a row applies it. A stream that
  drops for a few seconds fails one probe, and the next probe's result clears it again.
- From `unknown` (never probed, or just added) the first result applies at once: there is
  no earlier state a blip could disturb, and waiting K intervals (15 minutes at the default
  5) would only leave the camera unknown on the report for nothing.
- The new state begins when the first of the K agreeing results came (`candidate_since`),
  not at the K-th: an outage starts when the camera failed, and ends at its first good probe.
- Every state but working is an outage (HealthOutage), one per (state, reason): a change
  from offline to degraded (or from black to covered) closes the open outage and opens the
  next at the same instant, so the report can tell offline time from degraded time, and
  time to repair follows the chain of touching outages back to when the camera stopped
  working (health/uptime.py).
- A result older than the last one recorded is ignored: it cannot be "in a row".
- The target's row is read again with SELECT … FOR UPDATE (on SQLite the writer lock stands
  for the row lock) before it is judged, so two probers recording the same camera at once
  apply one change, and the unique index on open outages would refuse a second anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nigrani.cameras.categories import DEFAULT_CATEGORIES
from nigrani.cameras.models import Camera
from nigrani.health.models import DEGRADED_REASONS, OFFLINE_REASONS, HealthOutage, HealthTarget
from nigrani.stations.models import StationCamera

CONFIRM = 3  # K: the default of settings.health_confirm_probes
UNKNOWN, WORKING, DEGRADED, OFFLINE = "unknown", "working", "degraded", "offline"
BROKEN = (DEGRADED, OFFLINE)
_REASONS = {WORKING: ("",), DEGRADED: DEGRADED_REASONS, OFFLINE: OFFLINE_REASONS}

# Who repairs a registry camera, by category: the city's own networks (Smart City runs the
# ITMS cameras at roads and junctions), the municipal corporation's, a police post's (its
# station), and every private place's owner. Other public bodies' cameras (KDA, NHAI, bus
# stands) and categories this table does not know go to the control room, which chases them.
_TEAM_BY_CODE = {"smart_city": "smart_city", "road": "smart_city", "nagar_nigam": "nagar_nigam"}
_TEAM_BY_CODE |= {"police_post": "station", "station": "station"}
_PRIVATE = frozenset(spec.code for spec in DEFAULT_CATEGORIES if not spec.is_public)


@dataclass(frozen=True)
class Change:
    """A state a camera entered: from which, the reason, and when it began."""

    target_id: int
    old: str
    new: str
    reason: str
    at: datetime


def team_for(category_code: str) -> str:
    """The team that repairs cameras of a registry category ("station": a station camera)."""
    if category_code in _TEAM_BY_CODE:
        return _TEAM_BY_CODE[category_code]
    return "owner" if category_code in _PRIVATE else "control_room"


def record(
    session: Session,
    target: HealthTarget,
    *,
    state: str,
    reason: str,
    now: datetime,
    measurements: dict[str, Any],
    confirm: int,
) -> Change | None:
    """Count one probe result; the change it completes (K in a row), if any."""
    if reason not in _REASONS.get(state, ()):
        raise ValueError(f"no state {state!r} with reason {reason!r}")
    row = _locked(session, target.id)
    if row.last_probe_at is not None and now < row.last_probe_at:
        return None  # a late result: later ones were counted already
    row.last_probe_at = row.updated_at = now
    row.last_result = json.dumps(measurements, sort_keys=True, default=str)
    if state == WORKING:
        row.last_ok_at = now
    if (state, reason) == (row.state, row.reason):
        _clear_candidate(row)
        return None
    if (state, reason) == (row.candidate_state, row.candidate_reason):
        row.candidate_count += 1
    else:
        row.candidate_state, row.candidate_reason = state, reason
        row.candidate_count, row.candidate_since = 1, now
    if row.state != UNKNOWN and row.candidate_count < max(1, confirm):
        return None
    return _apply(session, row, at=row.candidate_since or now)


def _locked(session: Session, target_id: int) -> HealthTarget:
    session.flush()  # the caller's own changes to the row go in before it is read again
    stmt = (
        select(HealthTarget)
        .where(HealthTarget.id == target_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one()


def _clear_candidate(row: HealthTarget) -> None:
    row.candidate_state, row.candidate_reason = "", ""
    row.candidate_count, row.candidate_since = 0, None


def _apply(session: Session, row: HealthTarget, *, at: datetime) -> Change:
    old, new, reason = row.state, row.candidate_state, row.candidate_reason
    if old in BROKEN:
        session.execute(
            update(HealthOutage)
            .where(HealthOutage.target_id == row.id, HealthOutage.end_at.is_(None))
            .values(end_at=at)
        )
    if new in BROKEN:
        session.add(HealthOutage(target_id=row.id, state=new, reason=reason, start_at=at))
    row.state, row.reason, row.since = new, reason, at
    _clear_candidate(row)
    _write_through(session, row)
    session.flush()
    return Change(target_id=row.id, old=old, new=new, reason=reason, at=at)


def _write_through(session: Session, row: HealthTarget) -> None:
    """The state onto the camera's own row, which the registry and the stations read."""
    if row.registry_camera_id is not None:
        session.execute(
            update(Camera).where(Camera.id == row.registry_camera_id).values(health=row.state)
        )
    if row.station_camera_id is not None:
        session.execute(
            update(StationCamera)
            .where(StationCamera.id == row.station_camera_id)
            .values(health=row.state)
        )
