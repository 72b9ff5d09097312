"""Dates typed or sent from outside: absurd ones (years 1, 9999, 10000, a day's offset at the
edge of the calendar) are a 4xx on every route that takes one, never a server error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts
from nigrani.accounts.roles import Role
from nigrani.canvass.models import Incident
from nigrani.core import audit, moments
from nigrani.core.config import Settings
from nigrani.grievances.models import Complaint
from tests.accounts.factories import csrf_from, login, make_staff
from tests.stations.station_fixtures import make_camera

ABSURD = (
    "0001-01-01",
    "0001-01-01T00:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31",
    "9999-12-31T23:59",
    "9999-12-31T23:59:59-23:59",
    "10000-01-01",
    "1999-12-31T23:59",
)
INCIDENT = {
    "kind": "theft",
    "description": "Mobile phone snatched near the market",
    "address": "Mall Road crossing",
}


def test_parse_moment_keeps_the_bounds_and_the_offset() -> None:
    ist = ZoneInfo("Asia/Kolkata")
    assert moments.parse_moment("2026-12-01T10:00", zone=ist) == datetime(
        2026, 12, 1, 10, tzinfo=ist
    )
    assert moments.parse_moment("2026-12-01T10:00Z") == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert moments.parse_day("2099-12-31") == date(2099, 12, 31)
    for raw in (*ABSURD, "yesterday", ""):
        with pytest.raises(ValueError):
            moments.parse_moment(raw, zone=ist)


def _all_4xx(answers: list[tuple[str, int]]) -> None:
    wrong = [(what, status) for what, status in answers if not 400 <= status < 500]
    assert not wrong


@pytest.fixture()
def server_errors_answered(app: object) -> TestClient:
    """A client that gets a server error as a 500 answer instead of the exception."""
    return TestClient(app, raise_server_exceptions=False)  # type: ignore[arg-type]


def test_playback_and_clips_refuse_absurd_times(
    server_errors_answered: TestClient, db: Session, settings: Settings
) -> None:
    client = server_errors_answered
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    db.commit()
    login(client, "sho-s1")
    token = csrf_from(client, "/stations/playback")
    clip = f"/stations/playback/{camera.id}/clips"
    answers = []
    for raw in ABSURD:
        page = client.get("/stations/playback", params={"camera": camera.id, "at": raw})
        answers.append((f"at={raw}", page.status_code))
        vod = client.get(f"/stations/playback/{camera.id}/{raw[:10]}.m3u8")
        answers.append((f"vod {raw}", vod.status_code))
        for start, end in ((raw, "2026-12-01T10:00"), ("2026-12-01T10:00", raw)):
            form = {"start": start, "end": end, "reason": "Theft FIR", "csrf_token": token}
            answers.append((f"clip {start}-{end}", client.post(clip, data=form).status_code))
    _all_4xx(answers)


def test_incidents_and_walk_ins_refuse_absurd_times(
    server_errors_answered: TestClient, db: Session, settings: Settings
) -> None:
    client = server_errors_answered
    make_camera(db, settings)  # the tree, with station S1
    sho = make_staff(db, Role.SHO, "S1")
    issued = accounts.issue_token(db, user=sho, name="t", scopes=["canvass"], actor=audit.SYSTEM)
    db.commit()
    login(client, "sho-s1")
    token = csrf_from(client, "/incidents/new")
    bearer = {"Authorization": f"Bearer {issued.secret}"}
    answers = []
    for raw in (*ABSURD, "0001-01-01T06:00"):
        hour_later = raw[:11] + "23:59" if "T" in raw else raw
        window = {"window_start": raw, "window_end": hour_later}
        form = {**INCIDENT, "lat": "26.45", "lon": "80.25", **window, "csrf_token": token}
        answers.append((f"incident {raw}", client.post("/incidents", data=form).status_code))
        aware = raw if raw[-6] in "+-" or len(raw) <= 10 else raw + ":00+05:30"
        body = {**INCIDENT, "lat": 26.45, "lon": 80.25, "window_start": aware}
        body["window_end"] = aware.replace("T00:00", "T01:00")
        api = client.post("/api/v1/incidents", json=body, headers=bearer)
        answers.append((f"api incident {aware}", api.status_code))
        walk_in = {
            "category": "theft",
            "text": "My bicycle was stolen from the market.",
            "mobile": "98765 43210",
            "station_code": "S1",
            "visited_at": raw,
            "csrf_token": token,
        }
        answers.append(
            (f"walk-in {raw}", client.post("/grievances/walk-in", data=walk_in).status_code)
        )
    _all_4xx(answers)
    assert db.scalar(select(func.count(Incident.id))) == 0
    assert db.scalar(select(func.count(Complaint.id))) == 0
