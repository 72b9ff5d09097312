"""hearing recordings: the citizen's answer to the recording question, and each recorded
side of a call with its evidence item

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 23:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hearing_ticket") as batch:
        batch.add_column(sa.Column("record_consent", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column("consent_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "hearing_recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=False),
        sa.Column("started_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["hearing_ticket.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["evidence_item_id"], ["evidence_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hearing_recording_ticket_id", "hearing_recording", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_hearing_recording_ticket_id", table_name="hearing_recording")
    op.drop_table("hearing_recording")
    with op.batch_alter_table("hearing_ticket") as batch:
        batch.drop_column("consent_at")
        batch.drop_column("record_consent")
