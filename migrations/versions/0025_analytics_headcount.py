"""analytics headcount: each watched camera's people now (and those in its waiting zones),
written by the worker that holds it, for the tiles of the alert wall

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


# Plain ADD / DROP COLUMN, not a batch rebuild: rebuilding station_cameras on SQLite drops
# the old table, and its recording holds and segments with it (ON DELETE CASCADE).
def upgrade() -> None:
    op.add_column("station_cameras", sa.Column("analytics_people", sa.Integer(), nullable=True))
    op.add_column("station_cameras", sa.Column("analytics_waiting", sa.Integer(), nullable=True))
    op.add_column(
        "station_cameras",
        sa.Column(
            "analytics_counted_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("station_cameras", "analytics_counted_at")
    op.drop_column("station_cameras", "analytics_waiting")
    op.drop_column("station_cameras", "analytics_people")
