"""Tables of station analytics: the events the workers' rules raised, and each event's
timeline of steps (acknowledged, instruction given, resolved, false positive)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nigrani.core.db import Base, UTCDateTime

STATUSES = ("open", "acknowledged", "instructed", "resolved", "false_positive")
# The timeline's entries: "raised" when the event arrives, then an officer's steps.
STEPS = ("raised", "acknowledge", "instruct", "resolve", "false_positive")


class AnalyticsEvent(Base):
    """One finding of a rule on one station camera, from its start to its end.

    The uuid is the worker's: a retried or duplicated post finds the same row."""

    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_status_path", "status", "node_path"),
        Index("ix_analytics_events_camera_started", "station_camera_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    station_camera_id: Mapped[int] = mapped_column(
        ForeignKey("station_cameras.id", ondelete="CASCADE")
    )
    # The camera's station and its path, so that jurisdiction filters need no join.
    station_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    node_path: Mapped[str] = mapped_column(String(400), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The rule's peak values (people, seconds, dB ...) as a small JSON object.
    peak_json: Mapped[str] = mapped_column(Text, default="{}")
    # The snapshot as an evidence item (hashed on arrival), and the clip cut later.
    snapshot_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    clip_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    # The clip's cutting (analytics/clips.py): None until asked, then pending, ready, or
    # no_recording (the camera's recordings do not reach the event's time).
    clip_state: Mapped[str | None] = mapped_column(String(16))
    # A raised voice's room level around the event (schemas.LevelTrace as JSON), or None.
    trace_json: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The number of its latest change, drawn at commit from AnalyticsChangeCounter (the
    # wall's live feed replays the changes after a number: alert_feed.py).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)


class AnalyticsChangeCounter(Base):
    """One row: the number of the latest change of any analytics event. Drawn at commit
    under the row's lock, so numbers are committed in their order."""

    __tablename__ = "analytics_change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(BigInteger)


class AnalyticsEventStep(Base):
    """One entry of an event's timeline: who did what, when, with what note."""

    __tablename__ = "analytics_event_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_events.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(120))
    step: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # the event's status after the step
    note: Mapped[str] = mapped_column(Text, default="")


class AnalyticsRuleOverride(Base):
    """A station's changes to the rules' defaults: {"station": patch, "zones": {name: patch}},
    each patch {rule kind: {field: value}} (analytics/rule_config.py validates them)."""

    __tablename__ = "analytics_rule_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("jurisdiction_nodes.id", ondelete="CASCADE"), unique=True
    )
    rules_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
