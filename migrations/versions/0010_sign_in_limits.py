"""sign-in limits: auth_throttles (per client address, account name and second factor),
the TOTP tries of a pending login, and a new TOTP secret waiting for its confirming code

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_throttles",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttles")),
    )
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_throttles_last_at"), ["last_at"], unique=False)
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_attempts", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_pending_enc", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("totp_pending_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_pending_at")
        batch_op.drop_column("totp_pending_enc")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("totp_attempts")
    with op.batch_alter_table("auth_throttles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_throttles_last_at"))
    op.drop_table("auth_throttles")
