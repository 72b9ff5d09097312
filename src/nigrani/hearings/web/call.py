"""The hearing's WebSockets: the citizen's waiting room and the officer's console each hold
one, for the queue's news and the call's signalling (offer, answer, ICE candidates).

A socket is opened only by the signed-in owner of the page: the citizen whose link it is,
or an officer serving that sitting; from this site's own pages (the Origin must be ours,
so another site cannot ride a signed-in browser's cookie). Messages are small JSON
objects; a larger one closes the socket.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
from sqlalchemy.orm import Session
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nigrani.accounts.deps import SESSION_COOKIE, signed_in
from nigrani.accounts.models import User
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.core.db import transaction
from nigrani.core.errors import NigraniError
from nigrani.hearings import recordings, service
from nigrani.hearings.calls import Hub, app_hub
from nigrani.hearings.queue import State

log = logging.getLogger(__name__)
MAX_MESSAGE = 64 * 1024  # an SDP with many candidates is ~10 KB
POLICY = 1008  # WebSocket close code: policy violation
TOO_BIG = 1009
T = TypeVar("T")


def hub_of(socket: WebSocket) -> Hub:
    """The app's hub (made on first use)."""
    hub = app_hub(socket.app.state)
    hub.attach_loop()
    return hub


def _same_origin(socket: WebSocket) -> bool:
    origin = socket.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == socket.headers.get("host")


async def _in_db(socket: WebSocket, work: Callable[[Session, User], T]) -> T:
    """Run `work` in a transaction in a worker thread, for the socket's signed-in user."""
    app = socket.app
    cookie = socket.cookies.get(SESSION_COOKIE)

    def run() -> T:
        with transaction(app.state.sessions) as session:
            user = signed_in(session, cookie)
            if user is None:
                raise PermissionError("not signed in")
            return work(session, user)

    return await anyio.to_thread.run_sync(run)


async def _hold(
    socket: WebSocket,
    held: dict[int, Any],
    key: int,
    handle: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """Accept the socket, keep it in `held` under `key` while it lives, hand it each message."""
    await socket.accept()
    held[key] = socket
    try:
        async for message in _messages(socket):
            await handle(message)
    except WebSocketDisconnect:
        pass
    finally:
        if held.get(key) is socket:
            del held[key]


async def _messages(socket: WebSocket) -> Any:
    while True:
        text = await socket.receive_text()
        if len(text) > MAX_MESSAGE:
            await socket.close(TOO_BIG)
            return
        try:
            message = json.loads(text)
        except ValueError:
            continue
        if isinstance(message, dict):
            yield message


async def citizen_socket(socket: WebSocket) -> None:
    """The waiting room's socket: news of the queue, then the call."""
    secret = socket.path_params["secret"][:80]
    if not _same_origin(socket):
        await socket.close(POLICY)
        return
    clock = socket.app.state.clock

    def mine(session: Session, user: User) -> tuple[int, int]:
        ticket = service.ticket_by_secret(session, secret, citizen=user)
        if service.expired(ticket, now=clock.now()):
            raise PermissionError("expired")
        return ticket.id, ticket.sitting_id

    try:
        ticket_id, sitting_id = await _in_db(socket, mine)
    except (PermissionError, NigraniError):
        await socket.close(POLICY)
        return
    hub = hub_of(socket)

    async def handle(message: dict[str, Any]) -> None:
        await _from_citizen(socket, hub, sitting_id, ticket_id, message)

    try:
        await _hold(socket, hub.room(sitting_id).citizens, ticket_id, handle)
    finally:
        await _tell_officer_left(socket, hub, sitting_id, ticket_id)


async def _officer_of(socket: WebSocket, ticket_id: int) -> int | None:
    def held(session: Session, _user: User) -> int | None:
        ticket = service.get_ticket(session, ticket_id)
        return ticket.officer_id if ticket.state in (State.CALLED, State.IN_CALL) else None

    return await _in_db(socket, held)


async def _tell_officer_left(socket: WebSocket, hub: Hub, sitting_id: int, ticket_id: int) -> None:
    try:
        officer = await _officer_of(socket, ticket_id)
    except (PermissionError, NigraniError):
        return
    if officer is not None:
        target = hub.room(sitting_id).officers.get(officer)
        await hub.send(target, {"type": "left", "ticket": ticket_id})


async def _from_citizen(
    socket: WebSocket, hub: Hub, sitting_id: int, ticket_id: int, message: dict[str, Any]
) -> None:
    kind = message.get("type")
    clock = socket.app.state.clock
    if kind == "join":
        settings = socket.app.state.settings

        def join(session: Session, _user: User) -> tuple[int | None, bool]:
            ticket = service.get_ticket(session, ticket_id)
            if ticket.state == State.CALLED:
                ticket = service.answer(session, ticket, now=clock.now())
            officer = ticket.officer_id if ticket.state == State.IN_CALL else None
            return officer, recordings.may_record(settings, ticket)

        try:
            officer, record = await _in_db(socket, join)
        except (PermissionError, NigraniError) as exc:
            await hub.send(socket, {"type": "error", "message": getattr(exc, "message", "")})
            return
        if officer is None:
            await hub.send(socket, {"type": "not_called"})
            return
        target = hub.room(sitting_id).officers.get(officer)
        media = {"audio_only": bool(message.get("audio_only")), "record": record}
        await hub.send(target, {"type": "joined", "ticket": ticket_id, **media})
        hub.publish(sitting_id, "answered")
    elif kind in ("signal", "hangup"):
        officer = await _officer_of(socket, ticket_id)
        target = hub.room(sitting_id).officers.get(officer) if officer else None
        await hub.send(target, {"type": kind, "ticket": ticket_id, "data": message.get("data")})


async def officer_socket(socket: WebSocket) -> None:
    """The console's socket: news of the sitting's queue, and the calls' signalling."""
    sitting_id = int(socket.path_params["sitting_id"])
    if not _same_origin(socket):
        await socket.close(POLICY)
        return

    def serving(session: Session, user: User) -> int:
        if not has_permission(Role(user.role), Permission.HOLD_HEARINGS):
            raise PermissionError("role")
        sitting = service.get_sitting(session, sitting_id)
        if user.id not in json.loads(sitting.officers):
            raise PermissionError("not on the panel")
        return user.id

    try:
        officer_id = await _in_db(socket, serving)
    except (PermissionError, NigraniError):
        await socket.close(POLICY)
        return
    hub = hub_of(socket)

    async def handle(message: dict[str, Any]) -> None:
        await _from_officer(socket, hub, sitting_id, officer_id, message)

    await _hold(socket, hub.room(sitting_id).officers, officer_id, handle)


async def _from_officer(
    socket: WebSocket, hub: Hub, sitting_id: int, officer_id: int, message: dict[str, Any]
) -> None:
    if message.get("type") not in ("signal", "hangup"):
        return
    try:
        ticket_id = int(message.get("ticket") or 0)
        held = await _officer_of(socket, ticket_id)
    except (ValueError, PermissionError, NigraniError):
        return
    if held != officer_id:
        return
    target = hub.room(sitting_id).citizens.get(ticket_id)
    await hub.send(target, {"type": message["type"], "data": message.get("data")})


routes = [
    WebSocketRoute("/hearings/ws/citizen/{secret}", citizen_socket),
    WebSocketRoute("/hearings/ws/officer/{sitting_id:int}", officer_socket),
]
