"""owner health SMS: a citizen may opt in to an SMS when their camera seems offline, with
its own consent time

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch copy of camera_sites on SQLite would cascade to its cameras.
    op.add_column(
        "camera_sites",
        sa.Column("health_sms", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "camera_sites",
        sa.Column("health_sms_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("camera_sites", "health_sms_at")
    op.drop_column("camera_sites", "health_sms")
