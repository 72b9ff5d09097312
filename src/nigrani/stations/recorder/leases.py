"""Which recorder records which camera: leases in the cameras table, renewed by heartbeat.

A camera is free when nobody holds it or its lease ran out. Taking one is a conditional
UPDATE (only if still free), so two recorders never hold the same camera; on PostgreSQL
the candidates are first locked with SELECT … FOR UPDATE SKIP LOCKED, so recorders
starting together split the cameras instead of queueing on the same rows. On SQLite the
transaction takes the write lock up front (BEGIN IMMEDIATE), which serialises takers.

The same functions lease cameras to the analytics workers (`nigrani worker`), on columns
of their own (ANALYTICS): a camera is recorded by one recorder and watched by one worker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from nigrani.accounts.jurisdiction import under
from nigrani.accounts.models import JurisdictionNode
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.stations.models import StationCamera


class LeaseHolder:
    """A process part that holds camera leases (the recorder, the analytics worker): run()
    starts it, renews and takes leases every third of a lease until stop_event is set, and
    then shuts it down."""

    lease_s: float
    stop_event: threading.Event

    def start(self) -> None:
        raise NotImplementedError

    def heartbeat(self) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        raise NotImplementedError

    def run(self, on_heartbeat: Callable[[Self], None] | None = None) -> None:
        """Work until stop_event is set, then shut down cleanly."""
        self.start()
        try:
            while not self.stop_event.wait(self.lease_s / 3):
                self.heartbeat()
                if on_heartbeat is not None:
                    on_heartbeat(self)
        finally:
            self.shutdown()


def scope_path(session: Session, *, code: str | None) -> str:
    """The jurisdiction path a recorder is limited to (a station, circle or zone code)."""
    if not code:
        return "/"
    path = session.scalar(select(JurisdictionNode.path).where(JurisdictionNode.code == code))
    if path is None:
        raise NotFound(_("No jurisdiction node with code {code}").format(code=code))
    return path


@dataclass(frozen=True, slots=True)
class LeaseColumns:
    """The pair of columns that say who holds a camera, until when."""

    holder: InstrumentedAttribute[str | None]
    until: InstrumentedAttribute[datetime | None]


RECORDER = LeaseColumns(StationCamera.leased_by, StationCamera.lease_until)
ANALYTICS = LeaseColumns(StationCamera.analytics_leased_by, StationCamera.analytics_lease_until)


def _free(now: datetime, me: str, cols: LeaseColumns) -> ColumnElement[bool]:
    return or_(cols.holder.is_(None), cols.until < now, cols.holder == me)


def take(
    session: Session,
    *,
    me: str,
    limit: int,
    scope: str,
    lease_s: float,
    exclude: Collection[int],
    cols: LeaseColumns = RECORDER,
    only: Collection[int] = (),
) -> list[int]:
    """Lease up to `limit` free enabled cameras under `scope` (of `only`, when given);
    returns their ids."""
    if limit <= 0:
        return []
    now = utcnow()
    chosen = StationCamera.id.in_(list(only)) if only else StationCamera.id.is_not(None)
    candidates = list(
        session.scalars(
            select(StationCamera.id)
            .where(StationCamera.enabled.is_(True), under(StationCamera.node_path, scope))
            .where(_free(now, me, cols), StationCamera.id.not_in(list(exclude) or [-1]))
            .where(chosen)
            .order_by(StationCamera.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    taken: list[int] = []
    for camera_id in candidates:
        result = session.execute(
            update(StationCamera)
            .where(StationCamera.id == camera_id, _free(now, me, cols))
            .values({cols.holder: me, cols.until: now + timedelta(seconds=lease_s)})
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            taken.append(camera_id)
    return taken


def renew(
    session: Session,
    *,
    me: str,
    camera_ids: Collection[int],
    lease_s: float,
    cols: LeaseColumns = RECORDER,
) -> set[int]:
    """Extend this recorder's leases; returns the ids it still holds (enabled ones only)."""
    if not camera_ids:
        return set()
    until = utcnow() + timedelta(seconds=lease_s)
    mine = (StationCamera.id.in_(list(camera_ids)), cols.holder == me)
    session.execute(
        update(StationCamera)
        .where(*mine, StationCamera.enabled.is_(True))
        .values({cols.until: until})
    )
    held = set(
        session.scalars(select(StationCamera.id).where(*mine, StationCamera.enabled.is_(True)))
    )
    lost_enabled = [i for i in camera_ids if i not in held]
    if lost_enabled:
        release(session, me=me, camera_ids=lost_enabled, cols=cols)
    return held


def release(
    session: Session, *, me: str, camera_ids: Collection[int], cols: LeaseColumns = RECORDER
) -> None:
    """Give cameras back (only those this recorder still holds)."""
    if camera_ids:
        session.execute(
            update(StationCamera)
            .where(StationCamera.id.in_(list(camera_ids)), cols.holder == me)
            .values({cols.holder: None, cols.until: None})
        )
