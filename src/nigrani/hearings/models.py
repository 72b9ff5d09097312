"""Tables of video hearings: officers' windows, their holidays and leave, each day's sitting
(the row every change of that day's queue locks), the tickets and the queue's log.

A window's rows are what `windows.Window` is made from. A sitting is first stored when a
citizen books or joins it, with the hours and panel of that day as they were then, so a
later edit of the window never moves the slots under tickets already given. The tickets
and events are `queue.Ticket` and `queue.Event` (see queue.py's docstring), plus what the
product keeps about each citizen's place: who, about what, the link and the outcome.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigrani.accounts.models import User
from nigrani.core.db import Base, UTCDateTime
from nigrani.evidence.models import EvidenceItem
from nigrani.grievances.models import Complaint

# How a hearing ended, besides the notes (schemas.Outcome).
OUTCOMES = ("complaint", "linked", "resolved")


class HearingWindow(Base):
    """An officer's recurring hearing hours, as published (local wall-clock times)."""

    __tablename__ = "hearing_window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weekdays: Mapped[int] = mapped_column(Integer)  # 7-bit mask, bit 0 Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    tz: Mapped[str] = mapped_column(String(40), default="Asia/Kolkata")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    panel: Mapped[list[HearingWindowOfficer]] = relationship(
        order_by="HearingWindowOfficer.position", cascade="all, delete-orphan"
    )


class HearingWindowOfficer(Base):
    """One officer of a window's panel; the owner is position 0."""

    __tablename__ = "hearing_window_officer"

    window_id: Mapped[int] = mapped_column(
        ForeignKey("hearing_window.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)

    user: Mapped[User] = relationship()


class HearingClosure(Base):
    """A day a window does not sit (window_id NULL: no window sits, a city-wide holiday)."""

    __tablename__ = "hearing_closure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("hearing_window.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")


class HearingLeave(Base):
    """A day an officer is away: left off every panel that day."""

    __tablename__ = "hearing_officer_leave"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class HearingSitting(Base):
    """One window's day, stored once someone takes a place in it: its hours and panel then.

    Every change of the day's queue first locks this row (SELECT … FOR UPDATE; on SQLite
    the writer lock), then reads, changes and writes the tickets."""

    __tablename__ = "hearing_sitting"
    __table_args__ = (UniqueConstraint("window_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("hearing_window.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    officers: Mapped[str] = mapped_column(Text)  # JSON list of user ids, in panel order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    window: Mapped[HearingWindow] = relationship()


class HearingTicket(Base):
    """One citizen's place in one sitting: `queue.Ticket` (its id is `number`) and more.

    The waiting room's link carries a secret made from `link_key` with the server's key;
    only its SHA-256 is stored, to find the ticket by it."""

    __tablename__ = "hearing_ticket"
    __table_args__ = (UniqueConstraint("sitting_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("hearing_sitting.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the sitting
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    priority: Mapped[str | None] = mapped_column(String(16))
    slot: Mapped[int | None] = mapped_column(Integer)
    standby: Mapped[bool] = mapped_column(Boolean, default=False)
    due: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    jumped: Mapped[int] = mapped_column(Integer, default=0)
    rejoins: Mapped[int] = mapped_column(Integer, default=0)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(Text)
    # The complaint the citizen came about (their own, chosen when booking), if any.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    link_key: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    # The complaint the hearing ended with: one it raised, or the one it was about.
    outcome_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    # When the booked citizen was texted the reminder (once, REMIND_BEFORE their slot).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The citizen's answer to "may this hearing be recorded?" (None: not asked or not yet).
    record_consent: Mapped[bool | None] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sitting: Mapped[HearingSitting] = relationship()
    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    officer: Mapped[User | None] = relationship(foreign_keys=[officer_id])
    complaint: Mapped[Complaint | None] = relationship(foreign_keys=[complaint_id])
    outcome_complaint: Mapped[Complaint | None] = relationship(foreign_keys=[outcome_complaint_id])


class HearingQueueEvent(Base):
    """One change of a sitting's queue (`queue.Event`); `passed` holds ticket ids (JSON)."""

    __tablename__ = "hearing_queue_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("hearing_sitting.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("hearing_ticket.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[str] = mapped_column(Text, default="[]")


class HearingRecording(Base):
    """One side of a recorded call (what the citizen's or the officer's page sent), as a
    file in the evidence store."""

    __tablename__ = "hearing_recording"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("hearing_ticket.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(16))  # "citizen" or "officer"
    evidence_item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[EvidenceItem] = relationship()
