"""station cctv: cameras, segments, gaps, holds, alerts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:01:45.411876
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = nigrani.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "station_cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("main_url_enc", sa.Text(), nullable=False),
        sa.Column("sub_url_enc", sa.Text(), nullable=True),
        sa.Column("url_masked", sa.String(length=300), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.Column("night_vision", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("make", sa.String(length=80), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("mac", sa.String(length=32), nullable=False),
        sa.Column("zones_json", sa.Text(), nullable=False),
        sa.Column("snapshot_path", sa.String(length=300), nullable=True),
        sa.Column("leased_by", sa.String(length=120), nullable=True),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("last_segment_at", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=400), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdiction_nodes.id"],
            name=op.f("fk_station_cameras_station_id_jurisdiction_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_cameras")),
    )
    with op.batch_alter_table("station_cameras", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_cameras_lease_until"), ["lease_until"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_station_cameras_node_path"), ["node_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_station_cameras_role"), ["role"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_station_cameras_station_id"), ["station_id"], unique=False
        )

    op.create_table(
        "recording_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTC, nullable=False),
        sa.Column("end_at", UTC, nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_recording_gaps_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_gaps")),
    )
    with op.batch_alter_table("recording_gaps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recording_gaps_camera_start", ["camera_id", "start_at"], unique=False
        )

    op.create_table(
        "recording_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTC, nullable=False),
        sa.Column("end_at", UTC, nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("video_codec", sa.String(length=16), nullable=False),
        sa.Column("audio_codec", sa.String(length=16), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_recording_segments_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_segments")),
        sa.UniqueConstraint("path", name=op.f("uq_recording_segments_path")),
    )
    with op.batch_alter_table("recording_segments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recording_segments_camera_start", ["camera_id", "start_at"], unique=False
        )
        batch_op.create_index("ix_recording_segments_start", ["start_at"], unique=False)

    op.create_table(
        "station_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_station_alerts_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_alerts")),
    )
    with op.batch_alter_table("station_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_alerts_camera_id"), ["camera_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_station_alerts_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_station_alerts_open", ["resolved_at", "node_path"], unique=False)

    op.create_table(
        "recording_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("start_at", UTC, nullable=False),
        sa.Column("end_at", UTC, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("evidence_item_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("released_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_recording_holds_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_recording_holds_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_recording_holds_evidence_item_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_recording_holds_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_holds")),
    )
    with op.batch_alter_table("recording_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recording_holds_camera_start", ["camera_id", "start_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recording_holds_evidence_item_id"), ["evidence_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recording_holds_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recording_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_holds_incident_id"))
        batch_op.drop_index(batch_op.f("ix_recording_holds_evidence_item_id"))
        batch_op.drop_index("ix_recording_holds_camera_start")

    op.drop_table("recording_holds")
    with op.batch_alter_table("station_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_station_alerts_open")
        batch_op.drop_index(batch_op.f("ix_station_alerts_kind"))
        batch_op.drop_index(batch_op.f("ix_station_alerts_camera_id"))

    op.drop_table("station_alerts")
    with op.batch_alter_table("recording_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_recording_segments_start")
        batch_op.drop_index("ix_recording_segments_camera_start")

    op.drop_table("recording_segments")
    with op.batch_alter_table("recording_gaps", schema=None) as batch_op:
        batch_op.drop_index("ix_recording_gaps_camera_start")

    op.drop_table("recording_gaps")
    with op.batch_alter_table("station_cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_cameras_station_id"))
        batch_op.drop_index(batch_op.f("ix_station_cameras_role"))
        batch_op.drop_index(batch_op.f("ix_station_cameras_node_path"))
        batch_op.drop_index(batch_op.f("ix_station_cameras_lease_until"))

    op.drop_table("station_cameras")
