"""SLA escalation: one rung at the deadline, one more each half-SLA, each through the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob
from nigrani.grievances import duplicates, sla
from nigrani.grievances.sla import JOB_KIND
from tests.accounts.factories import make_tree
from tests.grievances.factories import make_complaint


def test_overdue_complaints_climb_station_acp_dcp(db: Session, settings: Settings) -> None:
    nodes = make_tree(db)
    complaint = make_complaint(db, settings)  # theft: 72 hours
    assert sla.escalate_overdue(db, now=complaint.due_at - timedelta(minutes=1)) == 0
    assert sla.escalate_overdue(db, now=complaint.due_at) == 1
    assert complaint.escalation_level == 1
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=1)) == 0
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=36)) == 1
    assert sla.target_node(db, complaint, 2).id == nodes["C1"].id
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=72)) == 1
    assert sla.target_node(db, complaint, 3).id == nodes["Z1"].id
    jobs = db.scalars(select(OutboxJob).where(OutboxJob.kind == JOB_KIND)).all()
    assert len(jobs) == 3


def test_duplicates_same_mobile_close_place_similar_words(db: Session, settings: Settings) -> None:
    make_tree(db)
    first = make_complaint(db, settings)
    again = make_complaint(db, settings, text=first.text + " Please help.")
    far = make_complaint(db, settings, lat=26.59, lon=80.39)
    other = make_complaint(db, settings, text="Loud music every night from the wedding hall.")
    found = duplicates.suggest(db, again)
    assert first in found and far not in found and other not in found
