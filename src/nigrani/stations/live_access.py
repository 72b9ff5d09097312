"""Who may fetch a live HLS file, checked in the database once per viewer and camera and
then remembered briefly.

A wall of 24 tiles asks for two files a second per tile. Checking each request against the
database would take SQLite's write lock some fifty times a second, on top of the recorder's
writes. The first request of a sign-in for a camera is checked in full: the session, the
role and the jurisdiction. After that the answer is kept for GRANT_SECONDS, so signing out
or losing a camera stops its live files that much later at most.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from nigrani.accounts.deps import SESSION_COOKIE, signed_in, staff_scope
from nigrani.core.errors import AuthenticationFailed
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.core.security import sha256_hex
from nigrani.stations import service
from nigrani.stations.deps import watcher_scope

GRANT_SECONDS = 20.0
MAX_GRANTS = 10_000


class LiveGrants:
    """(sign-in, camera) pairs recently allowed, each until a monotonic deadline."""

    def __init__(self, ttl_s: float = GRANT_SECONDS) -> None:
        self.ttl_s = ttl_s
        self._until: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._until)

    def allowed(self, key: tuple[str, int]) -> bool:
        """Whether the pair was allowed within the last ttl_s seconds."""
        with self._lock:
            return self._until.get(key, 0.0) > time.monotonic()

    def remember(self, key: tuple[str, int]) -> None:
        """Allow the pair for ttl_s seconds; drops expired pairs when the table is full."""
        now = time.monotonic()
        with self._lock:
            if len(self._until) >= MAX_GRANTS:
                self._until = {k: t for k, t in self._until.items() if t > now}
            self._until[key] = now + self.ttl_s


def _grants(request: Request) -> LiveGrants:
    grants: LiveGrants | None = getattr(request.app.state, "live_grants", None)
    if grants is None:
        grants = request.app.state.live_grants = LiveGrants()
    return grants


def _check(request: Request, cookie: str, camera_id: int) -> None:
    # The same checks as the Watcher and CurrentStationCamera dependencies, on a session of
    # its own: a granted file then needs no database session at all.
    session = request.app.state.sessions()
    try:
        user = signed_in(session, cookie)
        if user is None:
            raise AuthenticationFailed(_("Please sign in to continue."))
        scope = watcher_scope(staff_scope(user))
        service.get_camera(session, camera_id=camera_id, scope_path=scope.node.path)
    finally:
        session.close()


def get_live_camera_id(request: Request, camera_id: PathId) -> int:
    """The camera of a live file the signed-in caller may watch (401, 403, or 404)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthenticationFailed(_("Please sign in to continue."))
    key = (sha256_hex(cookie), camera_id)
    grants = _grants(request)
    if not grants.allowed(key):
        _check(request, cookie, camera_id)
        grants.remember(key)
    return camera_id


LiveCameraId = Annotated[int, Depends(get_live_camera_id)]
