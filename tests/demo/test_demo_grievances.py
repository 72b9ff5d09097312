"""The demo complaints: every status, resolution and channel, mostly in Kotwali, added once."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob
from nigrani.demo.grievances import DEMO_COMPLAINTS, KOTWALI, KOTWALI_POINT, seed_grievances
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.grievances import timeline
from nigrani.grievances.models import CHANNELS, RESOLUTIONS, STATUSES, Complaint


def _seeded(db: Session, settings: Settings) -> list[Complaint]:
    seed_tree(db)
    seed_users(db)
    assert seed_grievances(db, settings) == len(DEMO_COMPLAINTS)
    return list(db.scalars(select(Complaint).order_by(Complaint.id)))


def test_every_status_resolution_and_channel(db: Session, settings: Settings) -> None:
    complaints = _seeded(db, settings)
    assert {c.status for c in complaints} == set(STATUSES)
    assert {c.resolution for c in complaints if c.status == "closed"} == set(RESOLUTIONS)
    assert {c.channel for c in complaints} == set(CHANNELS)
    assert all(c.text.startswith(("Demo:", "डेमो:")) for c in complaints)


def test_reopened_escalated_triage_and_kotwali(db: Session, settings: Settings) -> None:
    complaints = _seeded(db, settings)
    reopened = [c for c in complaints if c.reopen_count]
    assert len(reopened) == 1 and reopened[0].status == "acknowledged"
    kinds = [e.kind for e in timeline.events(db, reopened[0])]
    assert kinds[-2:] == ["feedback", "reopened"]
    escalated = [c for c in complaints if c.escalation_level]
    assert len(escalated) == 1 and escalated[0].escalation_level == 2
    assert escalated[0].due_at < escalated[0].created_at
    triage = [c for c in complaints if c.station_id is None]
    assert len(triage) == 1 and triage[0].status == "received"
    stations = Counter(c.station.code if c.station else "" for c in complaints)
    assert stations[KOTWALI] > len(complaints) // 2
    kotwali = jurisdiction.station_for_point(db, lat=KOTWALI_POINT[0], lon=KOTWALI_POINT[1])
    assert kotwali is not None and kotwali.code == KOTWALI
    duplicate = next(c for c in complaints if c.resolution == "duplicate")
    assert duplicate.duplicate_of_id is not None


def test_numbers_clocks_and_messages_come_from_the_services(
    db: Session, settings: Settings
) -> None:
    complaints = _seeded(db, settings)
    assert all(c.number.startswith("KNP-") for c in complaints)
    for c in complaints:
        if not c.reopen_count:  # a reopened complaint's clock starts again
            assert c.due_at - c.received_at == timedelta(hours=c.category.sla_hours)
    sms = db.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.kind == "sms"))
    assert sms and sms >= len(complaints)


def test_a_second_run_adds_nothing(db: Session, settings: Settings) -> None:
    complaints = _seeded(db, settings)
    assert seed_grievances(db, settings) == 0
    assert db.scalar(select(func.count(Complaint.id))) == len(complaints)


def test_without_the_demo_users_nothing_is_added(db: Session, settings: Settings) -> None:
    seed_tree(db)
    assert seed_grievances(db, settings) == 0


def test_each_sms_is_in_one_language(db: Session, settings: Settings) -> None:
    _seeded(db, settings)
    jobs = db.scalars(select(OutboxJob).where(OutboxJob.kind == "sms"))
    bodies = [json.loads(job.payload)["body"] for job in jobs]
    hindi = [body for body in bodies if body.startswith("निगरानी")]
    english = [body for body in bodies if body.startswith("Nigrani")]
    assert hindi and english and len(hindi) + len(english) == len(bodies)
    assert not [body for body in hindi if re.search(r"\b(Demo|the|your)\b", body)]
    assert not [body for body in english if re.search("[\u0900-\u097f]", body)]
