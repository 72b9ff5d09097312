"""evidence store

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("source_camera_id", sa.Integer(), nullable=True),
        sa.Column("claimed_start", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_end", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("probed_start", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("probed_end", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("delivered_by", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("retention_until", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_evidence_items_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["source_camera_id"],
            ["cameras.id"],
            name=op.f("fk_evidence_items_source_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_items")),
    )
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_items_created_by"), ["created_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_items_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_items_retention_until"), ["retention_until"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_items_sha256"), ["sha256"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_items_source_camera_id"), ["source_camera_id"], unique=False
        )

    op.create_table(
        "evidence_custody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_items.id"],
            name=op.f("fk_evidence_custody_item_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_custody")),
    )
    with op.batch_alter_table("evidence_custody", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_custody_actor_id"), ["actor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_custody_item_id"), ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_custody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_custody_item_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_custody_actor_id"))

    op.drop_table("evidence_custody")
    with op.batch_alter_table("evidence_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_items_source_camera_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_retention_until"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_kind"))
        batch_op.drop_index(batch_op.f("ix_evidence_items_created_by"))

    op.drop_table("evidence_items")
