"""shorter name masks: the first letter and a fixed '***', so no length shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Masks written before this revision kept every word's initial and length ("R***** K****").
# The new mask needs only the first character, which the old one holds: no key is needed.
_TABLES = (("camera_sites", "owner_name_masked"), ("complaints", "name_masked"))


def upgrade() -> None:
    for name, column_name in _TABLES:
        column = sa.column(column_name, sa.String)
        table = sa.table(name, column)
        first = sa.func.substr(column, 1, 1)
        op.execute(
            table.update()
            .where(column.is_not(None), column != "")
            .values({column_name: first.concat("***")})
        )


def downgrade() -> None:
    pass  # the lengths are gone, as intended
