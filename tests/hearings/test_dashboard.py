"""The hearings dashboard, the printable day list and the home page's hearings through HTTP:
figures of a known set of tickets, jurisdiction, refused dates, masked names, Hindi."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.hearings import figures
from nigrani.hearings.models import (
    HearingSitting,
    HearingTicket,
    HearingWindow,
    HearingWindowOfficer,
)
from tests.accounts.factories import login, make_staff, make_tree
from tests.conftest import Freeze
from tests.grievances.factories import make_complaint

DAY = date(2026, 3, 10)
BEFORE = DAY - timedelta(days=1)
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # 15:00 IST, the day's hearing is over
NOON = timedelta(hours=6, minutes=30)  # 12:00 IST is 06:30 UTC
MIN = timedelta(minutes=1)
RANGE = f"/hearings/dashboard?from={BEFORE}&to={DAY}"


def noon(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC) + NOON


def make_window(db: Session, owner: User, *panel: User) -> HearingWindow:
    window = HearingWindow(
        owner_id=owner.id, weekdays=0b1111111, starts=time(12), ends=time(14), slot_minutes=10,
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    db.add(window)
    db.flush()
    for position, officer in enumerate((owner, *panel)):
        db.add(HearingWindowOfficer(window_id=window.id, user_id=officer.id, position=position))
    db.flush()
    return window


def make_sitting(db: Session, window: HearingWindow, day: date) -> HearingSitting:
    officers = [o.user_id for o in window.panel]
    sitting = HearingSitting(
        window_id=window.id, day=day, starts_at=noon(day), ends_at=noon(day) + 120 * MIN,
        slot_minutes=10, officers=json.dumps(officers), created_at=NOW,
    )  # fmt: skip
    db.add(sitting)
    db.flush()
    return sitting


def citizen(db: Session, name: str, phone: str = "+91 98xxxxxx10") -> User:
    user = User(full_name=name, role="citizen", phone_masked=phone, created_at=NOW)
    db.add(user)
    db.flush()
    return user


def ticket(
    db: Session,
    sitting: HearingSitting,
    who: User,
    state: str,
    *,
    joined: int,
    called: int | None = None,
    officer: User | None = None,
    kind: str = "booked",
    ended: int | None = None,
    **extra: object,
) -> HearingTicket:
    """A ticket of the sitting; times are minutes after 12:00 IST."""
    start = sitting.starts_at
    number = len(db.info.setdefault("tickets", [])) + 1
    made = HearingTicket(
        sitting_id=sitting.id, number=number, kind=kind, state=state, citizen_id=who.id,
        due=start + joined * MIN, joined_at=start + joined * MIN,
        checked_in_at=start + joined * MIN if state != "cancelled" else None,
        called_at=start + called * MIN if called is not None else None,
        answered_at=start + called * MIN if called is not None and state == "done" else None,
        ended_at=start + ended * MIN if ended is not None else None,
        officer_id=officer.id if officer else None, topic="My phone was snatched at the market",
        link_key=f"k{sitting.id}-{number}", token_hash=f"{sitting.id:032d}{number:032d}",
        **extra,
    )  # fmt: skip
    db.info["tickets"].append(made)
    db.add(made)
    db.flush()
    return made


@pytest.fixture()
def seeded(db: Session, settings: Settings, freeze: Freeze) -> dict[str, object]:
    """An SHO at S1 whose window an ACP also serves: six tickets today, one yesterday.

    Waits today (minutes): 2, 4, 6, 8 (the no-show), 10; yesterday 1.
    """
    freeze(NOW)
    db.info.pop("tickets", None)
    make_tree(db)
    sho = make_staff(db, Role.SHO, "S1")
    acp = make_staff(db, Role.ACP, "C1")
    window = make_window(db, sho, acp)
    today, yesterday = make_sitting(db, window, DAY), make_sitting(db, window, BEFORE)
    ramesh, anon = citizen(db, "Ramesh Kumar Gupta"), citizen(db, "")
    raised = make_complaint(db, settings)
    t = ticket
    t(db, today, ramesh, "done", joined=0, called=2, ended=10, officer=sho, outcome="complaint",
      outcome_complaint_id=raised.id)  # fmt: skip
    t(db, today, anon, "done", joined=1, called=5, ended=9, officer=acp, kind="walk_in",
      outcome="resolved")  # fmt: skip
    t(db, today, ramesh, "done", joined=3, called=9, ended=20, officer=sho, outcome="linked")
    t(db, today, anon, "no_show", joined=4, called=12, ended=14, officer=sho, kind="walk_in")
    t(db, today, ramesh, "cancelled", joined=5)
    t(db, today, anon, "done", joined=5, called=15, ended=17, officer=acp, kind="walk_in")
    t(db, today, ramesh, "waiting", joined=20, kind="walk_in")
    t(db, yesterday, ramesh, "done", joined=0, called=1, ended=5, officer=sho, outcome="resolved")
    return {"sho": sho, "acp": acp, "window": window, "complaint": raised.number}


def cells(page: str, attr: str, value: str) -> list[str]:
    """The texts of the cells of the table row whose `attr` is `value`."""
    row = re.search(rf'<tr {attr}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert row, f"no row {attr}={value}"
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in found]


def total(page: str, key: str) -> str:
    match = re.search(rf'data-total="{key}"><span class="stat[^"]*">([^<]+)<', page)
    assert match, key
    return match.group(1)


def test_percentile_interpolates_between_ranks() -> None:
    assert figures.percentile([8, 2, 6, 4], 50) == 5
    assert figures.percentile([2, 4, 6, 8], 90) == pytest.approx(7.4)
    assert figures.percentile([3], 90) == 3
    assert figures.percentile([], 50) is None


def test_figures_of_a_known_day(client: TestClient, seeded: dict[str, object]) -> None:
    sho = seeded["sho"]
    assert isinstance(sho, User)
    login(client, sho.username or "")
    page = client.get(RANGE)
    assert page.status_code == 200
    text = page.text
    # 7 places (8 tickets, one cancelled), 5 heard, one no-show; waits 1, 2, 4, 6, 8, 10
    assert [total(text, k) for k in ("places", "heard", "no_shows")] == ["7", "5", "1"]
    assert total(text, "median_wait") == "5.0" and total(text, "p90_wait") == "9.0"
    # places, heard, did not come, cancelled, median wait, p90 wait
    assert cells(text, "data-day", DAY.isoformat())[1:] == ["6", "4", "1", "1", "6.0", "9.2"]
    assert cells(text, "data-day", BEFORE.isoformat())[1:] == ["1", "1", "0", "0", "1.0", "1.0"]
    acp = seeded["acp"]
    assert isinstance(acp, User)
    # the SHO called 2, 6, 8 today and 1 yesterday; the ACP 4 and 10 (calls 4 and 2 min)
    assert cells(text, "data-officer", str(sho.id))[1:] == ["4", "3", "1", "0", "4.0", "7.4", "8.0"]
    assert cells(text, "data-officer", str(acp.id))[1:] == ["2", "2", "0", "0", "7.0", "9.4", "3.0"]
    outcomes = dict(re.findall(r'data-outcome="(\w+)">[^<]*<strong>(\d+)<', text))
    assert outcomes == {"complaint": "1", "linked": "1", "resolved": "2", "none": "1"}
    window = seeded["window"]
    assert isinstance(window, HearingWindow)
    assert f"/hearings/day?window={window.id}&amp;day={DAY}" in text


def test_csv_holds_the_same_figures(client: TestClient, seeded: dict[str, object]) -> None:
    sho = seeded["sho"]
    assert isinstance(sho, User)
    login(client, sho.username or "")
    answer = client.get(RANGE.replace("dashboard", "dashboard.csv"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Table", "Day or officer", "Places taken", "Heard"]
    assert rows[-1][:2] == ["Total", "All"]
    assert rows[-1][2:9] == ["7", "5", "1", "1", "1", "5.0", "9.0"]
    assert rows[1][:2] == ["Day", "10.03.2026"]


def test_an_sho_of_another_station_sees_none(
    client: TestClient, db: Session, seeded: dict[str, object]
) -> None:
    other = make_staff(db, Role.SHO, "S3")
    login(client, other.username or "")
    page = client.get(RANGE)
    assert page.status_code == 200
    assert 'id="hearing-none"' in page.text and total(page.text, "heard") == "0"
    window = seeded["window"]
    assert isinstance(window, HearingWindow)
    assert client.get(f"/hearings/day?window={window.id}&day={DAY}").status_code == 404
    assert client.get(f"/hearings/day.pdf?window={window.id}&day={DAY}").status_code == 404


def test_an_officer_on_the_panel_sees_the_window_from_outside_its_charge(
    client: TestClient, db: Session, seeded: dict[str, object]
) -> None:
    """The demo's ACP Kotwali serves the DCP's window: a zone's window, above his circle."""
    window = seeded["window"]
    assert isinstance(window, HearingWindow)
    other = make_staff(db, Role.SHO, "S3")
    db.add(HearingWindowOfficer(window_id=window.id, user_id=other.id, position=2))
    db.commit()
    login(client, other.username or "")
    assert total(client.get(RANGE).text, "heard") == "5"
    assert client.get(f"/hearings/day?window={window.id}&day={DAY}").status_code == 200


