"""Tables of the incident canvass: incidents, owner reveals, footage requests, uploads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.core.db import Base, UTCDateTime

INCIDENT_STATUSES = ("open", "closed")
REQUEST_STATUSES = ("sent", "opened", "uploaded", "declined", "expired", "cancelled")
# A request the owner can still act on; the others are final.
LIVE_REQUEST = ("sent", "opened", "uploaded")


class Incident(Base):
    """Something that happened at a place in a time window, under one station."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(400), default="")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    fir_number: Mapped[str] = mapped_column(String(60), default="")
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(400), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    requests: Mapped[list[FootageRequest]] = relationship(
        back_populates="incident", order_by="FootageRequest.id"
    )


class OwnerReveal(Base):
    """One officer seeing one owner's contact for an incident (also in the audit chain)."""

    __tablename__ = "owner_reveals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("camera_sites.id", ondelete="CASCADE"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    site: Mapped[Site] = relationship()
    officer: Mapped[User] = relationship()


class FootageRequest(Base):
    """An ask to a camera owner for footage of an incident's window, by a one-time link.

    The link's token is kept only as a keyed hash; the first browser to open it is bound by
    a second secret (`device_hash`), so a forwarded or replayed link opens nothing.
    """

    __tablename__ = "footage_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("camera_sites.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="sent", index=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Encrypted too, so a reminder carries the same link the owner already has.
    token_enc: Mapped[str] = mapped_column(Text)
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_job_id: Mapped[int | None] = mapped_column(Integer)

    incident: Mapped[Incident] = relationship(back_populates="requests")
    site: Mapped[Site] = relationship()
    uploads: Mapped[list[FootageUpload]] = relationship(
        back_populates="request", order_by="FootageUpload.created_at"
    )


class FootageUpload(Base):
    """One resumable upload (tus 1.0) of a clip for a request; bytes staged until complete."""

    __tablename__ = "footage_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("footage_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    # open, stored, refused (not video), abandoned (request closed, or idle at the limit)
    status: Mapped[str] = mapped_column(String(16), default="open")
    refused_reason: Mapped[str] = mapped_column(Text, default="")
    evidence_item_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    request: Mapped[FootageRequest] = relationship(back_populates="uploads")
