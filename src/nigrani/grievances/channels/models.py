"""Tables of the channels: WhatsApp messages in and out, conversations, Open311 requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime


class WhatsAppInbound(Base):
    """One message WhatsApp delivered; its unique id makes a repeated delivery a no-op.

    The message itself (text, place, media ids) is kept encrypted: it is the citizen's.
    """

    __tablename__ = "whatsapp_inbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    wa_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload_enc: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class WhatsAppConversation(Base):
    """Where one WhatsApp user is in the guided conversation, and what they said so far."""

    __tablename__ = "whatsapp_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wa_hash: Mapped[str] = mapped_column(String(64), unique=True)
    wa_enc: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    draft_enc: Mapped[str | None] = mapped_column(Text)
    last_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WhatsAppOutbound(Base):
    """A reply we send; `wamid` is WhatsApp's id for it, which delivery statuses name."""

    __tablename__ = "whatsapp_outbound"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("whatsapp_conversations.id"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    wamid: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Open311Request(Base):
    """A complaint filed through Open311: its token and the API key that filed it."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    api_token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
