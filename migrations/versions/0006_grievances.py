"""grievances: categories (seeded), complaints, timeline, attachments, feedback

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:29:07.143603
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# code, English, Hindi, SLA hours: the defaults a city edits to its own rules.
CATEGORIES = [
    ("missing_person", "Missing person", "गुमशुदा व्यक्ति", 12),
    ("women_safety", "Harassment of women", "महिलाओं का उत्पीड़न", 24),
    ("domestic_violence", "Domestic violence", "घरेलू हिंसा", 24),
    ("theft", "Theft", "चोरी", 72),
    ("cyber_fraud", "Cyber or online fraud", "साइबर या ऑनलाइन धोखाधड़ी", 48),
    ("threat", "Threat or assault", "धमकी या मारपीट", 24),
    ("land_dispute", "Land or property dispute", "ज़मीन या संपत्ति विवाद", 168),
    ("nuisance", "Noise or public nuisance", "शोर या सार्वजनिक उपद्रव", 48),
    ("traffic", "Traffic and parking", "यातायात और पार्किंग", 72),
    ("police_conduct", "Police misconduct or inaction", "पुलिस का दुर्व्यवहार या निष्क्रियता", 72),
    ("other", "Other", "अन्य", 120),
]


def _seed_categories() -> None:
    table = sa.table(
        "grievance_categories",
        sa.column("code", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_hi", sa.String),
        sa.column("sla_hours", sa.Integer),
        sa.column("sort_order", sa.Integer),
        sa.column("is_active", sa.Boolean),
    )
    rows = [
        {
            "code": c,
            "name_en": en,
            "name_hi": hi,
            "sla_hours": h,
            "sort_order": i,
            "is_active": True,
        }
        for i, (c, en, hi, h) in enumerate(CATEGORIES)
    ]
    op.bulk_insert(table, rows)


def upgrade() -> None:
    op.create_table(
        "grievance_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_hi", sa.String(length=120), nullable=False),
        sa.Column("sla_hours", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grievance_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_grievance_categories_code")),
    )
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("name_masked", sa.String(length=120), nullable=True),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("mobile_verified", sa.Boolean(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("node_path", sa.String(length=400), nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("received_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_complaints_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["grievance_categories.code"],
            name=op.f("fk_complaints_category_code_grievance_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_complaints_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["complaints.id"],
            name=op.f("fk_complaints_duplicate_of_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdiction_nodes.id"],
            name=op.f("fk_complaints_station_id_jurisdiction_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("channel", "external_ref", name=op.f("uq_complaints_channel")),
        sa.UniqueConstraint("number", name=op.f("uq_complaints_number")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_assigned_to"), ["assigned_to"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_category_code"), ["category_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_node_path"), ["node_path"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_phone_hash"), ["phone_hash"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_received_at"), ["received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_status"), ["status"], unique=False)

    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_complaint_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_events_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_feedback_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_feedback")),
    )
    with op.batch_alter_table("complaint_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_feedback_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=False),
        sa.Column("added_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_attachments_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_items.id"],
            name=op.f("fk_complaint_attachments_evidence_item_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachments")),
    )
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_attachments_complaint_id"), ["complaint_id"], unique=False
        )

    _seed_categories()


def downgrade() -> None:
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_attachments_complaint_id"))

    op.drop_table("complaint_attachments")
    with op.batch_alter_table("complaint_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_feedback_complaint_id"))

    op.drop_table("complaint_feedback")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_events_complaint_id"))

    op.drop_table("complaint_events")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_status"))
        batch_op.drop_index(batch_op.f("ix_complaints_station_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_received_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_complaints_node_path"))
        batch_op.drop_index(batch_op.f("ix_complaints_due_at"))
        batch_op.drop_index(batch_op.f("ix_complaints_channel"))
        batch_op.drop_index(batch_op.f("ix_complaints_category_code"))
        batch_op.drop_index(batch_op.f("ix_complaints_assigned_to"))

    op.drop_table("complaints")
    op.drop_table("grievance_categories")
