"""analytics event clips and level traces: whether an event's clip is being cut, was cut or
had no recording, and a raised voice's room level around the event

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("analytics_events", sa.Column("clip_state", sa.String(length=16), nullable=True))
    op.add_column("analytics_events", sa.Column("trace_json", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("analytics_events", "trace_json")
    op.drop_column("analytics_events", "clip_state")
