"""notifications: in-app notices to one user (complaint assigned, overdue, escalated;
footage received; camera stopped recording), one row per user and event, read or not

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC_TYPE = nigrani.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=24), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=80), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTC_TYPE, nullable=False),
        sa.Column("read_at", UTC_TYPE, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id", "kind", "object_type", "object_id", "event", name="uq_notifications_event"
        ),
    )
    unread = sa.text("read_at IS NULL")
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        postgresql_where=unread,
        sqlite_where=unread,
    )
    op.create_index("ix_notifications_newest", "notifications", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_newest", table_name="notifications")
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_table("notifications")
