"""Station alerts raised by background work (cleanup, recorder): one open alert per kind
and node, refreshed while the condition lasts, resolved when it ends."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.jurisdiction import under
from nigrani.accounts.roles import Role
from nigrani.stations.models import ALERT_KINDS, RecordingGap, StationAlert, StationCamera


def open_alert(session: Session, *, kind: str, node_path: str) -> StationAlert | None:
    """The open alert of this kind for this node (not for one camera), if any."""
    stmt = select(StationAlert).where(
        StationAlert.kind == kind,
        StationAlert.node_path == node_path,
        StationAlert.camera_id.is_(None),
        StationAlert.resolved_at.is_(None),
    )
    return session.scalars(stmt.order_by(StationAlert.id).limit(1)).first()


def raise_alert(
    session: Session,
    *,
    kind: str,
    node_path: str,
    message: str,
    now: datetime,
    severity: str = "warning",
    data: dict[str, Any] | None = None,
) -> StationAlert:
    """Open an alert, or refresh the open one of the same kind and node (never two)."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    alert = open_alert(session, kind=kind, node_path=node_path)
    if alert is None:
        alert = StationAlert(kind=kind, node_path=node_path, created_at=now)
        session.add(alert)
    alert.severity, alert.message, alert.updated_at = severity, message[:500], now
    alert.data_json = json.dumps(data or {}, sort_keys=True, ensure_ascii=False)
    session.flush()
    return alert


def resolve_alert(session: Session, *, kind: str, node_path: str, now: datetime) -> bool:
    """Close the open alert of this kind and node; whether there was one."""
    alert = open_alert(session, kind=kind, node_path=node_path)
    if alert is None:
        return False
    alert.resolved_at = alert.updated_at = now
    session.flush()
    return True


def open_alerts(session: Session, *, scope_path: str) -> list[StationAlert]:
    """Open alerts under a node, plus the ones about the whole system ("/"), newest first."""
    stmt = select(StationAlert).where(
        StationAlert.resolved_at.is_(None),
        under(StationAlert.node_path, scope_path) | (StationAlert.node_path == "/"),
    )
    return list(session.scalars(stmt.order_by(StationAlert.updated_at.desc())))


def camera_stopped(session: Session, *, camera: StationCamera, gap: RecordingGap) -> int:
    """Tell the station's SHO that a camera stopped recording: once per gap the recorder
    opened (a gap stays open, and is told once, however often the camera fails in it)."""
    users = notifications.users_under(session, node_path=camera.node_path, roles=(Role.SHO,))
    event = notifications.Event(
        kind=notifications.CAMERA_STOPPED,
        object_type="station_camera",
        object_id=camera.id,
        event=f"gap:{gap.id}",
        link=f"/stations/cameras/{camera.id}",
        params={"camera": camera.id, "name": camera.name[:60]},
    )
    return notifications.notify(session, users=users, event=event)
