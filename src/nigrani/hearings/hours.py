"""Hearing hours as stored: publishing a window with its panel and holidays, and a window's
coming sittings (its pure `windows.Window`, less holidays and leave)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _, to_ist
from nigrani.hearings import windows
from nigrani.hearings.models import (
    HearingClosure,
    HearingLeave,
    HearingWindow,
    HearingWindowOfficer,
)
from nigrani.hearings.schemas import WindowCreate

BOOK_AHEAD_DAYS = 14  # how far ahead a citizen may book


def _mask(days: list[int]) -> int:
    return sum(1 << day for day in set(days))


def window_of(row: HearingWindow) -> windows.Window:
    """The pure window a row stands for."""
    return windows.Window(
        owner_id=row.owner_id,
        weekdays=frozenset(d for d in range(7) if row.weekdays >> d & 1),
        starts=row.starts,
        ends=row.ends,
        slot_minutes=row.slot_minutes,
        panel=tuple(p.user_id for p in row.panel if p.user_id != row.owner_id),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        tz=row.tz,
    )


def publish_window(
    session: Session, *, data: WindowCreate, owner: User, actor: User, now: datetime
) -> HearingWindow:
    """Store an officer's hours (checked as a pure window first), their panel and holidays."""
    panel = [pid for pid in dict.fromkeys(data.panel) if pid != owner.id]
    for pid in panel:
        if session.get(User, pid) is None:
            raise NotFound(_("Choose an officer from the list."))
    windows.validate(
        windows.Window(
            owner_id=owner.id,
            weekdays=frozenset(data.weekdays),
            starts=data.starts,
            ends=data.ends,
            slot_minutes=data.slot_minutes,
            panel=tuple(panel),
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )
    )
    row = HearingWindow(
        owner_id=owner.id,
        weekdays=_mask(data.weekdays),
        starts=data.starts,
        ends=data.ends,
        slot_minutes=data.slot_minutes,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        tz="Asia/Kolkata",
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    row.panel = [
        HearingWindowOfficer(user_id=uid, position=i) for i, uid in enumerate([owner.id, *panel])
    ]
    session.add(row)
    session.flush()
    for day in data.holidays:
        session.add(HearingClosure(day=day, window_id=row.id, reason=""))
    audit.record(
        session,
        actor=audit.Actor(actor.id, actor.username or str(actor.id)),
        action="hearing.window.publish",
        object_type="hearing_window",
        object_id=row.id,
        detail={"owner": owner.id, "panel": panel, "holidays": len(data.holidays)},
    )
    return row


def all_windows(session: Session) -> list[HearingWindow]:
    """Every published window, oldest first."""
    return list(session.scalars(select(HearingWindow).order_by(HearingWindow.id)))


def _closures(session: Session, row: HearingWindow, first: date, last: date) -> list[date]:
    found = session.scalars(
        select(HearingClosure.day).where(
            HearingClosure.day.between(first, last),
            (HearingClosure.window_id == row.id) | HearingClosure.window_id.is_(None),
        )
    )
    return list(found)


def _leave(
    session: Session, officers: tuple[int, ...], first: date, last: date
) -> dict[int, list[date]]:
    out: dict[int, list[date]] = {}
    for user_id, day in session.execute(
        select(HearingLeave.user_id, HearingLeave.day).where(
            HearingLeave.user_id.in_(officers), HearingLeave.day.between(first, last)
        )
    ):
        out.setdefault(user_id, []).append(day)
    return out


def upcoming(
    session: Session, row: HearingWindow, *, today: date, days: int = BOOK_AHEAD_DAYS
) -> list[windows.Sitting]:
    """The window's sittings from today for `days` days (holidays and leave left out)."""
    pure = window_of(row)
    last = today + timedelta(days=days - 1)
    return windows.sittings(
        pure,
        first=today,
        last=last,
        holidays=_closures(session, row, today, last),
        leave=_leave(session, pure.officers, today, last),
    )


def local_today(now: datetime) -> date:
    """The city's calendar day at a moment."""
    return to_ist(now).date()
