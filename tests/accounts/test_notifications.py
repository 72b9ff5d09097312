"""In-app notifications, from the services where each event happens: who is told, once.

Each event kind (complaint routed, transferred or given to an officer; overdue and each
rung of its escalation; footage received; a station camera stopped recording) tells the
right people in the event's own transaction, and telling the same event again (a retried
event, a repeated sweep) tells no one twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.models import User
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.canvass import footage, uploads
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.i18n import current_language
from nigrani.grievances import notices, sla, workflow
from nigrani.grievances.schemas import TransferCreate
from nigrani.stations.recorder.journal import (
    STOPPED_REASON,
    GapClosed,
    GapOpened,
    close_gaps,
    open_gap,
)
from tests.accounts.factories import make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.conftest import Freeze
from tests.grievances.factories import MOBILE, make_complaint
from tests.stations.station_fixtures import make_camera

MOMENT = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)


def _told(db: Session, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(username, kind, link) of every notification, in a stable order."""
    stmt = select(User.username, Notification.kind, Notification.link).join(
        User, User.id == Notification.user_id
    )
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return sorted((str(u), k, link) for u, k, link in db.execute(stmt))


@pytest.fixture()
def staff(db: Session) -> dict[str, User]:
    """The tree, and people at S1 (and its post), S2, C1, C2 and Z1."""
    make_tree(db)
    people = {
        "sho1": (Role.SHO, "S1"),
        "staff1": (Role.STATION_STAFF, "S1"),
        "post1": (Role.STATION_STAFF, "P1"),
        "io1": (Role.INVESTIGATING_OFFICER, "S1"),
        "sho2": (Role.SHO, "S2"),
        "acp1": (Role.ACP, "C1"),
        "acp2": (Role.ACP, "C2"),
        "dcp1": (Role.DCP, "Z1"),
    }
    return {name: make_staff(db, role, node, name) for name, (role, node) in people.items()}


def test_a_complaint_routed_to_a_station_tells_its_sho_and_staff_once(
    db: Session, settings: Settings, staff: dict[str, User], freeze: Freeze
) -> None:
    moment = freeze(MOMENT).now()
    complaint = make_complaint(db, settings)
    link = f"/grievances/{complaint.id}"
    assert _told(db) == [
        ("post1", notifications.ASSIGNED, link),
        ("sho1", notifications.ASSIGNED, link),
        ("staff1", notifications.ASSIGNED, link),
    ]
    [row] = db.scalars(select(Notification).where(Notification.user_id == staff["sho1"].id))
    assert row.values == {"number": complaint.number, "to": "station"}
    assert row.read_at is None and row.created_at == moment
    # The same routing told again (a retried event): nobody is told twice.
    station = complaint.station
    assert station is not None
    assert notices.station_assigned(db, complaint=complaint, station=station) == 0
    assert len(_told(db)) == 3


@pytest.mark.usefixtures("staff")
def test_a_complaint_with_no_station_tells_nobody_until_it_is_moved(
    db: Session, settings: Settings
) -> None:
    complaint = make_complaint(db, settings, lat=None, lon=None)  # triage: no station
    assert _told(db) == []
    workflow.transfer(
        db,
        settings=settings,
        complaint=complaint,
        data=TransferCreate(station_code="S2", reason="The shop is in S2's area."),
        actor=audit.SYSTEM,
    )
    assert _told(db) == [("sho2", notifications.ASSIGNED, f"/grievances/{complaint.id}")]


@pytest.mark.usefixtures("staff")
def test_a_transfer_tells_the_new_station_and_each_transfer_is_its_own_event(
    db: Session, settings: Settings
) -> None:
    complaint = make_complaint(db, settings)
    moves = [("S2", "The shop is in S2's area."), ("S1", "Sent back: it is S1's.")]
    for code, reason in moves:
        data = TransferCreate(station_code=code, reason=reason)
        workflow.transfer(db, settings=settings, complaint=complaint, data=data, actor=audit.SYSTEM)
    told = [u for u, _k, _l in _told(db)]
    # S1 twice (routed, then sent back), S2 once.
    assert sorted(told) == sorted(["sho1", "staff1", "post1"] * 2 + ["sho2"])


def test_a_complaint_given_to_an_officer_tells_that_officer(
    db: Session, settings: Settings, staff: dict[str, User]
) -> None:
    complaint = make_complaint(db, settings)
    io = staff["io1"]
    workflow.assign_officer(db, complaint=complaint, officer_id=io.id, actor=audit.SYSTEM)
    assert (
        _told(db, notifications.ASSIGNED).count(
            ("io1", notifications.ASSIGNED, f"/grievances/{complaint.id}")
        )
        == 1
    )
    [row] = db.scalars(select(Notification).where(Notification.user_id == io.id))
    assert row.values["to"] == "officer"
    assert notices.officer_assigned(db, complaint=complaint, officer=io) == 0  # retried


