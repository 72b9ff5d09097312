"""Tables of the evidence store: items (one per arrival) and their chain of custody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime

KINDS = ("footage", "snapshot", "clip", "attachment", "hearing")
CUSTODY_ACTIONS = (
    "received",
    "viewed",
    "copied",
    "exported",
    "hold",
    "release",
    "verified",
    "deleted",
)


class EvidenceItem(Base):
    """One piece of evidence as it arrived; its bytes live in the store under `sha256`.

    The same bytes may arrive twice (two owners send the same clip): two items, one file.
    """

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(400), default="")
    source_camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), index=True
    )
    # What the sender says the footage covers, and what probing the file found.
    claimed_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    probed_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    probed_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    delivered_by: Mapped[str] = mapped_column(String(200), default="")
    # The source device as described when the item arrived (`evidence.device`), and when
    # that was: the registry may change or lose the device later.
    device_json: Mapped[str | None] = mapped_column(Text)
    device_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The case it belongs to, and the jurisdiction that may see it (no join needed to filter).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CustodyEvent(Base):
    """One link of an item's chain of custody; each is also written to the audit chain."""

    __tablename__ = "evidence_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="{}")
