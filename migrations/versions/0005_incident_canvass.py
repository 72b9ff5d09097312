"""incident canvass

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("window_start", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fir_number", sa.String(length=60), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_incidents_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_incidents_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdiction_nodes.id"],
            name=op.f("fk_incidents_station_id_jurisdiction_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("number", name=op.f("uq_incidents_number")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_node_path"), ["node_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)

    op.create_table(
        "footage_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_enc", sa.Text(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("window_start", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("window_end", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("sent_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("responded_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_message_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_footage_requests_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_footage_requests_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["camera_sites.id"],
            name=op.f("fk_footage_requests_site_id_camera_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footage_requests")),
        sa.UniqueConstraint("device_hash", name=op.f("uq_footage_requests_device_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_footage_requests_token_hash")),
    )
    with op.batch_alter_table("footage_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_footage_requests_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_footage_requests_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_footage_requests_status"), ["status"], unique=False)

    op.create_table(
        "owner_reveals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_owner_reveals_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_owner_reveals_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["camera_sites.id"],
            name=op.f("fk_owner_reveals_site_id_camera_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_reveals")),
    )
    with op.batch_alter_table("owner_reveals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_reveals_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_owner_reveals_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "footage_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refused_reason", sa.Text(), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_footage_uploads_evidence_item_id_evidence_items"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["footage_requests.id"],
            name=op.f("fk_footage_uploads_request_id_footage_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footage_uploads")),
    )
    with op.batch_alter_table("footage_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_footage_uploads_request_id"), ["request_id"], unique=False
        )

    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incident_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("node_path", sa.String(length=400), nullable=False, server_default="/")
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_items_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_items_node_path"), ["node_path"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_items_incident_id_incidents"),
            "incidents",
            ["incident_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_evidence_items_incident_id_incidents"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_evidence_items_node_path"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_incident_id"))
        batch_op.drop_column("node_path")
        batch_op.drop_column("incident_id")

    with op.batch_alter_table("footage_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_footage_uploads_request_id"))

    op.drop_table("footage_uploads")
    with op.batch_alter_table("owner_reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_reveals_incident_id"))
        batch_op.drop_index(batch_op.f("ix_owner_reveals_at"))

    op.drop_table("owner_reveals")
    with op.batch_alter_table("footage_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_footage_requests_status"))
        batch_op.drop_index(batch_op.f("ix_footage_requests_incident_id"))
        batch_op.drop_index(batch_op.f("ix_footage_requests_expires_at"))

    op.drop_table("footage_requests")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_status"))
        batch_op.drop_index(batch_op.f("ix_incidents_station_id"))
        batch_op.drop_index(batch_op.f("ix_incidents_officer_id"))
        batch_op.drop_index(batch_op.f("ix_incidents_node_path"))
        batch_op.drop_index(batch_op.f("ix_incidents_kind"))
        batch_op.drop_index(batch_op.f("ix_incidents_created_at"))

    op.drop_table("incidents")
