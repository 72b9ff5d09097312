"""analytics worker leases: which analytics worker watches a station camera, until when
(apart from the recorder's lease: both read the same camera)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 13:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "station_cameras", sa.Column("analytics_leased_by", sa.String(length=120), nullable=True)
    )
    op.add_column(
        "station_cameras",
        sa.Column(
            "analytics_lease_until", nigrani.core.db.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.create_index(
        op.f("ix_station_cameras_analytics_lease_until"),
        "station_cameras",
        ["analytics_lease_until"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_station_cameras_analytics_lease_until"), table_name="station_cameras")
    op.drop_column("station_cameras", "analytics_lease_until")
    op.drop_column("station_cameras", "analytics_leased_by")
