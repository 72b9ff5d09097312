"""grievance channels: WhatsApp messages and conversations, Open311 requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = nigrani.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("wa_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload_enc", sa.Text(), nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_inbound")),
        sa.UniqueConstraint("message_id", name=op.f("uq_whatsapp_inbound_message_id")),
    )
    op.create_index(op.f("ix_whatsapp_inbound_wa_hash"), "whatsapp_inbound", ["wa_hash"])
    op.create_index(op.f("ix_whatsapp_inbound_received_at"), "whatsapp_inbound", ["received_at"])
    op.create_table(
        "whatsapp_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wa_hash", sa.String(length=64), nullable=False),
        sa.Column("wa_enc", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("draft_enc", sa.Text(), nullable=True),
        sa.Column("last_complaint_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["last_complaint_id"],
            ["complaints.id"],
            name=op.f("fk_whatsapp_conversations_last_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_conversations")),
        sa.UniqueConstraint("wa_hash", name=op.f("uq_whatsapp_conversations_wa_hash")),
    )
    op.create_table(
        "whatsapp_outbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("wamid", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("status_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["whatsapp_conversations.id"],
            name=op.f("fk_whatsapp_outbound_conversation_id_whatsapp_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_outbound")),
        sa.UniqueConstraint("wamid", name=op.f("uq_whatsapp_outbound_wamid")),
    )
    op.create_index(
        op.f("ix_whatsapp_outbound_conversation_id"), "whatsapp_outbound", ["conversation_id"]
    )
    op.create_table(
        "open311_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("api_token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_open311_requests_api_token_id_api_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_open311_requests_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_requests")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_open311_requests_complaint_id")),
        sa.UniqueConstraint("token", name=op.f("uq_open311_requests_token")),
    )
    op.create_index(op.f("ix_open311_requests_api_token_id"), "open311_requests", ["api_token_id"])


def downgrade() -> None:
    op.drop_table("open311_requests")
    op.drop_table("whatsapp_outbound")
    op.drop_table("whatsapp_conversations")
    op.drop_table("whatsapp_inbound")
