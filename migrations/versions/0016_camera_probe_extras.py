"""camera health: each probed camera may have an HTTP snapshot URL and an ONVIF endpoint
(both encrypted, with a masked copy to show) as extra signals

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("snapshot_url_enc", sa.Text(), None),
    ("snapshot_url_masked", sa.String(length=300), ""),
    ("onvif_enc", sa.Text(), None),
    ("onvif_masked", sa.String(length=300), ""),
)


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch copy): health_targets has foreign keys pointing at it.
    for name, kind, default in _COLUMNS:
        op.add_column(
            "health_targets",
            sa.Column(name, kind, nullable=default is None, server_default=default),
        )


def downgrade() -> None:
    for name, _kind, _default in reversed(_COLUMNS):
        op.drop_column("health_targets", name)
