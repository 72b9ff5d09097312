"""Which recorder records which camera: leases in the cameras table, renewed by heartbeat.

A camera is free when nobody holds it or its lease ran out. Taking one is a conditional
UPDATE (only if still free), so two recorders never hold the same camera; on PostgreSQL
the candidates are first locked with SELECT … FOR UPDATE SKIP LOCKED, so recorders
starting together split the cameras instead of queueing on the same rows. On SQLite the
transaction takes the write lock up front (BEGIN IMMEDIATE), which serialises takers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.models import JurisdictionNode
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.stations.models import StationCamera


def scope_path(session: Session, *, code: str | None) -> str:
    """The jurisdiction path a recorder is limited to (a station, circle or zone code)."""
    if not code:
        return "/"
    path = session.scalar(select(JurisdictionNode.path).where(JurisdictionNode.code == code))
    if path is None:
        raise NotFound(_("No jurisdiction node with code {code}").format(code=code))
    return path


def _free(now: datetime, me: str) -> ColumnElement[bool]:
    return or_(
        StationCamera.leased_by.is_(None),
        StationCamera.lease_until < now,
        StationCamera.leased_by == me,
    )


def take(
    session: Session, *, me: str, limit: int, scope: str, lease_s: float, exclude: Collection[int]
) -> list[int]:
    """Lease up to `limit` free enabled cameras under `scope`; returns their ids."""
    if limit <= 0:
        return []
    now = utcnow()
    candidates = list(
        session.scalars(
            select(StationCamera.id)
            .where(StationCamera.enabled.is_(True), under(StationCamera.node_path, scope))
            .where(_free(now, me), StationCamera.id.not_in(list(exclude) or [-1]))
            .order_by(StationCamera.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    taken: list[int] = []
    for camera_id in candidates:
        result = session.execute(
            update(StationCamera)
            .where(StationCamera.id == camera_id, _free(now, me))
            .values(leased_by=me, lease_until=now + timedelta(seconds=lease_s))
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            taken.append(camera_id)
    return taken


def renew(session: Session, *, me: str, camera_ids: Collection[int], lease_s: float) -> set[int]:
    """Extend this recorder's leases; returns the ids it still holds (enabled ones only)."""
    if not camera_ids:
        return set()
    until = utcnow() + timedelta(seconds=lease_s)
    mine = (StationCamera.id.in_(list(camera_ids)), StationCamera.leased_by == me)
    session.execute(
        update(StationCamera)
        .where(*mine, StationCamera.enabled.is_(True))
        .values(lease_until=until)
    )
    held = set(
        session.scalars(select(StationCamera.id).where(*mine, StationCamera.enabled.is_(True)))
    )
    lost_enabled = [i for i in camera_ids if i not in held]
    if lost_enabled:
        release(session, me=me, camera_ids=lost_enabled)
    return held


def release(session: Session, *, me: str, camera_ids: Collection[int]) -> None:
    """Give cameras back (only those this recorder still holds)."""
    if camera_ids:
        session.execute(
            update(StationCamera)
            .where(StationCamera.id.in_(list(camera_ids)), StationCamera.leased_by == me)
            .values(leased_by=None, lease_until=None)
        )
