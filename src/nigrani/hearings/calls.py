"""The live side of a hearing: ICE servers for the browsers, and the hub that carries the
queue's news and the call's signalling between the officer's console and the citizen's room.

Media goes browser to browser (WebRTC); only the session descriptions and ICE candidates
pass through here, over one WebSocket per page. The hub is in-process: one `nigrani serve`
process holds every socket (docs/decisions.md says what several processes would need).
Every queue change is published here after its transaction commits; the pages then fetch
their numbers over HTTP, so a lost message only delays an update until the next poll.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from nigrani.core.config import Settings

log = logging.getLogger(__name__)


def _urls(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]


def ice_servers(settings: Settings, *, user: str, now: datetime) -> list[dict[str, Any]]:
    """The RTCPeerConnection `iceServers` for one browser: STUN as set, TURN with coturn's
    time-limited REST credentials (user "expiry:who", password base64 HMAC-SHA1)."""
    out: list[dict[str, Any]] = []
    if stun := _urls(settings.hearings_stun_urls):
        out.append({"urls": stun})
    turn = _urls(settings.hearings_turn_urls)
    if turn and settings.hearings_turn_secret:
        expiry = int(now.timestamp()) + settings.hearings_turn_ttl_s
        username = f"{expiry}:{user}"
        mac = hmac.new(settings.hearings_turn_secret.encode(), username.encode(), hashlib.sha1)
        password = base64.b64encode(mac.digest()).decode()
        out.append({"urls": turn, "username": username, "credential": password})
    return out


class Socket(Protocol):
    """What the hub needs of a WebSocket."""

    async def send_text(self, data: str) -> None: ...


@dataclass
class Room:
    """The sockets of one sitting: officers by user id, citizens by ticket id."""

    officers: dict[int, Socket] = field(default_factory=dict)
    citizens: dict[int, Socket] = field(default_factory=dict)


class Hub:
    """Sittings' sockets, and delivery of messages to them from any thread."""

    def __init__(self) -> None:
        self._rooms: dict[int, Room] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def room(self, sitting_id: int) -> Room:
        with self._lock:
            return self._rooms.setdefault(sitting_id, Room())

    def attach_loop(self) -> None:
        """Remember the server's event loop (called from a socket's handler)."""
        self._loop = asyncio.get_running_loop()

    async def send(self, socket: Socket | None, message: dict[str, Any]) -> bool:
        """Send one message; False when the socket is gone."""
        if socket is None:
            return False
        try:
            await socket.send_text(json.dumps(message))
        except Exception:  # a closed socket: its handler removes it
            log.debug("a hearing socket was gone", exc_info=True)
            return False
        return True

    async def _fan_out(
        self, sitting_id: int, message: dict[str, Any], tickets: Iterable[int]
    ) -> None:
        room = self.room(sitting_id)
        for socket in list(room.officers.values()):
            await self.send(socket, message)
        targets = set(tickets)
        for ticket_id, socket in list(room.citizens.items()):
            if ticket_id in targets:
                await self.send(socket, {**message, "you": True})
            else:
                await self.send(socket, message)

    def publish(self, sitting_id: int, kind: str, *, tickets: Iterable[int] = ()) -> None:
        """Tell a sitting's pages that its queue changed (`kind`), from any thread; the
        tickets named are told it concerns them (a citizen called, say)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        message = {"type": "queue", "kind": kind}
        coro = self._fan_out(sitting_id, message, list(tickets))
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            loop.create_task(coro)
        else:
            asyncio.run_coroutine_threadsafe(coro, loop)


def app_hub(state: Any) -> Hub:
    """The app's hub, made on first use (`state` is the app's `state`)."""
    if getattr(state, "hearing_hub", None) is None:
        state.hearing_hub = Hub()
    hub: Hub = state.hearing_hub
    return hub
