"""analytics change numbers: each change of an analytics event gets the next number of one
counter, drawn at commit, so that the wall's live feed can replay what a reconnecting page
missed (Last-Event-ID) in the order the changes were committed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 17:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "analytics_events",
        sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_index(
        op.f("ix_analytics_events_change_seq"), "analytics_events", ["change_seq"], unique=False
    )
    op.create_table(
        "analytics_change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_change_counter")),
    )
    # The events made before: numbered in the order they were made.
    op.execute("UPDATE analytics_events SET change_seq = id")
    op.execute(
        "INSERT INTO analytics_change_counter (id, last)"
        " SELECT 1, COALESCE(MAX(id), 0) FROM analytics_events"
    )


def downgrade() -> None:
    op.drop_table("analytics_change_counter")
    op.drop_index(op.f("ix_analytics_events_change_seq"), table_name="analytics_events")
    op.drop_column("analytics_events", "change_seq")
