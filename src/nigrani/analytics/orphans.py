"""Events a dead worker left open, ended by whoever comes after it.

A SIGKILLed worker (or a machine that lost power) ends nothing: its rule state dies with it.
Two places still know of its open events, and each is ended from where it is known:
- its spool, when a worker starts on that spool again: every event there without an end is
  ended at the time of its last spooled change (the last moment it was known to hold);
- the database, when a worker takes a camera whose last holder did not give it back: every
  event still open there is ended at the holder's last lease renewal (the lease ran
  `lease_s` past it), the last moment anyone was watching.
Both go through the spool like any other change, so the server's idempotent ingest (by uuid,
the later end kept) takes them once, in order after what came before, and the wall sees
them end. A new episode on the same camera starts with a new uuid: never two open at once."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.spool import Spool
from nigrani.stations.models import StationCamera

log = logging.getLogger(__name__)


def end_spooled(spool: Spool) -> int:
    """Add an end for every event in the spool that has none; returns how many. Call it
    before the sender starts on the spool (the ends then follow what they end)."""
    last: dict[str, tuple[dict[str, Any], datetime]] = {}
    ended: set[str] = set()
    for path in spool.pending():
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except (OSError, ValueError) as exc:
            log.warning(
                "spool %s: %s unreadable (%s); left to the sender", spool.directory, path, exc
            )
            continue
        uuid = str(body.get("uuid"))
        if body.get("ended_at"):
            ended.add(uuid)
        last[uuid] = (body, at)
    count = 0
    for uuid, (body, at) in last.items():
        if uuid in ended:
            continue
        started = _parse(body.get("started_at"))
        if started is None:
            continue  # not an event change the server would take; the sender sets it aside
        spool.put(_end(body, ended_at=max(started, at)))
        count += 1
    if count:
        log.warning(
            "spool %s: ended %d event(s) a stopped worker left open", spool.directory, count
        )
    return count


def unreturned(
    session: Session, *, me: str, scope: str, held: Collection[int], now: datetime
) -> dict[int, datetime]:
    """The cameras under `scope` whose analytics lease was not given back (its holder died,
    or is this worker's name in an earlier life), each with its lease's end."""
    lease_ended = StationCamera.analytics_lease_until < now
    mine_before = and_(
        StationCamera.analytics_leased_by == me, StationCamera.id.not_in(list(held) or [-1])
    )
    stmt = select(StationCamera.id, StationCamera.analytics_lease_until).where(
        StationCamera.analytics_leased_by.is_not(None),
        or_(lease_ended, mine_before),
        under(StationCamera.node_path, scope),
    )
    return {camera_id: until for camera_id, until in session.execute(stmt) if until is not None}


def end_left_open(
    session: Session,
    spool: Spool,
    *,
    lease_ends: Mapping[int, datetime],
    lease_s: float,
    now: datetime,
) -> int:
    """Spool an end for every event still open on these cameras (just taken from a holder
    that did not give them back), at the holder's last renewal; returns how many."""
    if not lease_ends:
        return 0
    stmt = select(AnalyticsEvent).where(
        AnalyticsEvent.station_camera_id.in_(list(lease_ends)),
        AnalyticsEvent.ended_at.is_(None),
        AnalyticsEvent.started_at <= now,
    )
    count = 0
    for event in session.scalars(stmt):
        last_seen = min(now, lease_ends[event.station_camera_id] - timedelta(seconds=lease_s))
        body = {
            "uuid": event.uuid,
            "camera_id": event.station_camera_id,
            "kind": event.kind,
            "started_at": event.started_at.isoformat(),
        }
        spool.put(_end(body, ended_at=max(event.started_at, last_seen)))
        count += 1
    if count:
        log.warning("ended %d event(s) left open by a camera's last worker", count)
    return count


def _end(body: Mapping[str, Any], *, ended_at: datetime) -> dict[str, Any]:
    keep = ("uuid", "camera_id", "station_camera_id", "kind", "started_at")
    return {**{k: body[k] for k in keep if k in body}, "ended_at": ended_at.isoformat()}


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