@pytest.mark.usefixtures("seeded")
def test_the_dcp_above_sees_the_station_and_staff_are_refused(
    client: TestClient, db: Session
) -> None:
    login(client, make_staff(db, Role.DCP, "Z1").username or "")
    assert total(client.get(RANGE).text, "heard") == "5"
    client.cookies.clear()
    login(client, make_staff(db, Role.STATION_STAFF, "S1").username or "")
    assert client.get(RANGE).status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "YYYY-MM-DD"),
        ("from=yesterday", "YYYY-MM-DD"),
        ("to=1999-12-31", "YYYY-MM-DD"),
        ("from=2026-03-10&to=2026-03-01", "must not end before it starts"),
        ("from=2025-01-01&to=2026-03-01", "at most 366 days"),
        ("from=" + "9" * 30, ""),
    ],
)
def test_bad_dates_are_refused_with_a_message(
    client: TestClient, seeded: dict[str, object], query: str, message: str
) -> None:
    sho = seeded["sho"]
    assert isinstance(sho, User)
    login(client, sho.username or "")
    for path in ("/hearings/dashboard", "/hearings/dashboard.csv"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 422, (path, query)
        assert message in answer.text


@pytest.mark.parametrize("query", ["day=2026-13-01", "day=", "window=0&day=2026-03-10", "day=x"])
def test_a_bad_day_list_request_is_a_4xx(
    client: TestClient, seeded: dict[str, object], query: str
) -> None:
    sho, window = seeded["sho"], seeded["window"]
    assert isinstance(sho, User) and isinstance(window, HearingWindow)
    login(client, sho.username or "")
    if "window=" not in query:
        query = f"window={window.id}&{query}"
    assert client.get(f"/hearings/day?{query}").status_code == 422


def test_the_day_list_masks_names(client: TestClient, seeded: dict[str, object]) -> None:
    sho, window = seeded["sho"], seeded["window"]
    assert isinstance(sho, User) and isinstance(window, HearingWindow)
    login(client, sho.username or "")
    page = client.get(f"/hearings/day?window={window.id}&day={DAY}")
    assert page.status_code == 200
    text = page.text
    assert "Ramesh" not in text and "Gupta" not in text
    first = cells(text, 'data-number="1" data-state', "done")
    assert first[:3] == ["1", "12:00", "R***"]
    assert first[4:] == ["Heard", "New complaint", str(seeded["complaint"])]
    second = cells(text, 'data-number="2" data-state', "done")
    assert second[1:3] == ["12:01 (walk-in)", "+91 98xxxxxx10"]
    assert cells(text, 'data-number="4" data-state', "no_show")[4] == "Missed the call"
    assert "@media print" in text
    pdf = client.get(f"/hearings/day.pdf?window={window.id}&day={DAY}&lang=hi")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    empty = client.get(f"/hearings/day?window={window.id}&day={DAY + timedelta(days=1)}")
    assert empty.status_code == 200 and 'id="day-empty"' in empty.text


def test_hindi_pages_render(client: TestClient, seeded: dict[str, object]) -> None:
    sho, window = seeded["sho"], seeded["window"]
    assert isinstance(sho, User) and isinstance(window, HearingWindow)
    login(client, sho.username or "")
    board = client.get(RANGE + "&lang=hi")
    assert board.status_code == 200
    assert '<html lang="hi">' in board.text and "सुनवाई डैशबोर्ड" in board.text
    day = client.get(f"/hearings/day?window={window.id}&day={DAY}&lang=hi")
    assert day.status_code == 200 and "नाम" in day.text


HEARING = re.compile(r'data-hearing="(\w+)">\s*<a class="stat" href="([^"]+)">(\d+)<')


def test_home_shows_todays_hearings(
    client: TestClient, db: Session, seeded: dict[str, object]
) -> None:
    sho = seeded["sho"]
    assert isinstance(sho, User)
    login(client, sho.username or "")
    found = {k: (v, href) for k, href, v in HEARING.findall(client.get("/dashboard").text)}
    link = f"/hearings/dashboard?from={DAY}&amp;to={DAY}"
    assert found == {
        "hearings_waiting": ("1", link),
        "hearings_heard": ("4", link),
        "hearings_no_shows": ("1", link),
    }
    assert client.get(link.replace("&amp;", "&")).status_code == 200
    assert total(client.get("/hearings/dashboard").text, "heard") == "5"  # the last 30 days
    client.cookies.clear()
    login(client, make_staff(db, Role.COMMISSIONER, "C").username or "")
    assert {k: v for k, _h, v in HEARING.findall(client.get("/dashboard").text)} == {
        "hearings_waiting": "1",
        "hearings_heard": "4",
        "hearings_no_shows": "1",
    }
    client.cookies.clear()
    login(client, make_staff(db, Role.INVESTIGATING_OFFICER, "S1").username or "")
    assert 'id="home-hearings"' not in client.get("/dashboard").text
