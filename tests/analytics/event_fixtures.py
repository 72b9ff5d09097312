"""Station cameras, worker keys and event bodies for the analytics event tests."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts_service
from nigrani.accounts.roles import Role
from nigrani.core import audit
from tests.accounts.factories import make_staff

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # "now" of the event tests


def worker_key(
    db: Session,
    *,
    role: Role = Role.CONTROL_ROOM,
    node: str = "C",
    username: str = "worker-account",
    scopes: tuple[str, ...] = ("worker",),
) -> dict[str, str]:
    """The Authorization header of a new key acting as a new account of `role` at `node`."""
    user = make_staff(db, role, node, username)
    issued = accounts_service.issue_token(
        db, user=user, name=f"{username} key", scopes=list(scopes), actor=audit.SYSTEM
    )
    return {"Authorization": f"Bearer {issued.secret}"}


def event_body(camera_id: int, **fields: Any) -> dict[str, Any]:
    """A crowd-waiting start on the camera a minute before T0, as a worker posts it."""
    body: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "station_camera_id": camera_id,
        "kind": "crowd_waiting",
        "started_at": (T0 - timedelta(minutes=1)).isoformat(),
        "ended_at": None,
        "peak": {"people": 5, "zone": "waiting"},
    }
    return body | fields


def jpeg(width: int = 64, height: int = 48) -> bytes:
    """A real JPEG picture."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(out, "JPEG", quality=85)
    return out.getvalue()
