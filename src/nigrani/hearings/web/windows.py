"""Publishing hearing hours: an officer's own windows (or, for an administrator or a senior
officer, those of the officers in their charge), the panel that serves together, holidays,
ending a window, and days of leave.

A published window is never edited in place: the slots already given out keep their times.
To change the hours, end the window (from a day on) and publish the new one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import service as accounts
from nigrani.accounts.deps import Scope, require_staff
from nigrani.accounts.models import User
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.core import audit, locks
from nigrani.core.db import write_now
from nigrani.core.deps import DbSession, Now
from nigrani.core.errors import NigraniError, NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.hearings import figures, hours
from nigrani.hearings.models import HearingLeave, HearingWindow
from nigrani.hearings.schemas import LeaveCreate, WindowCreate, parse

router = APIRouter(include_in_schema=False)
Publisher = Annotated[
    Scope,
    Depends(
        require_staff(
            Permission.PUBLISH_HEARING_WINDOWS,
            lambda: _("Your role does not publish hearing hours."),
        )
    ),
]
MAX_DAYS_TEXT = 800  # 60 dates, comma-separated


def hearers(db: DbSession, scope: Scope) -> list[User]:
    """The officers whose hours this user may publish: those in their charge who hold
    hearings (themself included)."""
    found = accounts.list_staff(db, under_path=scope.node.path)
    return [
        u for u in found if u.is_active and has_permission(Role(u.role), Permission.HOLD_HEARINGS)
    ]


def _days(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _page(
    request: Request,
    db: DbSession,
    scope: Scope,
    now: Any,
    values: dict[str, Any],
    error: NigraniError | None = None,
    **extra: Any,
) -> HTMLResponse:
    officers = hearers(db, scope)
    ids = {u.id for u in officers}
    rows = [w for w in hours.all_windows(db) if w.owner_id in ids]
    leave = db.query(HearingLeave).filter(HearingLeave.user_id == scope.user.id).all()
    return page(
        request,
        "hearings/windows.html",
        user=scope.user,
        windows=rows,
        officers=officers,
        leave=sorted(leave, key=lambda row: row.day),
        today=hours.local_today(now),
        values=values,
        error=error.message if error else None,
        error_field=error.field if error else None,
        status_code=error.status if error else 200,
        **extra,
    )


DEFAULTS = {"weekdays": [0, 1, 2, 3, 4], "starts": "12:00", "ends": "14:00", "slot_minutes": "10"}


@router.get("/hearings/windows")
def windows_page(request: Request, db: DbSession, scope: Publisher, now: Now) -> HTMLResponse:
    """The windows of the officers in one's charge, and the form to publish one."""
    saved = request.query_params.get("saved", "")[:20]
    return _page(request, db, scope, now, dict(DEFAULTS), saved=saved)


@router.post("/hearings/windows", response_model=None)
async def publish(request: Request, db: DbSession, scope: Publisher, now: Now) -> Response:
    """Publish a window: its days, hours, slot length, panel and holidays."""
    form = await request.form()
    values: dict[str, Any] = {
        "owner_id": str(form.get("owner_id", ""))[:12] or None,
        "weekdays": [str(v)[:2] for v in form.getlist("weekdays")][:7],
        "starts": str(form.get("starts", ""))[:8],
        "ends": str(form.get("ends", ""))[:8],
        "slot_minutes": str(form.get("slot_minutes", ""))[:4],
        "panel": [str(v)[:12] for v in form.getlist("panel")][:10],
        "valid_from": str(form.get("valid_from", ""))[:10] or None,
        "valid_until": str(form.get("valid_until", ""))[:10] or None,
        "holidays": _days(str(form.get("holidays", ""))[:MAX_DAYS_TEXT]),
    }
    try:
        data = parse(WindowCreate, values)
        allowed = {u.id: u for u in hearers(db, scope)}
        owner = allowed.get(data.owner_id or scope.user.id)
        if owner is None:
            raise ValidationFailed(_("Choose an officer from the list."), field="owner_id")
        if any(pid not in allowed for pid in data.panel):
            raise ValidationFailed(_("Choose at most 10 officers from the list."), field="panel")
        hours.publish_window(db, data=data, owner=owner, actor=scope.user, now=now)
    except NigraniError as exc:
        db.rollback()
        values["holidays"] = ", ".join(values["holidays"])
        return _page(request, db, scope, now, values, exc)
    return see_other("/hearings/windows?saved=window")


@router.post("/hearings/windows/{window_id}/end", response_model=None)
def end_window(
    request: Request,
    db: DbSession,
    scope: Publisher,
    now: Now,
    window_id: PathId,
    last_day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """End a window after a day (booked places up to then keep their slots)."""
    window = db.get(HearingWindow, window_id)
    if window is None or window.owner_id not in {u.id for u in hearers(db, scope)}:
        raise NotFound(_("No such hearing."))
    try:
        given = figures.parse_date(last_day, name="last_day")  # a wrong day: said, not a 500
        day = given or hours.local_today(now) - timedelta(days=1)
        if window.valid_from and day < window.valid_from - timedelta(days=1):
            raise ValidationFailed(_("The last day comes before the first."), field="last_day")
    except NigraniError as exc:
        return _page(request, db, scope, now, dict(DEFAULTS), exc)
    window.valid_until, window.updated_at = day, now
    audit.record(
        db,
        actor=audit.Actor(scope.user.id, scope.user.username or str(scope.user.id)),
        action="hearing.window.end",
        object_type="hearing_window",
        object_id=window.id,
        detail={"last_day": day.isoformat()},
    )
    return see_other("/hearings/windows?saved=ended")


@router.post("/hearings/leave", response_model=None)
def add_leave(
    request: Request,
    db: DbSession,
    scope: Publisher,
    now: Now,
    days: Annotated[str, Form(max_length=MAX_DAYS_TEXT)] = "",
) -> Response:
    """Days one is away: left off every panel those days (a sitting with nobody left does
    not sit)."""
    try:
        data = parse(LeaveCreate, {"days": _days(days)})
        if any(day < hours.local_today(now) for day in data.days):
            raise ValidationFailed(_("Leave can be given from today on."), field="days")
        write_now(db)  # a double tap takes turns: each day is stored once
        locks.subject(db, purpose="hearing-leave", key=str(scope.user.id))
        taken = {
            row.day for row in db.query(HearingLeave).filter(HearingLeave.user_id == scope.user.id)
        }
        for day in data.days:
            if day not in taken:
                db.add(HearingLeave(user_id=scope.user.id, day=day, reason=""))
    except NigraniError as exc:
        return _page(request, db, scope, now, dict(DEFAULTS), exc)
    return see_other("/hearings/windows?saved=leave")
