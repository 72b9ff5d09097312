"""spatial index for the canvass (filled in by the spatial work)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:10:00.000000
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
