"""The alert wall (stations' tiles and the live feed), its server-sent events, and one
alert's page with its snapshot and the officers' steps."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import get_visible_node
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page, see_other
from nigrani.analytics import alert_feed, alert_media, digest, rule_settings, wall, workflow
from nigrani.analytics.deps import AlertHandler, CurrentEvent
from nigrani.analytics.labels import peak_rows, people, step_label
from nigrani.analytics.web.rules import rule_title
from nigrani.core.db import transaction
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import _, current_language, format_ist, to_ist
from nigrani.evidence import store
from nigrani.stations.deps import StationChoice

router = APIRouter(include_in_schema=False)
HEARTBEAT_S = 15.0  # a comment this often keeps proxies from closing a quiet stream
STREAM_MAX_S = 15 * 60.0  # then the browser's EventSource reconnects (and a server may stop)
MAX_NOTE = 2000
WAIT_S = 1.0  # how often a quiet stream looks whether its client went away
REPLAY_MAX = 200  # the most changes a page coming back is sent; more, and it reloads
REPLAY_SPAN = timedelta(hours=24)  # nor older changes than these


def get_wall_node(
    scope: AlertHandler,
    db: DbSession,
    node: Annotated[str | None, Query(max_length=40)] = None,
) -> JurisdictionNode:
    """The zone or circle the wall is narrowed to (`?node=CODE`, inside the caller's charge,
    else 403), or the caller's own node."""
    return get_visible_node(node, scope, db) if node else scope.node


WallNode = Annotated[JurisdictionNode, Depends(get_wall_node)]


def _names() -> dict[str, Any]:
    return {
        "rule_title": rule_title,
        "status_label": workflow.status_label,
        "step_label": step_label,
    }


@router.get("/analytics")
def wall_page(
    request: Request, db: DbSession, scope: AlertHandler, node: WallNode, now: Now
) -> HTMLResponse:
    """Each station in one's charge with its alerts being handled, its latest alert and its
    people now, and the newest alerts, kept live by server-sent events."""
    found = wall.wall(db, scope=scope.node, node=node, now=now)
    return page(request, "analytics/wall.html", user=scope.user, wall=found, **_names())


def _event_text(request: Request, line: wall.AlertLine, active: int) -> str:
    """One server-sent event: the alert's feed line and its station's count, as JSON, with
    the alert's change number as its id (a reconnecting page sends back the last one)."""
    template = request.app.state.templates.env.get_template("analytics/partials/alert_line.html")
    html = template.render(line=line, lang=current_language.get(), **_names())
    latest = f"{_('Latest')}: {rule_title(line.event.kind)}, {format_ist(line.event.started_at)}"
    body = {
        "id": line.event.id,
        "seq": line.event.change_seq,  # the page keeps a line only for a newer change
        "station": line.event.station_id,
        "active": active,
        "html": html,
        "latest": latest,  # the tile's line, when this alert is new to the page
    }
    data = json.dumps(body, ensure_ascii=False)
    return f"event: alert\nid: {line.event.change_seq}\ndata: {data}\n\n"


@dataclass(frozen=True, slots=True)
class _Batch:
    lines: list[tuple[wall.AlertLine, int]]
    upto: int
    complete: bool


def _batch(
    sessions: sessionmaker[Session], *, after: int, scope_path: str, since: datetime | None
) -> _Batch:
    """The alerts under the node changed after a change number, each with its station's
    count."""
    with transaction(sessions) as db:
        found = wall.changes(db, after=after, scope_path=scope_path, limit=REPLAY_MAX, since=since)
        lines = [
            (wall.line(db, event=e), wall.active_at(db, station_id=e.station_id))
            for e in (found.events if found.complete else [])
        ]
        db.expunge_all()
    return _Batch(lines, found.upto, found.complete)


def _start(sessions: sessionmaker[Session], asked: int | None) -> int:
    """Where the stream starts: after the change number the page asked for, unless it is
    unknown here (a number ahead of the counter), else after the latest change."""
    with transaction(sessions) as db:
        latest = alert_feed.last_number(db)
    return asked if asked is not None and asked <= latest else latest


def change_number(raw: str | None) -> int | None:
    """A change number sent back by a page (Last-Event-ID, or ?after=), or None if there is
    none or it is not one (a malformed one is ignored, never an error)."""
    if raw is None or not re.fullmatch(r"[0-9]{1,18}", raw.strip()):
        return None
    return int(raw.strip())


def _texts(request: Request, batch: _Batch, sent: int) -> list[str]:
    """A batch as server-sent events, ending with the number reached as the last id."""
    if not batch.complete:  # too much was missed to replay: the page loads itself again
        return [f"event: reload\nid: {batch.upto}\ndata: {{}}\n\n"]
    texts = [_event_text(request, line, active) for line, active in batch.lines]
    if batch.upto > max([sent, *(line.event.change_seq for line, _a in batch.lines)]):
        texts.append(f"id: {batch.upto}\n\n")  # no event: the page's place moves on
    return texts


