"""Tables of camera health: one row per probed camera (its state, lease and baseline),
its outages as intervals, and the alerts raised from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime

STATES = ("unknown", "working", "degraded", "offline")
# Why a camera is not working. Offline: nothing usable arrives. Degraded: a picture arrives
# but it cannot be used (or, for `silent`, the sound that should be there is not).
OFFLINE_REASONS = ("unreachable", "refused", "no_frames", "stopped")
DEGRADED_REASONS = (
    *("black", "dark", "covered", "defocused", "frozen", "moved", "silent", "slow"),
    "tampered",  # only when the camera's own ONVIF tamper event says so (health.onvif)
)
REASONS = ("", *OFFLINE_REASONS, *DEGRADED_REASONS)
ALERT_KINDS = ("camera_offline", "area_dark")
# Who must repair a camera, by its registry category (station cameras: the station).
TEAMS = ("smart_city", "nagar_nigam", "station", "owner", "control_room")
OPEN = sql_text("end_at IS NULL")
UNRESOLVED = sql_text("resolved_at IS NULL")


class HealthTarget(Base):
    """One camera the prober watches: a linked registry camera or a station camera.

    `state` changes only after `candidate_count` results in a row agree (no flapping);
    `since` is when the current state began. Probers lease rows (`leased_by` until
    `lease_until`) and take those whose `due_at` has come, so several share the city.
    """

    __tablename__ = "health_targets"
    __table_args__ = (
        Index("ix_health_targets_due", "due_at"),
        Index("ix_health_targets_state", "state", "node_path"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), unique=True
    )
    station_camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("station_cameras.id", ondelete="CASCADE"), unique=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("camera_sites.id", ondelete="CASCADE"), index=True
    )
    # The station's path (registry: the site's), so jurisdiction filters need no join.
    node_path: Mapped[str] = mapped_column(String(400), index=True, default="/")
    # The registry category ("station" for a station camera), and who repairs it.
    category_code: Mapped[str] = mapped_column(String(40), index=True, default="")
    team: Mapped[str] = mapped_column(String(16), default="control_room")
    enabled: Mapped[bool] = mapped_column(default=True)
    interval_s: Mapped[int] = mapped_column(Integer, default=300)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    leased_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="unknown")
    reason: Mapped[str] = mapped_column(String(16), default="")
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The result the last probes agree on but that has not yet been seen K times.
    candidate_state: Mapped[str] = mapped_column(String(12), default="")
    candidate_reason: Mapped[str] = mapped_column(String(16), default="")
    candidate_count: Mapped[int] = mapped_column(Integer, default=0)
    # When the first of those agreeing results came: the new state began then, not at the
    # K-th (an outage starts when the camera failed, not when it was confirmed).
    candidate_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_probe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last probe's measurements (JSON): time to first frame, codec, size, fps, bitrate,
    # audio, picture scores. Never a URL or a credential.
    last_result: Mapped[str] = mapped_column(Text, default="{}")
    # The camera's own baseline of picture scores (JSON), by "day" and "night".
    baseline: Mapped[str] = mapped_column(Text, default="{}")
    # Reference snapshots (JPEG, relative to the media folder) the view is compared with.
    reference_day: Mapped[str | None] = mapped_column(String(300))
    reference_night: Mapped[str | None] = mapped_column(String(300))
    reference_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference_set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Extra signals where configured (health.extras): an HTTP snapshot URL and an ONVIF
    # endpoint (JSON of host, port, user, password). Both carry credentials: encrypted,
    # shown only as their masked copies.
    snapshot_url_enc: Mapped[str | None] = mapped_column(Text)
    snapshot_url_masked: Mapped[str] = mapped_column(String(300), default="", server_default="")
    onvif_enc: Mapped[str | None] = mapped_column(Text)
    onvif_masked: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HealthOutage(Base):
    """A time a camera was offline or degraded: open (no `end_at`) while it lasts."""

    __tablename__ = "health_outages"
    __table_args__ = (
        Index("ix_health_outages_target_start", "target_id", "start_at"),
        # At most one open outage per camera: two probers recording at once cannot open two.
        Index(
            "ix_health_outages_open",
            "target_id",
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
        Index("ix_health_outages_start", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("health_targets.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(16), default="")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the responsible team was told (an outage longer than the alert threshold).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HealthAlert(Base):
    """One alert to a team: a camera offline too long, or a whole site or area dark at once
    (one alert for the area, not one per camera). Open while it lasts."""

    __tablename__ = "health_alerts"
    __table_args__ = (
        Index(
            "ix_health_alerts_open",
            "node_path",
            postgresql_where=UNRESOLVED,
            sqlite_where=UNRESOLVED,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    team: Mapped[str] = mapped_column(String(16))
    node_path: Mapped[str] = mapped_column(String(400), default="/")
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_targets.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(ForeignKey("camera_sites.id", ondelete="CASCADE"))
    cameras: Mapped[int] = mapped_column(Integer, default=1)
    # Ids and numbers only (JSON): the text is written in the reader's language when shown.
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
