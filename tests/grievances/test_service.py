"""The service channels build on: create (idempotent), route, number, contact, attach."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.core.outbox import OutboxJob
from nigrani.evidence.store import blob_path
from nigrani.grievances import service, timeline
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import ComplaintCreate
from tests.accounts.factories import make_tree
from tests.grievances.factories import MOBILE, TEXT, make_complaint


def _count(db: Session) -> int:
    return db.scalar(select(func.count(Complaint.id))) or 0


def test_default_categories_are_seeded_in_both_languages(db: Session) -> None:
    found = {c.code: c for c in service.categories(db)}
    assert {"theft", "cyber_fraud", "missing_person", "other"} <= set(found)
    assert found["theft"].name_hi == "चोरी" and found["theft"].sla_hours == 72


def test_a_placed_complaint_goes_to_its_station_with_a_number_and_sla(
    db: Session, settings: Settings
) -> None:
    nodes = make_tree(db)
    complaint = make_complaint(db, settings)
    assert complaint.station_id == nodes["S1"].id and complaint.node_path == nodes["S1"].path
    assert complaint.status == "assigned"
    assert complaint.number == f"C-{complaint.received_at.year}-{complaint.id:06d}"
    assert complaint.due_at - complaint.received_at == timedelta(hours=72)
    assert [e.kind for e in timeline.events(db, complaint)] == ["created", "routed"]
    assert service.get_by_number(db, complaint.number.lower()).id == complaint.id


def test_the_mobile_is_encrypted_hashed_and_masked(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings, mobile="98765 43210")
    assert complaint.phone_masked == "+91 ********10" and complaint.mobile_verified
    assert complaint.phone_enc and MOBILE not in complaint.phone_enc
    assert complaint.phone_hash == service.phone_hash(settings, MOBILE)
    assert complaint.name_masked == "R***"
    sms = db.scalars(select(OutboxJob).where(OutboxJob.kind == "sms")).all()
    assert any(complaint.number in job.payload for job in sms)


def test_no_place_goes_to_a_named_station_or_to_triage(db: Session, settings: Settings) -> None:
    nodes = make_tree(db)
    named = make_complaint(db, settings, lat=None, lon=None, station_code="P1")
    assert named.station_id == nodes["S1"].id
    triage = make_complaint(db, settings, lat=None, lon=None)
    assert triage.station_id is None and triage.node_path == nodes["C"].path
    assert triage.status == "received"


def test_same_channel_reference_twice_is_one_complaint(db: Session, settings: Settings) -> None:
    make_tree(db)
    first = make_complaint(db, settings, channel="whatsapp", external_ref="wamid.1")
    before = _count(db)
    again = make_complaint(db, settings, channel="whatsapp", external_ref="wamid.1", text="x" * 20)
    assert again.id == first.id and again.text == TEXT and _count(db) == before
    other = make_complaint(db, settings, channel="open311", external_ref="wamid.1")
    assert other.id != first.id


def test_walk_in_keeps_the_time_of_the_visit(db: Session, settings: Settings) -> None:
    make_tree(db)
    visit = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    data = ComplaintCreate(category="theft", text=TEXT, mobile=MOBILE, station_code="S2")
    complaint = service.create_complaint(
        db, settings=settings, data=data, channel="walk_in", actor=audit.SYSTEM, received_at=visit
    )
    assert complaint.received_at == visit and complaint.due_at == visit + timedelta(hours=72)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "nope"}, "category"),
        ({"mobile": "12345"}, "mobile"),
        ({"lat": 28.6, "lon": 77.2}, "location"),
        ({"lat": None, "lon": None, "station_code": "Z1"}, "station_code"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    db: Session, settings: Settings, changes: dict[str, Any], field: str
) -> None:
    make_tree(db)
    before = _count(db)
    with pytest.raises(ValidationFailed) as caught:
        make_complaint(db, settings, **changes)
    assert caught.value.field == field and _count(db) == before


def test_unknown_channel_and_number(db: Session, settings: Settings) -> None:
    make_tree(db)
    with pytest.raises(ValidationFailed):
        make_complaint(db, settings, channel="fax")
    with pytest.raises(NotFound):
        service.get_by_number(db, "C-2026-999999")


def test_attachments_go_to_the_evidence_store(db: Session, settings: Settings) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    item = service.add_attachment(
        db,
        settings=settings,
        complaint=complaint,
        stream=io.BytesIO(b"\xff\xd8\xff photo bytes"),
        filename="../../photo.jpg",
        media_type="image/jpeg",
        actor=audit.SYSTEM,
    )
    assert item.kind == "attachment" and item.original_name == "photo.jpg"
    assert item.node_path == complaint.node_path and blob_path(settings, item.sha256).is_file()
    assert service.attachments(db, complaint) == [item]
    assert timeline.events(db, complaint)[-1].kind == "attachment"
