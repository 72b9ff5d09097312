"""analytics rule overrides: each station's changes to the rules' thresholds (its own and
its zones'), laid over the defaults

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_rule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("rules_json", sa.Text(), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdiction_nodes.id"],
            name=op.f("fk_analytics_rule_overrides_station_id_jurisdiction_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_analytics_rule_overrides_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rule_overrides")),
        sa.UniqueConstraint("station_id", name=op.f("uq_analytics_rule_overrides_station_id")),
    )


def downgrade() -> None:
    op.drop_table("analytics_rule_overrides")
