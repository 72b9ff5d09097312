"""Tables of grievances: categories, complaints, their timeline, attachments and feedback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigrani.accounts.models import JurisdictionNode, User
from nigrani.core.db import Base, UTCDateTime

CHANNELS = ("web", "whatsapp", "open311", "walk_in", "hearing")
STATUSES = ("received", "assigned", "acknowledged", "investigating", "action_taken", "closed")
OPEN_STATUSES = STATUSES[:-1]
RESOLUTIONS = ("resolved", "no_action", "not_ours", "duplicate")
# Overdue complaints climb one rung at a time: the station, then the ACP, then the DCP.
ESCALATION_LEVELS = ("none", "station", "acp", "dcp")


class GrievanceCategory(Base):
    """What a complaint is about, with its names and how long the police have to act."""

    __tablename__ = "grievance_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_hi: Mapped[str] = mapped_column(String(120))
    sla_hours: Mapped[int] = mapped_column(Integer)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Complaint(Base):
    """One grievance from a citizen, under a station (or the control room's triage queue).

    The complainant's mobile is kept encrypted, as a keyed hash (lookup, duplicates) and
    masked (display), like a camera owner's.
    """

    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("channel", "external_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(200))
    category_code: Mapped[str] = mapped_column(ForeignKey("grievance_categories.code"), index=True)
    text: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(400), default="")
    language: Mapped[str] = mapped_column(String(8), default="hi")
    name_enc: Mapped[str | None] = mapped_column(Text)
    name_masked: Mapped[str | None] = mapped_column(String(120))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(32))
    mobile_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(400), index=True)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[GrievanceCategory] = relationship()
    station: Mapped[JurisdictionNode | None] = relationship()
    officer: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )


class ComplaintEvent(Base):
    """One line of a complaint's timeline: a state change, hop, note, message or feedback.

    `public` lines are what the complainant sees when tracking; internal notes are not.
    """

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str] = mapped_column(Text, default="{}")

    complaint: Mapped[Complaint] = relationship(back_populates="events")


class ComplaintAttachment(Base):
    """A file sent with a complaint; its bytes live in the evidence store."""

    __tablename__ = "complaint_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    evidence_item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Feedback(Base):
    """The complainant's verdict on a closed complaint; 'not satisfied' reopens it."""

    __tablename__ = "complaint_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    satisfied: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
