"""Video hearings through HTTP: booking and joining, the waiting room's link (only its
owner's, not after the day), the officers' console drawing from one line, no-shows,
cancelling, and every hearing ending in a numbered complaint."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob
from nigrani.core.security import sha256_hex
from nigrani.core.sms.models import SmsMessage
from nigrani.core.web_context import LANG_COOKIE
from nigrani.grievances.models import Complaint
from nigrani.hearings import hours, notices
from nigrani.hearings.models import HearingQueueEvent, HearingTicket
from nigrani.hearings.schemas import WindowCreate
from nigrani.hearings.tasks import remind_due
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.accounts.test_otp import deliver, sign_in_citizen
from tests.conftest import Freeze

DAY = date(2031, 3, 4)  # a Tuesday
OPEN = datetime(2031, 3, 4, 6, 20, tzinfo=UTC)  # 11:50 IST: the queue is open
BEFORE = datetime(2031, 3, 3, 4, 30, tzinfo=UTC)  # the day before, 10:00 IST
MOBILES = ("9876500001", "9876500002", "9876500003")


@pytest.fixture()
def officers(db: Session) -> tuple[User, User]:
    make_tree(db)
    dcp = make_staff(db, Role.DCP, "Z1")
    acp = make_staff(db, Role.ACP, "C1")
    data = WindowCreate(
        weekdays=[0, 1, 2, 3, 4], starts=time(12), ends=time(14), slot_minutes=10, panel=[acp.id]
    )
    hours.publish_window(db, data=data, owner=dcp, actor=dcp, now=BEFORE)
    db.commit()
    return dcp, acp


def _window_id(db: Session) -> int:
    return hours.all_windows(db)[0].id


def _place(
    client: TestClient, db: Session, slot: str, topic: str = "Noise from a shop at night"
) -> str:
    token = csrf_from(client, "/hearings")
    answer = client.post(
        "/hearings/places",
        data={
            "csrf_token": token,
            "window_id": str(_window_id(db)),
            "day": DAY.isoformat(),
            "slot": slot,
            "topic": topic,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    deliver(client)  # the link's SMS goes out (so the next sign-in counts only its code)
    return str(answer.headers["location"])


def _post(client: TestClient, path: str, **form: str) -> int:
    token = csrf_from(client, "/hearings/console")
    answer = client.post(path, data={"csrf_token": token, **form}, follow_redirects=False)
    return int(answer.status_code)


def _tickets(db: Session) -> list[HearingTicket]:
    db.expire_all()
    return list(db.scalars(select(HearingTicket).order_by(HearingTicket.number)))


@pytest.mark.usefixtures("officers")
def test_a_citizen_books_a_slot_is_texted_the_link_and_only_they_can_open_it(
    client: TestClient, other_client: TestClient, db: Session, freeze: Freeze
) -> None:
    freeze(BEFORE)
    sign_in_citizen(client, db, MOBILES[0])
    listing = client.get("/hearings")
    assert listing.status_code == 200 and "Test dcp" in listing.text
    form = client.get(f"/hearings/book?window={_window_id(db)}&day={DAY.isoformat()}")
    assert form.status_code == 200 and "12:00" in form.text and "13:50" in form.text
    room = _place(client, db, "3")
    again = _place(client, db, "3")  # a double tap: the same place
    assert room == again and room.startswith("/hearings/t/")
    [ticket] = _tickets(db)
    assert (ticket.state, ticket.slot) == ("booked", 3)
    secret = room.rsplit("/", 1)[1]
    assert secret not in ticket.token_hash and ticket.token_hash == sha256_hex(secret)
    [sms] = db.scalars(select(SmsMessage).where(SmsMessage.template.like("hearing.place%"))).all()
    assert "******" in sms.body and secret not in sms.body  # the link travels, is not kept
    assert client.get(room).status_code == 200
    sign_in_citizen(other_client, db, MOBILES[1])  # someone else holding the link
    refused = other_client.get(room)
    assert refused.status_code == 404 and "not yours" in refused.text
    assert other_client.get(room + "/status").status_code == 404


def test_walk_ins_wait_in_order_and_two_officers_call_two_different_citizens(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    freeze(OPEN)
    rooms = []
    for mobile in MOBILES:
        client.cookies.clear()
        sign_in_citizen(client, db, mobile)
        rooms.append((mobile, _place(client, db, "now")))
    status = client.get(rooms[2][1] + "/status").json()
    assert status["state"] == "waiting" and status["position"] == 3
    assert re.fullmatch(r"\d\d:\d\d", status["eta_from"]) and status["eta_text"]
    dcp, acp = officers
    client.cookies.clear()
    assert login(client, dcp.username or "").status_code == 303
    assert login(other_client, acp.username or "").status_code == 303
    sitting = _tickets(db)[0].sitting_id
    assert _post(client, f"/hearings/console/{sitting}/next") == 303
    assert _post(other_client, f"/hearings/console/{sitting}/next") == 303
    first, second, third = _tickets(db)
    assert (first.state, first.officer_id) == ("called", dcp.id)
    assert (second.state, second.officer_id) == ("called", acp.id)
    assert third.state == "waiting" and third.place == 1
    assert _post(client, f"/hearings/console/{sitting}/next") == 409  # finish the call first
    page = client.get(f"/hearings/console?sitting={sitting}")
    assert page.status_code == 200 and "Number 1" in page.text
    told = db.scalars(
        select(Notification.user_id).where(Notification.kind == "hearing.waiting")
    ).all()
    assert sorted(told) == sorted([dcp.id, acp.id])  # once each, for three walk-ins
    listed = client.get("/notifications")
    assert "Citizens are waiting in your video hearing" in listed.text


def test_a_no_show_is_skipped_after_the_grace_and_may_rejoin_behind_the_head(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    clock = freeze(OPEN)
    rooms = []
    for mobile in MOBILES:
        other_client.cookies.clear()
        sign_in_citizen(other_client, db, mobile)
        rooms.append(_place(other_client, db, "now"))
    dcp, _acp = officers
    assert login(client, dcp.username or "").status_code == 303
    sitting = _tickets(db)[0].sitting_id
    assert _post(client, f"/hearings/console/{sitting}/next") == 303
    first = _tickets(db)[0]
    assert _post(client, f"/hearings/tickets/{first.id}/skip") == 409  # the grace is not over
    clock.advance(timedelta(minutes=2, seconds=1))
    assert _post(client, f"/hearings/tickets/{first.id}/skip") == 303
    assert _tickets(db)[0].state == "no_show"
    other_client.cookies.clear()
    sign_in_citizen(other_client, db, MOBILES[0])
    room = other_client.get(rooms[0])
    assert "Rejoin the queue" in room.text
    token = csrf_from(other_client, rooms[0])
    rejoined = other_client.post(rooms[0] + "/rejoin", data={"csrf_token": token})
    assert rejoined.status_code == 200
    first = _tickets(db)[0]
    assert (first.state, first.place, first.rejoins) == ("waiting", 3, 1)  # behind the others
    kinds = db.scalars(select(HearingQueueEvent.kind).order_by(HearingQueueEvent.id)).all()
    assert kinds[-3:] == ["called", "no_show", "rejoined"]


def test_calling_out_of_turn_needs_a_reason_and_is_logged_and_audited(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    freeze(OPEN)
    for mobile in MOBILES:
        other_client.cookies.clear()
        sign_in_citizen(other_client, db, mobile)
        _place(other_client, db, "now")
    dcp, _acp = officers
    assert login(client, dcp.username or "").status_code == 303
    third = _tickets(db)[2]
    assert _post(client, f"/hearings/tickets/{third.id}/call", reason="") == 422
    assert _tickets(db)[2].state == "waiting"  # refused: nothing changed
    assert _post(client, f"/hearings/tickets/{third.id}/call", reason="chest pain") == 303
    event = db.scalars(select(HearingQueueEvent).order_by(HearingQueueEvent.id.desc())).first()
    assert event is not None and event.kind == "called_out_of_order"
    assert event.reason == "chest pain" and len(json.loads(event.passed)) == 2
    audited = db.scalar(
        select(func.count()).where(AuditEntry.action == "hearing.call_out_of_order")
    )
    assert audited == 1


def test_the_hearing_ends_in_a_numbered_complaint_routed_to_the_station_and_the_citizen_is_told(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    freeze(OPEN)
    sign_in_citizen(other_client, db, MOBILES[0])
    room = _place(other_client, db, "now", topic="My phone was stolen near the market")
    dcp, _acp = officers
    assert login(client, dcp.username or "").status_code == 303
    sitting = _tickets(db)[0].sitting_id
    assert _post(client, f"/hearings/console/{sitting}/next") == 303
    ticket = _tickets(db)[0]
    bad = _post(client, f"/hearings/tickets/{ticket.id}/outcome", outcome="complaint", notes="x")
    assert bad == 303 and db.scalar(select(func.count()).select_from(Complaint)) == 0
    form = {"outcome": "complaint", "notes": "Stolen near the market.", "category": "theft",
            "station_code": "S1"}  # fmt: skip
    assert _post(client, f"/hearings/tickets/{ticket.id}/outcome", **form) == 303
    assert _post(client, f"/hearings/tickets/{ticket.id}/outcome", **form) == 303  # sent twice
    [complaint] = db.scalars(select(Complaint)).all()
    assert complaint.channel == "hearing"
    assert complaint.station is not None and complaint.station.code == "S1"
    assert "My phone was stolen" in complaint.text and complaint.due_at > OPEN
    ticket = _tickets(db)[0]
    assert (ticket.state, ticket.outcome) == ("done", "complaint")
    assert ticket.outcome_complaint_id == complaint.id
    deliver(client)
    told = db.scalars(select(SmsMessage.body).where(SmsMessage.template.like("hearing.outcome%")))
    assert [complaint.number in body for body in told] == [True]
    status = other_client.get(room + "/status").json()  # the room shows the summary
    assert (status["state"], status["complaint_number"]) == ("done", complaint.number)


@pytest.mark.usefixtures("officers")
def test_cancelling_frees_the_slot_and_a_link_after_the_day_is_gone(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(BEFORE)
    sign_in_citizen(client, db, MOBILES[0])
    room = _place(client, db, "0")
    token = csrf_from(client, room)
    assert client.post(room + "/cancel", data={"csrf_token": token}).status_code == 200
    assert _tickets(db)[0].state == "cancelled"
    assert client.get(room).status_code == 410
    again = _place(client, db, "0")  # the slot is free again
    assert _tickets(db)[1].slot == 0
    clock.advance(timedelta(days=2))
    client.cookies.clear()
    sign_in_citizen(client, db, MOBILES[0])  # the sign-in of two days ago has lapsed
    gone = client.get(again)
    assert gone.status_code == 410 and "Book another" in gone.text


@pytest.mark.usefixtures("officers")
def test_a_citizen_cannot_hold_the_console_and_an_officer_not_on_the_panel_cannot_call(
    client: TestClient, other_client: TestClient, db: Session, freeze: Freeze
) -> None:
    freeze(OPEN)
    sign_in_citizen(other_client, db, MOBILES[0])
    _place(other_client, db, "now")
    sitting = _tickets(db)[0].sitting_id
    assert other_client.get("/hearings/console").status_code == 403
    sho = make_staff(db, Role.SHO, "S2")
    db.commit()
    assert login(client, sho.username or "").status_code == 303
    assert _post(client, f"/hearings/console/{sitting}/next") == 409
    assert _tickets(db)[0].state == "waiting"


@pytest.mark.usefixtures("officers")
def test_a_booked_citizen_is_reminded_once_with_the_same_link_before_the_slot(
    client: TestClient, db: Session, freeze: Freeze, settings: Settings
) -> None:
    freeze(BEFORE)
    sign_in_citizen(client, db, MOBILES[0])
    room = _place(client, db, "3")  # 12:30 IST on DAY
    secret = room.rsplit("/", 1)[1]
    slot = _tickets(db)[0].due
    assert remind_due(db, settings, now=slot - timedelta(minutes=45)) == 0  # not yet
    assert remind_due(db, settings, now=slot - timedelta(minutes=25)) == 1
    assert remind_due(db, settings, now=slot - timedelta(minutes=20)) == 0  # once
    db.commit()
    deliver(client)
    [kept] = db.scalars(
        select(SmsMessage.body).where(SmsMessage.template.like("hearing.reminder%"))
    ).all()
    assert "******" in kept and secret not in kept
    job = db.scalar(select(SmsMessage.job_id).where(SmsMessage.template.like("hearing.reminder%")))
    sent = db.scalar(select(OutboxJob.payload).where(OutboxJob.id == job))
    assert sent is not None and room in json.loads(sent)["body"]  # the first SMS's link


@pytest.mark.usefixtures("officers")
def test_a_wrong_field_shows_the_form_again_with_what_was_chosen(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    """A topic too short is said beside the form, in the reader's language, and the slot,
    the words and the priority stay as they were; nothing is booked."""
    freeze(BEFORE)
    sign_in_citizen(client, db, MOBILES[0])
    client.cookies.set(LANG_COOKIE, "hi")
    token = csrf_from(client, "/hearings")
    form = {"csrf_token": token, "window_id": str(_window_id(db)), "day": DAY.isoformat(),
            "slot": "4", "topic": "abc", "priority": "elderly"}  # fmt: skip
    refused = client.post("/hearings/places", data=form)
    assert refused.status_code == 422
    assert 'name="topic"' in refused.text  # the form, not an error page
    assert re.search(r'value="4" checked', refused.text)
    assert ">abc</textarea>" in refused.text
    assert re.search(r'value="elderly" selected', refused.text)
    assert "कम से कम 5 अक्षर" in refused.text
    form |= {"topic": "A question for the DCP", "day": "2031-02-30"}
    no_day = client.post("/hearings/places", data=form)
    assert no_day.status_code == 422 and 'name="topic"' in no_day.text
    for day in ("2031-02-30", "someday", "1999-01-01"):  # the slots' page: said, not a 500
        page = client.get("/hearings/book", params={"window": _window_id(db), "day": day})
        assert page.status_code == 422 and "YYYY-MM-DD" in page.text
    assert _tickets(db) == []


def test_a_citizen_holds_at_most_three_places_and_links_only_their_own_complaint(
    client: TestClient, other_client: TestClient, db: Session, officers: tuple[User, User],
    freeze: Freeze, settings: Settings
) -> None:  # fmt: skip
    clock = freeze(BEFORE)
    sign_in_citizen(client, db, MOBILES[0])
    window = _window_id(db)
    for day in ("2031-03-03", "2031-03-04", "2031-03-05"):
        token = csrf_from(client, "/hearings")
        form = {"csrf_token": token, "window_id": str(window), "day": day, "slot": "5",
                "topic": "A question for the DCP"}  # fmt: skip
        assert client.post("/hearings/places", data=form, follow_redirects=False).status_code == 303
    form["day"] = "2031-03-06"
    refused = client.post("/hearings/places", data=form)
    assert refused.status_code == 409 and "3 hearing places" in refused.text
    assert len(_tickets(db)) == 3
    deliver(client)  # the three links' SMS
    # someone else's complaint cannot take the hearing's notes
    sign_in_citizen(other_client, db, MOBILES[1])
    token = csrf_from(other_client, "/citizen/complaints/new")
    filed = other_client.post(
        "/citizen/complaints",
        data={"csrf_token": token, "category": "theft", "text": "My bicycle was stolen here."},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    theirs = db.scalars(select(Complaint)).one()
    clock.advance(datetime(2031, 3, 3, 6, 35, tzinfo=UTC) - BEFORE)  # 12:05 IST on the 3rd
    dcp, _acp = officers
    other_client.cookies.clear()
    assert login(other_client, dcp.username or "").status_code == 303
    first = _tickets(db)[0]
    assert (
        client.get(f"/hearings/t/{notices.link_secret(settings, first.link_key)}").status_code
        == 200
    )
    assert _post(other_client, f"/hearings/console/{first.sitting_id}/next") == 303
    linked = {"outcome": "linked", "notes": "Heard about it.", "complaint_number": theirs.number}
    token = csrf_from(other_client, "/hearings/console")
    answer = other_client.post(
        f"/hearings/tickets/{first.id}/outcome",
        data={"csrf_token": token, **linked},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "complaint_number"
    assert _tickets(db)[0].outcome is None  # refused, nothing kept
