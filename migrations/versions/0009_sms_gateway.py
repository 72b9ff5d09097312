"""sms gateway: template, DLT id, provider message id and delivery state on sms_log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("dlt_template_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=100), nullable=True))
        # Rows from before this revision were all written by the log backend: "sent".
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="sent")
        )
        batch_op.add_column(
            sa.Column("status_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sms_log_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_log_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_log_status"))
        batch_op.drop_index(batch_op.f("ix_sms_log_provider_id"))
        batch_op.drop_column("error")
        batch_op.drop_column("status_at")
        batch_op.drop_column("status")
        batch_op.drop_column("provider_id")
        batch_op.drop_column("dlt_template_id")
        batch_op.drop_column("template")
