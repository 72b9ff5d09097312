"""Publishing hearing hours through HTTP: one's own and one's charge's, refused when wrong
(and nothing stored), ending a window, and leave taking an officer off that day's panel."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.hearings import hours
from nigrani.hearings.models import HearingClosure, HearingLeave, HearingWindow
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import Freeze

NOW = datetime(2031, 3, 3, 4, 30, tzinfo=UTC)  # Monday 10:00 IST


@pytest.fixture()
def people(db: Session, freeze: Freeze) -> dict[str, User]:
    freeze(NOW)
    make_tree(db)
    found = {
        "dcp": make_staff(db, Role.DCP, "Z1"),
        "acp": make_staff(db, Role.ACP, "C1"),
        "sho2": make_staff(db, Role.SHO, "S3"),
        "staff": make_staff(db, Role.STATION_STAFF, "S1"),
    }
    db.commit()
    return found


def _publish(client: TestClient, **form: str | list[str]) -> int:
    values: dict[str, str | list[str]] = {
        "weekdays": ["0", "1", "2", "3", "4"],
        "starts": "12:00",
        "ends": "14:00",
        "slot_minutes": "10",
        **form,
    }
    values["csrf_token"] = csrf_from(client, "/hearings/windows")
    answer = client.post("/hearings/windows", data=values, follow_redirects=False)
    return int(answer.status_code)


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(HearingWindow)) or 0)


def test_an_officer_publishes_hours_with_a_panel_and_holidays(
    client: TestClient, db: Session, people: dict[str, User]
) -> None:
    assert login(client, people["dcp"].username or "").status_code == 303
    page = client.get("/hearings/windows")
    assert page.status_code == 200 and "Test acp" in page.text  # in the DCP's charge
    status = _publish(client, panel=[str(people["acp"].id)], holidays="2031-03-04, 2031-03-05")
    assert status == 303
    [window] = db.scalars(select(HearingWindow)).all()
    assert window.owner_id == people["dcp"].id
    assert [p.user_id for p in window.panel] == [people["dcp"].id, people["acp"].id]
    closed = db.scalars(select(HearingClosure.day).order_by(HearingClosure.day)).all()
    assert closed == [date(2031, 3, 4), date(2031, 3, 5)]
    sittings = hours.upcoming(db, window, today=date(2031, 3, 3), days=4)
    assert [s.day for s in sittings] == [date(2031, 3, 3), date(2031, 3, 6)]
    assert sittings[0].officers == (people["dcp"].id, people["acp"].id)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"ends": "11:00"}, "must end after it starts"),
        ({"slot_minutes": "7"}, "whole slots"),
        ({"weekdays": []}, "day of the week"),
        ({"holidays": "4 March"}, "YYYY-MM-DD"),
        ({"valid_from": "2031-03-10", "valid_until": "2031-03-01"}, "comes before"),
    ],
)
def test_a_wrong_form_is_refused_with_what_to_fix_and_nothing_is_stored(
    client: TestClient,
    db: Session,
    people: dict[str, User],
    form: dict[str, str | list[str]],
    message: str,
) -> None:
    assert login(client, people["dcp"].username or "").status_code == 303
    values = {"csrf_token": csrf_from(client, "/hearings/windows"), "weekdays": ["1"],
              "starts": "12:00", "ends": "14:00", "slot_minutes": "10", **form}  # fmt: skip
    answer = client.post("/hearings/windows", data=values)
    assert answer.status_code == 422 and message in answer.text
    assert _count(db) == 0


def test_no_one_publishes_for_an_officer_outside_their_charge(
    client: TestClient, db: Session, people: dict[str, User]
) -> None:
    assert login(client, people["sho2"].username or "").status_code == 303
    assert _publish(client, owner_id=str(people["dcp"].id)) == 422
    assert _publish(client, panel=[str(people["acp"].id)]) == 422
    assert _count(db) == 0
    client.cookies.clear()
    assert login(client, people["staff"].username or "").status_code == 303
    assert client.get("/hearings/windows").status_code == 403


def test_ending_a_window_and_leave_take_days_off(
    client: TestClient, db: Session, people: dict[str, User]
) -> None:
    assert login(client, people["dcp"].username or "").status_code == 303
    assert _publish(client, panel=[str(people["acp"].id)]) == 303
    window = db.scalars(select(HearingWindow)).one()
    token = csrf_from(client, "/hearings/windows")
    leave = client.post("/hearings/leave", data={"csrf_token": token, "days": "2031-03-04"})
    assert leave.status_code == 200
    again = client.post("/hearings/leave", data={"csrf_token": token, "days": "2031-03-04"})
    assert again.status_code == 200  # a double tap: one day stored
    assert db.scalar(select(func.count()).select_from(HearingLeave)) == 1
    past = client.post("/hearings/leave", data={"csrf_token": token, "days": "2031-03-01"})
    assert past.status_code == 422
    sittings = hours.upcoming(db, window, today=date(2031, 3, 3), days=2)
    assert [s.officers for s in sittings] == [
        (people["dcp"].id, people["acp"].id),
        (people["acp"].id,),  # the DCP away: the ACP hears alone
    ]
    for wrong in ("2031-02-30", "tomorrow", "1999-12-31"):  # said on the page, not a 500
        refused = client.post(
            f"/hearings/windows/{window.id}/end", data={"csrf_token": token, "last_day": wrong}
        )
        assert refused.status_code == 422 and "YYYY-MM-DD" in refused.text
    db.expire_all()
    assert db.get(HearingWindow, window.id).valid_until is None  # type: ignore[union-attr]
    ended = client.post(
        f"/hearings/windows/{window.id}/end", data={"csrf_token": token, "last_day": "2031-03-03"}
    )
    assert ended.status_code == 200
    db.expire_all()
    assert hours.upcoming(db, window, today=date(2031, 3, 4), days=7) == []
