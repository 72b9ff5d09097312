"""Tables of station CCTV: cameras with their location role, recorded segments, gaps,
holds that keep footage from cleanup, and alerts raised by the recorder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime

# The places the Supreme Court (Paramvir Singh Saini, 2020) requires a camera to see.
REQUIRED_ROLES = (
    "entry_exit",
    "lockup",
    "corridor",
    "reception",
    "sho_room",
    "officers_room",
    "outside_washroom",
)
ROLES = (*REQUIRED_ROLES, "other")
HOLD_KINDS = ("legal_hold", "evidence")
ALERT_KINDS = ("disk_low", "disk_full_held", "camera_offline", "retention_cut")


class StationCamera(Base):
    """A camera inside or at a police station, by the place it must see.

    Stream URLs usually carry the camera's password: stored only encrypted, shown as
    host and path without credentials.
    """

    __tablename__ = "station_cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(400), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(24), index=True)
    main_url_enc: Mapped[str] = mapped_column(Text)
    sub_url_enc: Mapped[str | None] = mapped_column(Text)
    url_masked: Mapped[str] = mapped_column(String(300), default="")
    has_audio: Mapped[bool] = mapped_column(Boolean, default=True)
    night_vision: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    retention_days: Mapped[int] = mapped_column(Integer, default=548)
    # Device details for the Section 63 certificate of an exported clip.
    make: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    serial: Mapped[str] = mapped_column(String(80), default="")
    mac: Mapped[str] = mapped_column(String(32), default="")
    # Zones drawn on a snapshot, as JSON: [{"name": ..., "points": [[x, y], ...]}] in 0..1.
    zones_json: Mapped[str] = mapped_column(Text, default="[]")
    snapshot_path: Mapped[str | None] = mapped_column(String(300))
    # Which recorder holds the camera, until when (renewed by its heartbeat).
    leased_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Which analytics worker (`nigrani worker`) watches it, until when: its own lease.
    analytics_leased_by: Mapped[str | None] = mapped_column(String(120))
    analytics_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What that worker counts on it now (people, of them in waiting zones) and when: the
    # wall's tiles (nigrani.analytics.headcount).
    analytics_people: Mapped[int | None] = mapped_column(Integer)
    analytics_waiting: Mapped[int | None] = mapped_column(Integer)
    analytics_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_segment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(400), default="")
    # working / degraded / offline / unknown, written by the prober (nigrani.health).
    health: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordingSegment(Base):
    """One file of recorded footage: packets copied from the camera, not re-encoded."""

    __tablename__ = "recording_segments"
    __table_args__ = (
        Index("ix_recording_segments_camera_start", "camera_id", "start_at"),
        Index("ix_recording_segments_start", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("station_cameras.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    # Relative to the recordings folder.
    path: Mapped[str] = mapped_column(String(300), unique=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    video_codec: Mapped[str] = mapped_column(String(16), default="")
    audio_codec: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)


class RecordingGap(Base):
    """A time the camera was not recorded: stream lost, recorder down; open while ongoing."""

    __tablename__ = "recording_gaps"
    __table_args__ = (Index("ix_recording_gaps_camera_start", "camera_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("station_cameras.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(400), default="")


class RecordingHold(Base):
    """A time range of one camera that cleanup must keep: a legal hold or exported evidence."""

    __tablename__ = "recording_holds"
    __table_args__ = (Index("ix_recording_holds_camera_start", "camera_id", "start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("station_cameras.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(400))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    evidence_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StationAlert(Base):
    """Something an officer must act on: low disk, a camera that stopped recording."""

    __tablename__ = "station_alerts"
    __table_args__ = (Index("ix_station_alerts_open", "resolved_at", "node_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    severity: Mapped[str] = mapped_column(String(12), default="warning")
    node_path: Mapped[str] = mapped_column(String(400), default="/")
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("station_cameras.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(String(500))
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
