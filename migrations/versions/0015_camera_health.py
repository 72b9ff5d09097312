"""camera health: probed cameras with their state, lease and baseline, outages as
intervals, alerts to the responsible team; station cameras get a health column

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:30:34.271237
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch copy of the table: on SQLite the copy drops
    # station_cameras, which cascades to the recordings, gaps and holds that refer to it.
    op.add_column(
        "station_cameras",
        sa.Column("health", sa.String(length=16), server_default="unknown", nullable=False),
    )
    op.create_table(
        "health_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_camera_id", sa.Integer(), nullable=True),
        sa.Column("station_camera_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("due_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_by", sa.String(length=120), nullable=True),
        sa.Column("lease_until", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("since", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("candidate_state", sa.String(length=12), nullable=False),
        sa.Column("candidate_reason", sa.String(length=16), nullable=False),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("candidate_since", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_probe_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=False),
        sa.Column("baseline", sa.Text(), nullable=False),
        sa.Column("reference_day", sa.String(length=300), nullable=True),
        sa.Column("reference_night", sa.String(length=300), nullable=True),
        sa.Column("reference_set_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reference_set_by", sa.Integer(), nullable=True),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reference_set_by"],
            ["users.id"],
            name=op.f("fk_health_targets_reference_set_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["registry_camera_id"],
            ["cameras.id"],
            name=op.f("fk_health_targets_registry_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["camera_sites.id"],
            name=op.f("fk_health_targets_site_id_camera_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_camera_id"],
            ["station_cameras.id"],
            name=op.f("fk_health_targets_station_camera_id_station_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_targets")),
        sa.UniqueConstraint(
            "registry_camera_id", name=op.f("uq_health_targets_registry_camera_id")
        ),
        sa.UniqueConstraint("station_camera_id", name=op.f("uq_health_targets_station_camera_id")),
    )
    with op.batch_alter_table("health_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_targets_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index("ix_health_targets_due", ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_health_targets_node_path"), ["node_path"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_health_targets_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_health_targets_state", ["state", "node_path"], unique=False)

    op.create_table(
        "health_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("team", sa.String(length=16), nullable=False),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("cameras", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["camera_sites.id"],
            name=op.f("fk_health_alerts_site_id_camera_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["health_targets.id"],
            name=op.f("fk_health_alerts_target_id_health_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_alerts")),
    )
    with op.batch_alter_table("health_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_alerts_open",
            ["node_path"],
            unique=False,
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_health_alerts_target_id"), ["target_id"], unique=False)

    op.create_table(
        "health_outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("start_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("alerted_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["health_targets.id"],
            name=op.f("fk_health_outages_target_id_health_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_outages")),
    )
    with op.batch_alter_table("health_outages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_health_outages_open",
            ["target_id"],
            unique=True,
            postgresql_where=sa.text("end_at IS NULL"),
            sqlite_where=sa.text("end_at IS NULL"),
        )
        batch_op.create_index("ix_health_outages_start", ["start_at"], unique=False)
        batch_op.create_index(
            "ix_health_outages_target_start", ["target_id", "start_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("health_outages", schema=None) as batch_op:
        batch_op.drop_index("ix_health_outages_target_start")
        batch_op.drop_index("ix_health_outages_start")
        batch_op.drop_index(
            "ix_health_outages_open",
            postgresql_where=sa.text("end_at IS NULL"),
            sqlite_where=sa.text("end_at IS NULL"),
        )

    op.drop_table("health_outages")
    with op.batch_alter_table("health_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_alerts_target_id"))
        batch_op.drop_index(
            "ix_health_alerts_open",
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        )

    op.drop_table("health_alerts")
    with op.batch_alter_table("health_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_health_targets_state")
        batch_op.drop_index(batch_op.f("ix_health_targets_site_id"))
        batch_op.drop_index(batch_op.f("ix_health_targets_node_path"))
        batch_op.drop_index("ix_health_targets_due")
        batch_op.drop_index(batch_op.f("ix_health_targets_category_code"))

    op.drop_table("health_targets")
    op.execute(sa.text("ALTER TABLE station_cameras DROP COLUMN health"))  # SQLite 3.35+
