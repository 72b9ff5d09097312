"""analytics events: what the workers' rules raised on station cameras, with each event's
timeline of steps

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:35:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("station_camera_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("started_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("peak_json", sa.Text(), nullable=False),
        sa.Column("snapshot_item_id", sa.Integer(), nullable=True),
        sa.Column("clip_item_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clip_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_analytics_events_clip_item_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_analytics_events_snapshot_item_id_evidence_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_analytics_events_station_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdiction_nodes.id"],
            name=op.f("fk_analytics_events_station_id_jurisdiction_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_events")),
        sa.UniqueConstraint("uuid", name=op.f("uq_analytics_events_uuid")),
    )
    op.create_index(
        "ix_analytics_events_camera_started",
        "analytics_events",
        ["station_camera_id", "started_at"],
    )
    op.create_index(op.f("ix_analytics_events_kind"), "analytics_events", ["kind"])
    op.create_index(op.f("ix_analytics_events_node_path"), "analytics_events", ["node_path"])
    op.create_index(op.f("ix_analytics_events_started_at"), "analytics_events", ["started_at"])
    op.create_index(op.f("ix_analytics_events_station_id"), "analytics_events", ["station_id"])
    op.create_index("ix_analytics_events_status_path", "analytics_events", ["status", "node_path"])
    op.create_table(
        "analytics_event_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_analytics_event_steps_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["analytics_events.id"],
            name=op.f("fk_analytics_event_steps_event_id_analytics_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_event_steps")),
    )
    op.create_index(
        op.f("ix_analytics_event_steps_event_id"), "analytics_event_steps", ["event_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_analytics_event_steps_event_id"), table_name="analytics_event_steps")
    op.drop_table("analytics_event_steps")
    for name in (
        "ix_analytics_events_status_path",
        "ix_analytics_events_station_id",
        "ix_analytics_events_started_at",
        "ix_analytics_events_node_path",
        "ix_analytics_events_kind",
        "ix_analytics_events_camera_started",
    ):
        op.drop_index(name, table_name="analytics_events")
    op.drop_table("analytics_events")
