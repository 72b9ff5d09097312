"""The demo's station analytics (DEMO DATA): zones and quick rules on a few live cameras,
and the worker's key, so that `nigrani demo`'s worker puts real alerts on the wall.

Every live demo camera loops vtest.avi (people walking on a campus road, 768×576): the
road is drawn as the waiting zone and the lawn, where nobody stands, as the desk zone.
The stations' thresholds are set for a demo watched for minutes, not a station's day (a
crowd of 3 for 20 s, a desk empty for 45 s round the clock, a covered camera for 20 s), so
that alerts appear within a minute or two. Zones or rules an officer has changed since
are kept. The worker's key (scope "worker", as the demo control room) is kept in var/, so
a restarted demo reuses it instead of issuing a new one each time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts_service
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.analytics import rule_settings
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import AuthenticationFailed
from nigrani.demo.stations import KOTWALI
from nigrani.stations import service as station_service
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraUpdate

# (station, role) of the cameras the demo's worker watches: two front desks of vtest's
# people (crowds, an empty desk) and one covered camera (tampering, once camera health
# has seen it). Few, at 2 frames a second: the demo stays usable on a 2-core machine.
ANALYSED: Final[tuple[tuple[str, str], ...]] = (
    (KOTWALI, "reception"),
    ("KNP-S-FEELKHANA", "reception"),
    ("KNP-S-CHAMANGANJ", "lockup"),
)
PEOPLE: Final = frozenset(ANALYSED[:2])  # the cameras whose footage has people
WAITING_ZONE: Final = [(0.0, 0.3), (0.55, 0.2), (1.0, 0.15), (1.0, 0.9), (0.0, 0.45)]
DESK_ZONE: Final = [(0.0, 0.62), (0.4, 0.72), (0.4, 1.0), (0.0, 1.0)]
ZONES: Final = [
    {"name": "waiting", "kind": "waiting", "points": WAITING_ZONE},
    {"name": "desk", "kind": "desk", "points": DESK_ZONE},
]
DEMO_RULES: Final[dict[str, dict[str, Any]]] = {
    "crowd_waiting": {"min_people": 3, "for_s": 20, "grace_s": 10},
    # A walker crossing the lawn is no one at the desk: only 5 minutes there end the alert
    # (with a short grace every passer-by ended it, and it came back a minute later).
    "desk_unattended": {"for_s": 45, "grace_s": 300, "duty_start": "00:00", "duty_end": "00:00"},
    "camera_tamper": {"for_s": 20},
}
WORKER_USER: Final = "control"  # the control room runs the station machines
KEY_FILE: Final = "demo-worker-key"


@dataclass(frozen=True, slots=True)
class DemoAnalytics:
    """What the demo's worker is started with: its cameras and its key's secret."""

    camera_ids: list[int]
    token: str


def seed_analytics(session: Session, settings: Settings) -> DemoAnalytics:
    """Zones and quick rules on the analysed cameras (unless already set), and the worker key."""
    camera_ids = []
    for code, role in ANALYSED:
        camera = _camera(session, code, role)
        if camera is None:
            continue
        camera_ids.append(camera.id)
        if (code, role) in PEOPLE and not json.loads(camera.zones_json or "[]"):
            data = StationCameraUpdate.model_validate({"zones": ZONES})
            station_service.update_camera(
                session, settings=settings, actor=audit.SYSTEM, camera=camera, data=data
            )
        _quick_rules(session, camera.station_id)
    return DemoAnalytics(camera_ids=camera_ids, token=worker_key(session, settings))


def _camera(session: Session, code: str, role: str) -> StationCamera | None:
    return session.scalar(
        select(StationCamera)
        .join(JurisdictionNode, JurisdictionNode.id == StationCamera.station_id)
        .where(JurisdictionNode.code == code, StationCamera.role == role)
    )


def _quick_rules(session: Session, station_id: int) -> None:
    if rule_settings.stored(session, station_id=station_id)["station"]:
        return  # the station's own choice (or an earlier start's) stands
    station = session.get(JurisdictionNode, station_id)
    assert station is not None  # a camera's station
    rule_settings.save_station_rules(
        session, station=station, patch=DEMO_RULES, actor=audit.SYSTEM, now=utcnow()
    )


def worker_key(session: Session, settings: Settings) -> str:
    """The demo worker's key: the one kept in var/ while it still works, else a new one."""
    path = settings.var_dir / KEY_FILE
    if path.is_file():
        secret = path.read_text().strip()
        try:
            accounts_service.token_for(session, secret)
        except AuthenticationFailed:
            pass  # revoked, or another database's: issue a new one
        else:
            return secret
    user = session.scalar(select(User).where(User.username == WORKER_USER))
    if user is None:  # the demo's sign-ins are loaded first
        raise LookupError(f"no demo user {WORKER_USER!r}")
    issued = accounts_service.issue_token(
        session,
        user=user,
        name="Demo analytics worker",
        scopes=["worker"],
        actor=audit.SYSTEM,
    )
    _write_secret(path, issued.secret)
    return issued.secret


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
