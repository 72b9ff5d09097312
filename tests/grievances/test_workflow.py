"""The workflow: steps in order, closure, transfer, officers, replies, feedback and reopen."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.outbox import OutboxJob
from nigrani.grievances import timeline, workflow
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import CloseCreate, FeedbackCreate, TransferCreate
from tests.accounts.factories import make_staff, make_tree
from tests.grievances.factories import make_complaint

SHO = audit.Actor(None, "SHO S1")


def _sms_count(db: Session) -> int:
    return len(db.scalars(select(OutboxJob).where(OutboxJob.kind == "sms")).all())


def _close(db: Session, settings: Settings, complaint: Complaint, **kw: str) -> None:
    data = CloseCreate(**{"resolution": "resolved", "message": "Phone recovered.", **kw})
    workflow.close(db, settings=settings, complaint=complaint, data=data, actor=SHO)


def test_steps_in_order_each_on_the_timeline_and_by_sms(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    sent = _sms_count(db)
    for step in ("acknowledged", "investigating", "action_taken"):
        workflow.advance(db, settings=settings, complaint=complaint, to=step, actor=SHO)
    _close(db, settings, complaint)
    assert complaint.status == "closed" and complaint.resolution == "resolved"
    assert complaint.acknowledged_at and complaint.closed_at
    changes = [(e.from_status, e.to_status) for e in timeline.events(db, complaint) if e.to_status]
    assert changes[-4:] == [
        ("assigned", "acknowledged"),
        ("acknowledged", "investigating"),
        ("investigating", "action_taken"),
        ("action_taken", "closed"),
    ]
    assert _sms_count(db) == sent + 4


def test_steps_out_of_order_are_refused(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    with pytest.raises(Conflict):
        workflow.advance(db, settings=settings, complaint=complaint, to="investigating", actor=SHO)
    _close(db, settings, complaint, resolution="not_ours", message="Civil matter, see court.")
    with pytest.raises(Conflict):
        workflow.advance(db, settings=settings, complaint=complaint, to="acknowledged", actor=SHO)
    assert complaint.status == "closed"


def test_duplicate_closure_names_the_original(db: Session, settings: Settings) -> None:
    make_tree(db)
    first, second = make_complaint(db, settings), make_complaint(db, settings)
    with pytest.raises(ValidationFailed):
        _close(db, settings, second, resolution="duplicate", duplicate_of=second.number)
    _close(db, settings, second, resolution="duplicate", duplicate_of=first.number)
    assert second.duplicate_of_id == first.id


def test_transfer_moves_the_complaint_with_the_reason(db: Session, settings: Settings) -> None:
    nodes = make_tree(db)
    complaint = make_complaint(db, settings)
    workflow.advance(db, settings=settings, complaint=complaint, to="acknowledged", actor=SHO)
    data = TransferCreate(station_code="S3", reason="The shop is across the river, in S3.")
    workflow.transfer(db, settings=settings, complaint=complaint, data=data, actor=SHO)
    assert complaint.node_path == nodes["S3"].path and complaint.status == "assigned"
    hop = timeline.events(db, complaint)[-1]
    assert hop.kind == "transfer" and "river" in hop.body and '"to": "S3"' in hop.detail
    with pytest.raises(ValidationFailed):
        workflow.transfer(db, settings=settings, complaint=complaint, data=data, actor=SHO)


def test_officers_of_the_station_only(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "P1")
    stranger = make_staff(db, Role.INVESTIGATING_OFFICER, "S2")
    workflow.assign_officer(db, complaint=complaint, officer_id=io.id, actor=SHO)
    assert complaint.assigned_to == io.id
    with pytest.raises(ValidationFailed):
        workflow.assign_officer(db, complaint=complaint, officer_id=stranger.id, actor=SHO)


def test_replies_are_public_notes_are_not(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    workflow.reply(db, settings=settings, complaint=complaint, actor=SHO, text="Come at 11.")
    from nigrani.grievances import service

    service.add_note(db, complaint=complaint, actor=SHO, body="Suspect known to beat staff")
    public = [e.body for e in timeline.events(db, complaint, public_only=True)]
    assert "Come at 11." in public and "Suspect known to beat staff" not in public


def test_dissatisfied_feedback_reopens_once_per_closure(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    with pytest.raises(Conflict):
        workflow.give_feedback(
            db,
            settings=settings,
            complaint=complaint,
            data=FeedbackCreate(satisfied=True),
            actor=SHO,
        )
    _close(db, settings, complaint)
    bad = FeedbackCreate(satisfied=False, comment="Nobody called me.")
    workflow.give_feedback(db, settings=settings, complaint=complaint, data=bad, actor=SHO)
    assert complaint.status == "acknowledged" and complaint.reopen_count == 1
    assert complaint.closed_at is None and complaint.resolution is None
    _close(db, settings, complaint)
    good = FeedbackCreate(satisfied=True)
    workflow.give_feedback(db, settings=settings, complaint=complaint, data=good, actor=SHO)
    assert complaint.status == "closed"
    with pytest.raises(Conflict):
        workflow.give_feedback(db, settings=settings, complaint=complaint, data=good, actor=SHO)