@pytest.mark.usefixtures("staff")
def test_overdue_then_each_rung_tells_the_sho_and_the_officer_it_reached(
    db: Session, settings: Settings
) -> None:
    complaint = make_complaint(db, settings)  # theft: 72 hours
    link = f"/grievances/{complaint.id}"
    assert sla.escalate_overdue(db, now=complaint.due_at) == 1
    assert _told(db, notifications.OVERDUE) == [("sho1", notifications.OVERDUE, link)]
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=36)) == 1
    assert _told(db, notifications.ESCALATED) == [
        ("acp1", notifications.ESCALATED, link),
        ("sho1", notifications.ESCALATED, link),
    ]
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=72)) == 1
    assert [u for u, _k, _l in _told(db, notifications.ESCALATED)] == [
        "acp1",
        "dcp1",
        "sho1",
        "sho1",
    ]
    # A repeated sweep and a retried rung tell nobody again.
    before = len(_told(db))
    assert sla.escalate_overdue(db, now=complaint.due_at + timedelta(hours=72)) == 0
    node = sla.target_node(db, complaint, 3)
    assert notices.escalated(db, complaint=complaint, level=3, node=node) == 0
    assert len(_told(db)) == before


@pytest.mark.usefixtures("staff")
def test_a_reopened_complaint_overdue_again_is_told_again(db: Session, settings: Settings) -> None:
    complaint = make_complaint(db, settings)
    node = sla.target_node(db, complaint, 1)
    assert notices.escalated(db, complaint=complaint, level=1, node=node) == 1
    complaint.reopen_count += 1
    assert notices.escalated(db, complaint=complaint, level=1, node=node) == 1


def test_footage_received_tells_the_incidents_officer_once(
    db: Session, settings: Settings, staff: dict[str, User], vtest: Path
) -> None:
    io = staff["io1"]
    incident = make_incident(db, io)
    site = make_site(db, settings)
    asked = footage.send_request(
        db,
        settings=settings,
        incident=incident,
        site=site,
        data=FootageRequestCreate(site_id=site.id),
        user=io,
    )
    data = vtest.read_bytes()
    upload = uploads.create(
        db, settings=settings, request=asked.request, length=len(data), filename="shop.mp4"
    )
    uploads.append(db, settings=settings, upload=upload, offset=0, data=data)
    uploads.finish(db, settings=settings, upload=upload)
    assert _told(db, notifications.FOOTAGE) == [
        ("io1", notifications.FOOTAGE, f"/incidents/{incident.id}")
    ]
    [row] = db.scalars(select(Notification).where(Notification.kind == notifications.FOOTAGE))
    assert row.values == {"number": incident.number, "site": site.id}
    assert row.object_type == "footage_request" and row.object_id == asked.request.id
    assert uploads._tell_officer(db, upload) == 0  # the same upload told again


@pytest.mark.usefixtures("staff")
def test_a_camera_that_stops_recording_tells_its_stations_sho_once_per_outage(
    db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings, name="Lock-up")
    t0 = utcnow()
    open_gap(db, GapOpened(camera.id, t0, "Connection refused"))
    open_gap(db, GapOpened(camera.id, t0 + timedelta(seconds=4), "timed out"))  # same outage
    link = f"/stations/cameras/{camera.id}"
    assert _told(db) == [("sho1", notifications.CAMERA_STOPPED, link)]
    close_gaps(db, GapClosed(camera.id, t0 + timedelta(seconds=9)))
    open_gap(db, GapOpened(camera.id, t0 + timedelta(minutes=5), "Connection refused"))
    assert len(_told(db)) == 2  # a new outage is a new event
    close_gaps(db, GapClosed(camera.id, t0 + timedelta(minutes=6)))
    open_gap(db, GapOpened(camera.id, t0 + timedelta(minutes=7), STOPPED_REASON))
    assert len(_told(db)) == 2  # the recorder's own planned stop is no camera failure


def test_the_text_is_written_when_shown_in_the_readers_language(
    db: Session, settings: Settings, staff: dict[str, User]
) -> None:
    complaint = make_complaint(db, settings)
    [row] = db.scalars(select(Notification).where(Notification.user_id == staff["sho1"].id))
    token = current_language.set("hi")
    try:
        hindi = notifications.text(row)
    finally:
        current_language.reset(token)
    english = notifications.text(row)
    assert english == f"Complaint {complaint.number} was assigned to your station."
    assert complaint.number in hindi and hindi != english and "assigned" not in hindi


@pytest.mark.usefixtures("staff")
def test_a_notification_keeps_no_personal_data(db: Session, settings: Settings) -> None:
    make_complaint(db, settings)
    base = {"kind": notifications.ASSIGNED, "object_type": "complaint", "object_id": 1}
    for params in ({"phone": MOBILE}, {"phone": "9876543210"}, {"name": "x" * 61}):
        with pytest.raises(ValueError, match="parameter"):
            notifications.Event(**base, event="e", link="/grievances/1", params=params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        notifications.Event(
            kind="sms", object_type="complaint", object_id=1, event="e", link="/", params={}
        )
    rows = db.scalars(select(Notification.params)).all()
    assert rows and not any(MOBILE[3:] in p for p in rows)
