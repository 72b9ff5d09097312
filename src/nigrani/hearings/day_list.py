"""One window's day as a printable list: each citizen's number, time, masked name, topic,
state, outcome and complaint number, in the order of their numbers.

The list is for a desk and a notice board: names show only their first letter
(`core.text.mask_name`, as complaints and camera owners do), and a citizen who gave no
name shows as their masked mobile number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from nigrani.accounts.models import User
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _, lazy_gettext, to_ist
from nigrani.core.text import mask_name
from nigrani.grievances.models import Complaint
from nigrani.hearings import figures, labels
from nigrani.hearings.models import HearingSitting, HearingTicket, HearingWindow

TOPIC_CHARS = 140  # a topic is cut there on the list (the console shows it whole)

NO_OUTCOME_LABEL = lazy_gettext("No outcome recorded")


def outcome_label(outcome: str | None) -> str:
    """A hearing's outcome in the current language; a figures column's "none" too."""
    if outcome == figures.NO_OUTCOME:
        return str(NO_OUTCOME_LABEL)
    return labels.outcome_label(outcome)


@dataclass(frozen=True, slots=True)
class Entry:
    """One citizen on the day's list."""

    number: int
    time: str  # HH:MM IST: the slot for a booking, the moment of joining for a walk-in
    walk_in: bool
    name: str  # masked
    topic: str
    state: str
    outcome: str | None
    complaint: str | None  # the number of the complaint the hearing ended with, or was about
    wait: float | None  # minutes, for a citizen called


@dataclass(frozen=True, slots=True)
class DayList:
    """A window's day: the window, its owner's name, the sitting (None: nobody took a place)
    and its citizens."""

    window: HearingWindow
    owner: str
    day: date
    sitting: HearingSitting | None
    entries: list[Entry]

    @property
    def figures(self) -> figures.Line:
        """The day's totals, counted as the dashboard counts them."""
        heard = sum(e.state == "done" for e in self.entries)
        no_shows = sum(e.state == "no_show" for e in self.entries)
        places = sum(e.state != "cancelled" for e in self.entries)
        waits = [e.wait for e in self.entries if e.wait is not None]
        return figures.Line(
            key=self.day.isoformat(),
            label=self.day.strftime("%d.%m.%Y"),
            places=places,
            heard=heard,
            no_shows=no_shows,
            median_wait=figures.percentile(waits, 50),
            p90_wait=figures.percentile(waits, 90),
        )


def visible_window(
    session: Session, *, window_id: int, scope_path: str, user_id: int
) -> HearingWindow:
    """The window, if the caller may see it (`figures.visible`); NotFound otherwise, so a
    window outside one's charge is indistinguishable from none."""
    found = session.scalar(
        select(HearingWindow).where(
            HearingWindow.id == window_id,
            figures.visible(scope_path=scope_path, user_id=user_id),
        )
    )
    if found is None:
        raise NotFound(_("No such hearing window in your charge."))
    return found


def _shown_name(user: User) -> str:
    return mask_name(user.full_name) or user.phone_masked or "—"


def _wait(ticket: HearingTicket) -> float | None:
    arrived = ticket.checked_in_at or ticket.joined_at
    if ticket.called_at is None:
        return None
    return max(0.0, (ticket.called_at - arrived).total_seconds() / 60)


def hhmm(moment: datetime, tz: str = "Asia/Kolkata") -> str:
    """A moment's time of day in IST, HH:MM."""
    return to_ist(moment, tz).strftime("%H:%M")


def day_list(session: Session, *, window: HearingWindow, day: date) -> DayList:
    """The window's citizens on that day, by number (two queries)."""
    sitting = session.scalar(
        select(HearingSitting).where(
            HearingSitting.window_id == window.id, HearingSitting.day == day
        )
    )
    owner = session.get(User, window.owner_id)
    owner_name = owner.full_name if owner is not None else f"#{window.owner_id}"
    if sitting is None:
        return DayList(window, owner_name, day, None, [])
    raised, about = aliased(Complaint), aliased(Complaint)
    stmt = (
        select(HearingTicket, User, raised.number, about.number)
        .join(User, HearingTicket.citizen_id == User.id)
        .outerjoin(raised, HearingTicket.outcome_complaint_id == raised.id)
        .outerjoin(about, HearingTicket.complaint_id == about.id)
        .where(HearingTicket.sitting_id == sitting.id)
        .order_by(HearingTicket.number)
    )
    entries = [
        Entry(
            number=ticket.number,
            time=hhmm(ticket.due if ticket.kind == "booked" else ticket.joined_at, window.tz),
            walk_in=ticket.kind != "booked",
            name=_shown_name(citizen),
            topic=_cut(ticket.topic),
            state=ticket.state,
            outcome=ticket.outcome,
            complaint=ended_with or came_about,
            wait=_wait(ticket),
        )
        for ticket, citizen, ended_with, came_about in session.execute(stmt)
    ]
    return DayList(window, owner_name, day, sitting, entries)


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TOPIC_CHARS else flat[: TOPIC_CHARS - 1].rstrip() + "…"