async def _events(
    request: Request, scope_path: str, asked: int | None, now: datetime
) -> AsyncIterator[str]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    started = beat = time.monotonic()
    # Subscribed first: a change committed from now on wakes the stream, an earlier one is
    # in the replay.
    async with alert_feed.subscribe(request.app.state.engine) as feed:
        cursor = await run_in_threadpool(_start, sessions, asked)
        yield ": connected\n\n"
        since: datetime | None = now - REPLAY_SPAN
        wake = asked is not None  # a page that sent a number gets what it missed first
        while time.monotonic() - started < STREAM_MAX_S:
            if wake:
                batch = await run_in_threadpool(
                    partial(_batch, sessions, after=cursor, scope_path=scope_path, since=since)
                )
                for message in _texts(request, batch, cursor):
                    yield message
                cursor, since = batch.upto, None
            elif time.monotonic() - beat >= HEARTBEAT_S:
                beat = time.monotonic()
                yield f": heartbeat\nid: {cursor}\n\n"
            wake = bool(await feed.wait(WAIT_S))
            if await request.is_disconnected():
                return


@router.get("/analytics/stream")
async def stream(
    request: Request,
    scope: AlertHandler,
    now: Now,
    after: Annotated[str | None, Query()] = None,
) -> StreamingResponse:
    """Server-sent events: each alert in the caller's charge made or changed from now on (a
    wall narrowed to a zone or circle keeps those of its own stations); a page that comes
    back with the last id it got (Last-Event-ID, or ?after= from the page) first gets what
    changed meanwhile, at most the last 200 changes of 24 hours, else it is told to reload."""
    asked = change_number(request.headers.get("last-event-id"))
    asked = change_number(after) if asked is None else asked
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    events = _events(request, scope.node.path, asked, now)
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def _alert(
    request: Request, db: DbSession, scope: AlertHandler, event: Any, **extra: Any
) -> HTMLResponse:
    found = wall.alert_page(db, event=event)
    status_code = int(extra.pop("status_code", 200))
    return page(
        request,
        "analytics/alert.html",
        user=scope.user,
        status_code=status_code,
        alert=found,
        peak_rows=peak_rows(found.peak),
        people=people(found.peak),
        media=alert_media.alert_media(db, event=event),
        **_names(),
        **extra,
    )


@router.get("/analytics/events/{event_id}")
def alert_page(
    request: Request, db: DbSession, scope: AlertHandler, event: CurrentEvent
) -> HTMLResponse:
    """One alert: its snapshot, where and when, its peak, its timeline and the next steps."""
    return _alert(request, db, scope, event, done=request.query_params.get("done") == "1")


@router.post("/analytics/events/{event_id}/steps", response_model=None)
def step_form(
    request: Request,
    db: DbSession,
    scope: AlertHandler,
    event: CurrentEvent,
    step: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:
    """Take a step on the alert from its page; a step someone took first is a clear 409."""
    try:
        if step not in workflow.TRANSITIONS:
            raise ValidationFailed(_("Choose a step from the page."), field="step")
        workflow.take_step(
            db, event=event, step=step, note=note, actor=accounts_service.actor_of(scope.user)
        )
    except (Conflict, ValidationFailed) as exc:
        db.rollback()
        db.refresh(event)
        return _alert(
            request, db, scope, event, error=exc.message, status_code=exc.status, note=note
        )
    return see_other(f"/analytics/events/{event.id}?done=1")


@router.get("/analytics/events/{event_id}/snapshot", response_model=None)
def snapshot(
    db: DbSession, settings: SettingsDep, scope: AlertHandler, event: CurrentEvent
) -> Response:
    """The alert's snapshot from the evidence store (the view is kept in its custody)."""
    if event.snapshot_item_id is None:
        raise NotFound(_("This alert has no snapshot"))
    item = store.get_item(db, item_id=event.snapshot_item_id)
    path = store.open_for_view(
        db, settings=settings, item=item, actor=accounts_service.actor_of(scope.user)
    )
    headers = {"Cache-Control": "private, max-age=300"}
    return FileResponse(str(path), media_type=item.media_type or "image/jpeg", headers=headers)


@router.get("/analytics/digest")
def digest_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: AlertHandler,
    now: Now,
    station: StationChoice = None,
    day: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    """A station's alerts of one IST day by rule, and how each was closed (printable)."""
    chosen = station or (scope.node.id if scope.node.level == "station" else None)
    node = (
        rule_settings.get_station(db, station_id=chosen, scope_path=scope.node.path)
        if chosen is not None
        else None
    )
    shown = day or to_ist(now, settings.timezone).date()
    found = digest.digest(db, station=node, day=shown, tz=settings.timezone) if node else None
    return page(
        request,
        "analytics/digest.html",
        user=scope.user,
        digest=found,
        day=shown,
        station=node,
        stations=rule_settings.stations_in(db, scope_node=scope.node),
        **_names(),
    )
