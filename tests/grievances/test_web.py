"""Complaints through HTTP: citizen form, tracking and feedback; walk-in; officer pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob
from nigrani.grievances.models import Complaint
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.accounts.test_otp import deliver, last_code, request_code, submit_code
from tests.grievances.factories import MOBILE, TEXT, make_complaint


def _citizen_login(client: TestClient, db: Session, mobile: str) -> None:
    status, _ = request_code(client, mobile)
    assert status == 200
    deliver(client)  # with any complaint SMS still queued; the code is the last message
    assert submit_code(client, mobile, last_code(db)) == 303


def test_citizen_files_tracks_and_reopens(
    client: TestClient, other_client: TestClient, db: Session
) -> None:
    make_tree(db)
    _citizen_login(client, db, MOBILE)
    token = csrf_from(client, "/citizen/complaints/new")
    reply = client.post(
        "/citizen/complaints",
        data={
            "category": "theft",
            "text": TEXT,
            "lat": "26.47",
            "lon": "80.27",
            "csrf_token": token,
        },
        files={"attachment": ("photo.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    number = reply.headers["location"].rsplit("/", 1)[1].removesuffix("?filed=1")
    complaint = db.scalars(select(Complaint).where(Complaint.number == number)).one()
    assert complaint.mobile_verified and complaint.channel == "web"
    assert complaint.status == "assigned"
    page = client.get(f"/citizen/complaints/{number}").text
    assert number in page and "Assigned to station" in page
    # A different number cannot track it.
    _citizen_login(other_client, db, "+919812345678")
    assert other_client.get(f"/citizen/complaints/{number}").status_code == 404


def test_bad_citizen_form_says_why_and_stores_nothing(client: TestClient, db: Session) -> None:
    make_tree(db)
    _citizen_login(client, db, MOBILE)
    token = csrf_from(client, "/citizen/complaints/new")
    before = len(db.scalars(select(Complaint)).all())
    reply = client.post(
        "/citizen/complaints", data={"category": "theft", "text": "short", "csrf_token": token}
    )
    assert reply.status_code == 422 and "at least 10 characters" in reply.text
    assert len(db.scalars(select(Complaint)).all()) == before


def test_sho_works_a_complaint_to_closure_and_citizen_feedback_reopens(
    client: TestClient, other_client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    sho = make_staff(db, Role.SHO, "S1")
    complaint = make_complaint(db, settings)
    login(client, sho.username or "")
    queue = client.get("/grievances").text
    assert complaint.number in queue
    token = csrf_from(client, f"/grievances/{complaint.id}")
    for to in ("acknowledged", "investigating"):
        r = client.post(
            f"/grievances/{complaint.id}/step",
            data={"to": to, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
    r = client.post(
        f"/grievances/{complaint.id}/close",
        data={
            "resolution": "resolved",
            "message": "Phone found and returned.",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(complaint)
    assert complaint.status == "closed"
    _citizen_login(other_client, db, MOBILE)
    ctoken = csrf_from(other_client, f"/citizen/complaints/{complaint.number}")
    r = other_client.post(
        f"/citizen/complaints/{complaint.number}/feedback",
        data={"satisfied": "false", "comment": "Not mine", "csrf_token": ctoken},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(complaint)
    assert complaint.status == "acknowledged" and complaint.reopen_count == 1
    dash = client.get("/grievances/dashboard").text
    assert "Median hours to close" in dash
    csv = client.get("/grievances/export.csv").text
    assert complaint.number in csv and MOBILE not in csv


def test_officers_outside_the_station_do_not_see_it(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    other = make_staff(db, Role.SHO, "S2")
    complaint = make_complaint(db, settings)
    login(client, other.username or "")
    assert client.get(f"/grievances/{complaint.id}").status_code == 404
    assert complaint.number not in client.get("/grievances").text


def test_walk_in_records_the_visit_and_texts_the_number(client: TestClient, db: Session) -> None:
    make_tree(db)
    staff = make_staff(db, Role.STATION_STAFF, "S1")
    login(client, staff.username or "")
    token = csrf_from(client, "/grievances/walk-in")
    r = client.post(
        "/grievances/walk-in",
        data={
            "category": "cyber_fraud",
            "text": "Money taken from my account by a fake call.",
            "mobile": "98765 43210",
            "visited_at": "2026-11-30T10:15",
            "station_code": "S1",
            "language": "hi",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    complaint = db.get(Complaint, int(r.headers["location"].rsplit("/", 1)[1]))
    assert complaint is not None and complaint.channel == "walk_in"
    assert (complaint.received_at.hour, complaint.received_at.minute) == (4, 45)
    assert not complaint.mobile_verified
    jobs = db.scalars(select(OutboxJob).where(OutboxJob.kind == "sms")).all()
    assert any(complaint.number in j.payload and "दर्ज" in j.payload for j in jobs)


def test_bulk_assign_gives_many_to_one_officer(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    sho = make_staff(db, Role.SHO, "S1")
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    first, second = make_complaint(db, settings), make_complaint(db, settings)
    login(client, sho.username or "")
    token = csrf_from(client, "/grievances")
    r = client.post(
        "/grievances/bulk-assign",
        data={
            "officer_id": str(io.id),
            "complaint_ids": [str(first.id), str(second.id)],
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.refresh(first)
    db.refresh(second)
    assert first.assigned_to == second.assigned_to == io.id
    assert re.search(first.number, client.get(f"/grievances?officer={io.id}").text)
