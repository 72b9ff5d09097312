"""hearings: officers' video-hearing windows with their panels, holidays and leave, each
day's sitting (the row its queue locks), the citizens' tickets and the queue's log

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 08:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nigrani.core.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _windows() -> None:
    op.create_table(
        "hearing_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("tz", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_hearing_window_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_hearing_window_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_window")),
    )
    op.create_index(op.f("ix_hearing_window_owner_id"), "hearing_window", ["owner_id"])
    op.create_table(
        "hearing_window_officer",
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hearing_window_officer_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["hearing_window.id"],
            name=op.f("fk_hearing_window_officer_window_id_hearing_window"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("window_id", "user_id", name=op.f("pk_hearing_window_officer")),
    )
    op.create_index(
        op.f("ix_hearing_window_officer_user_id"), "hearing_window_officer", ["user_id"]
    )
    op.create_table(
        "hearing_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["hearing_window.id"],
            name=op.f("fk_hearing_closure_window_id_hearing_window"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_closure")),
    )
    op.create_index(op.f("ix_hearing_closure_day"), "hearing_closure", ["day"])
    op.create_index(op.f("ix_hearing_closure_window_id"), "hearing_closure", ["window_id"])
    op.create_table(
        "hearing_officer_leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hearing_officer_leave_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_officer_leave")),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_hearing_officer_leave_user_id")),
    )
    op.create_index(op.f("ix_hearing_officer_leave_user_id"), "hearing_officer_leave", ["user_id"])


def _sittings() -> None:
    op.create_table(
        "hearing_sitting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("officers", sa.Text(), nullable=False),
        sa.Column("created_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["hearing_window.id"],
            name=op.f("fk_hearing_sitting_window_id_hearing_window"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_sitting")),
        sa.UniqueConstraint("window_id", "day", name=op.f("uq_hearing_sitting_window_id")),
    )
    op.create_index(op.f("ix_hearing_sitting_day"), "hearing_sitting", ["day"])


def _tickets() -> None:
    moment = nigrani.core.db.UTCDateTime(timezone=True)
    op.create_table(
        "hearing_ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("standby", sa.Boolean(), nullable=False),
        sa.Column("due", moment, nullable=False),
        sa.Column("place", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("jumped", sa.Integer(), nullable=False),
        sa.Column("rejoins", sa.Integer(), nullable=False),
        sa.Column("joined_at", moment, nullable=False),
        sa.Column("checked_in_at", moment, nullable=True),
        sa.Column("called_at", moment, nullable=True),
        sa.Column("answered_at", moment, nullable=True),
        sa.Column("ended_at", moment, nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=False),
        sa.Column("outcome_complaint_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", nigrani.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["users.id"], name=op.f("fk_hearing_ticket_citizen_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_hearing_ticket_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_hearing_ticket_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_complaint_id"],
            ["complaints.id"],
            name=op.f("fk_hearing_ticket_outcome_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["hearing_sitting.id"],
            name=op.f("fk_hearing_ticket_sitting_id_hearing_sitting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_ticket")),
        sa.UniqueConstraint("sitting_id", "number", name=op.f("uq_hearing_ticket_sitting_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_hearing_ticket_token_hash")),
    )
    op.create_index(op.f("ix_hearing_ticket_citizen_id"), "hearing_ticket", ["citizen_id"])
    op.create_index(op.f("ix_hearing_ticket_sitting_id"), "hearing_ticket", ["sitting_id"])
    op.create_index(op.f("ix_hearing_ticket_state"), "hearing_ticket", ["state"])
    op.create_table(
        "hearing_queue_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("at", moment, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("passed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_hearing_queue_event_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["hearing_sitting.id"],
            name=op.f("fk_hearing_queue_event_sitting_id_hearing_sitting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["hearing_ticket.id"],
            name=op.f("fk_hearing_queue_event_ticket_id_hearing_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_queue_event")),
    )
    op.create_index(
        op.f("ix_hearing_queue_event_sitting_id"), "hearing_queue_event", ["sitting_id"]
    )
    op.create_index(op.f("ix_hearing_queue_event_ticket_id"), "hearing_queue_event", ["ticket_id"])


def upgrade() -> None:
    _windows()
    _sittings()
    _tickets()


def downgrade() -> None:
    # Each table's indexes go with it.
    for table in (
        "hearing_queue_event",
        "hearing_ticket",
        "hearing_sitting",
        "hearing_officer_leave",
        "hearing_closure",
        "hearing_window_officer",
        "hearing_window",
    ):
        op.drop_table(table)
