"""A walk-in complaint's page links to the station's reception camera at the visit time,
only where such a camera exists and the officer may watch station CCTV."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.grievances.models import Complaint
from tests.accounts.factories import login, make_staff
from tests.grievances.factories import make_complaint
from tests.stations.station_fixtures import make_camera

VISIT = datetime(2026, 12, 1, 5, 15, 30, tzinfo=UTC)  # 10:45:30 IST
LINK = "Reception camera from the moment of the visit"


def _walk_in(db: Session, settings: Settings) -> Complaint:
    complaint = make_complaint(db, settings, channel="walk_in")
    complaint.received_at = VISIT
    db.flush()
    return complaint


def test_walk_in_page_opens_the_reception_camera_at_the_visit(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_camera(db, settings, role="lockup", name="Lock-up")
    desk = make_camera(db, settings)
    walk_in = _walk_in(db, settings)
    web = make_complaint(db, settings, text="Someone took my bicycle from outside the shop.")
    make_staff(db, Role.SHO, "S1")
    make_staff(db, Role.STATION_STAFF, "S1")
    login(client, "sho-s1")
    page = client.get(f"/grievances/{walk_in.id}").text
    href = f"/stations/playback?camera={desk.id}&amp;at=2026-12-01T10:45:30"
    # The link says where playback starts: at the visit itself, not minutes before it.
    assert f'<a href="{href}" id="reception-camera">{LINK} (1 Dec 2026, 10:45 IST)</a>' in page
    assert LINK not in client.get(f"/grievances/{web.id}").text
    client.cookies.clear()
    login(client, "station-staff-s1")  # sees the complaint, may not watch the cameras
    assert LINK not in client.get(f"/grievances/{walk_in.id}").text


def test_no_link_without_a_reception_camera(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_camera(db, settings, role="lockup", name="Lock-up")
    make_camera(db, settings, station="S2")  # a front desk, but at another station
    walk_in = _walk_in(db, settings)
    make_staff(db, Role.ACP, "C1")
    login(client, "acp-c1")
    page = client.get(f"/grievances/{walk_in.id}")
    assert page.status_code == 200 and LINK not in page.text
