"""The role home pages through HTTP: each role's figures on seeded data, and each figure's
link opens a list that shows that many items."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import User
from nigrani.accounts.roles import Level, Role
from nigrani.canvass import footage
from nigrani.canvass.models import Incident
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core.config import Settings
from nigrani.grievances.models import Complaint
from nigrani.health.models import HealthAlert, HealthTarget
from nigrani.stations.models import StationAlert, StationCamera
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.conftest import Freeze
from tests.grievances.factories import make_complaint
from tests.stations.station_fixtures import make_camera

# 10:00 IST on a Tuesday: "today" runs from 18:30 UTC the day before.
NOW = datetime(2026, 3, 10, 4, 30, tzinfo=UTC)
FIGURE = re.compile(
    r'data-figure="(\w+)">\s*(?:<a class="stat" href="([^"]+)">|<span class="stat">)([^<]+)<'
)
TOTAL = re.compile(r'<h1>[^<]*<span class="level">(\d+)</span>')
CAMERA = re.compile(r'href="/stations/cameras/(\d+)"')
ALERT = re.compile(r'<li class="[^"]*" data-kind=')
SCORE = re.compile(r'<span id="board-score">([^<]+)</span>')


def figures(client: TestClient) -> dict[str, tuple[str, str | None]]:
    """The home page's figures: key → (value, link)."""
    page = client.get("/dashboard")
    assert page.status_code == 200
    return {key: (value.strip(), href or None) for key, href, value in FIGURE.findall(page.text)}


def listed(client: TestClient, href: str) -> int:
    """How many items the list behind a figure shows."""
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200, href
    if href.startswith("/stations/cameras"):
        return len(set(CAMERA.findall(page.text)))
    if href.startswith("/stations/compliance"):
        return len(ALERT.findall(page.text))
    match = TOTAL.search(page.text)
    assert match, href
    return int(match.group(1))


def assert_links_agree(client: TestClient, found: dict[str, tuple[str, str | None]]) -> None:
    """Every counted figure with a link opens a list of exactly that many."""
    for key, (value, href) in found.items():
        if key == "compliance" and href:
            board = SCORE.search(client.get(href).text)
            assert board and board.group(1) == ("—" if value == "—" else f"{float(value):.1f}")
        elif href:
            assert listed(client, href) == int(value), key


def complaint(db: Session, settings: Settings, **changes: object) -> Complaint:
    """A complaint at S1 (or where `lat`/`lon` put it), then changed as a station left it."""
    place: dict[str, Any] = {k: changes.pop(k) for k in ("lat", "lon", "channel") if k in changes}
    made = make_complaint(db, settings, **place)
    for name, value in changes.items():
        setattr(made, name, value)
    db.flush()
    return made


def seed_complaints(db: Session, settings: Settings) -> None:
    """At S1: one new, one due tonight, one overdue, a walk-in today (closed), one of
    yesterday; at S3 (another zone) one overdue."""
    complaint(db, settings, due_at=NOW + timedelta(days=3))
    complaint(db, settings, status="acknowledged", due_at=NOW + timedelta(hours=10))
    complaint(db, settings, status="acknowledged", due_at=NOW - timedelta(hours=20))
    early = NOW - timedelta(hours=5)  # 05:00 IST today, still yesterday in UTC
    complaint(db, settings, channel="walk_in", received_at=early, status="closed", closed_at=NOW)
    yesterday = NOW - timedelta(hours=12)
    complaint(db, settings, channel="walk_in", received_at=yesterday, status="closed")
    complaint(db, settings, lat=26.5, lon=80.35, status="acknowledged", due_at=NOW - timedelta(1))


def seed_cameras(db: Session, settings: Settings) -> None:
    """S1: one camera recording, one not; S3: one not recording."""
    recording = make_camera(db, settings, name="Front desk")
    recording.last_segment_at = NOW - timedelta(minutes=1)
    make_camera(db, settings, name="Lock-up", role="lockup")
    make_camera(db, settings, station="S3", name="Gate", role="entry_exit")


def seed_health(db: Session) -> None:
    """What the health checks found: at S1 the lock-up camera offline and the front desk's
    covered, at S3 the gate offline, and one open alert (the area around S3 dark)."""
    cameras = {c.name: c for c in db.scalars(select(StationCamera))}
    for name, state, reason in (
        ("Lock-up", "offline", "unreachable"),
        ("Front desk", "degraded", "covered"),
        ("Gate", "offline", "refused"),
    ):
        camera = cameras[name]
        db.add(
            HealthTarget(
                station_camera_id=camera.id, node_path=camera.node_path, category_code="station",
                team="station", state=state, reason=reason, since=NOW - timedelta(days=1),
                due_at=NOW, created_at=NOW - timedelta(days=9), updated_at=NOW,
            )
        )  # fmt: skip
    gate = cameras["Gate"]
    db.add(
        HealthAlert(
            kind="area_dark", team="station", node_path=gate.node_path, cameras=1,
            created_at=NOW, updated_at=NOW,
        )
    )  # fmt: skip
    db.flush()


def ask(db: Session, settings: Settings, incident: Incident, user: User, status: str) -> None:
    """A footage request of the incident to a new shop, left as the owner left it."""
    site = make_site(db, settings, name=f"Shop {incident.id} {status}")
    data = FootageRequestCreate(site_id=site.id)
    footage.send_request(db, settings=settings, incident=incident, site=site, data=data, user=user)
    incident.requests[-1].status = status
    db.flush()


@pytest.fixture(autouse=True)
def _frozen(freeze: Freeze) -> None:
    """Every test here runs at NOW, 10:00 IST."""
    freeze(NOW)


def test_sho_sees_today_at_the_station(client: TestClient, db: Session, settings: Settings) -> None:
    make_tree(db)
    seed_complaints(db, settings)
    seed_cameras(db, settings)
    # Due at 00:30 IST tomorrow: still today in UTC, not today at the station.
    complaint(db, settings, status="acknowledged", due_at=NOW + timedelta(hours=14, minutes=30))
    seed_health(db)
    sho = make_staff(db, Role.SHO, "S1")
    login(client, sho.username or "")
    found = figures(client)
    assert {k: v for k, (v, _href) in found.items() if k != "compliance"} == {
        "new": "1",
        "due_today": "1",
        "overdue": "1",
        "walk_ins_today": "1",
        "footage_received": "0",
        "stopped": "1",
        "health_offline": "1",
        "health_degraded": "1",
        "health_alerts": "0",
        "analytics_alerts": "0",
        "analytics_waiting": "0",
    }
    assert found["compliance"][1] == "/stations/compliance?node=S1"
    assert found["health_offline"][1] == "/health/cameras?node=S1&amp;state=offline"
    assert_links_agree(client, found)


def test_io_sees_own_incidents_and_their_footage(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    other = make_staff(db, Role.INVESTIGATING_OFFICER, "S1", username="io-two")
    mine = make_incident(db, io)
    closed = make_incident(db, io)
    closed.status = "closed"
    theirs = make_incident(db, other)
    ask(db, settings, mine, io, "sent")
    ask(db, settings, mine, io, "uploaded")
    ask(db, settings, closed, io, "declined")
    ask(db, settings, theirs, other, "uploaded")
    login(client, io.username or "")
    found = figures(client)
    assert {k: v for k, (v, _href) in found.items()} == {
        "my_incidents": "1",
        "footage_waiting": "1",
        "footage_received": "1",
        "footage_declined": "1",
    }
    assert_links_agree(client, found)


def test_sho_counts_footage_received_at_the_station(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    for status in ("uploaded", "sent"):
        ask(db, settings, make_incident(db, io), io, status)
    login(client, make_staff(db, Role.SHO, "S1").username or "")
    found = figures(client)
    assert found["footage_received"] == ("1", "/incidents?footage=received")
    assert_links_agree(client, found)


def alert(db: Session, path: str) -> None:
    """An open alert about a station (or the whole system at "/")."""
    db.add(
        StationAlert(
            kind="disk_low", node_path=path, message="Disk", created_at=NOW, updated_at=NOW
        )
    )
    db.flush()


def test_commissioner_sees_the_station_to_call_first(
    client: TestClient, db: Session, settings: Settings
) -> None:
    tree = make_tree(db)
    seed_complaints(db, settings)
    seed_cameras(db, settings)
    alert(db, tree["S3"].path)
    alert(db, tree["S3"].path + "9999/")  # deeper than S3, still S3's
    alert(db, "/")  # the system's own: on the board, no station's
    make_incident(db, make_staff(db, Role.INVESTIGATING_OFFICER, "S1"))
    seed_health(db)
    login(client, make_staff(db, Role.COMMISSIONER, "C").username or "")
    found = figures(client)
    assert {k: v for k, (v, _href) in found.items() if k != "compliance"} == {
        "due_today": "1",
        "overdue": "2",
        "stopped": "2",
        "alerts": "3",
        "incidents_week": "1",
        "health_offline": "2",
        "health_degraded": "1",
        "health_alerts": "1",
        "analytics_alerts": "0",
        "analytics_waiting": "0",
    }
    assert_links_agree(client, found)
    page = client.get("/dashboard").text
    # S3: 1 overdue + 1 camera down + 2 alerts = 4 points; S1: 1 + 1 + 0 = 2; S2 nothing.
    assert re.search(r'id="call-first">\s*<h2>[^<]*<a href="/jurisdiction/S3">', page)
    order = re.findall(r'<tr data-station="(\w+)">', page)
    assert order == ["S3", "S1", "S2"]
    rows = dict(re.findall(r'<tr data-station="(\w+)">(.*?)</tr>', page, re.S))
    cells = re.findall(r'<a href="([^"]+)">(\d+)</a>', rows["S1"])
    assert [n for _href, n in cells] == ["3", "1", "1", "0"]  # open, overdue, cameras, alerts
    for href, n in cells[:3]:  # open and overdue complaints, cameras not recording
        assert listed(client, href) == int(n), href
    # The station's board lists its alerts and the system's own (a full disk), no station's.
    assert listed(client, cells[3][0]) == int(cells[3][1]) + 1
    assert 'id="trend-chart"' in page and 'id="scores-chart"' in page
    assert "/stations/compliance?node=Z1" in page and "/stations/compliance?node=Z2" in page


def test_dcp_sees_only_the_zone(client: TestClient, db: Session, settings: Settings) -> None:
    make_tree(db)
    seed_complaints(db, settings)
    seed_cameras(db, settings)
    login(client, make_staff(db, Role.DCP, "Z2").username or "")
    found = figures(client)
    assert found["overdue"][0] == "1" and found["stopped"][0] == "1"
    page = client.get("/dashboard").text
    assert re.findall(r'<tr data-station="(\w+)">', page) == ["S3"]
    assert_links_agree(client, found)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_admin_and_auditor_keep_users_audit_and_jurisdictions(
    client: TestClient, db: Session, role: Role
) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1")
    login(client, make_staff(db, role, "C").username or "")
    found = figures(client)
    assert found["stations"][0] == "3" and found["posts"][0] == "1"
    assert found["staff"][0] == "2"
    assert found["audit_today"][1] == "/audit?since=2026-03-10"  # the IST day
    assert (found["staff"][1] == "/admin/users") is (role is Role.ADMIN)
    for _value, href in found.values():
        assert href is None or client.get(href).status_code == 200, href


def statements_of(client: TestClient, db: Session, path: str) -> int:
    """How many SQL statements one request runs on the test's database (not counting the
    other engines of this process, such as a demo server's that its worker posts to)."""
    seen: list[str] = []
    engine = db.get_bind().engine

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_senior_page_costs_the_same_for_more_stations(
    client: TestClient, db: Session, settings: Settings
) -> None:
    tree = make_tree(db)
    seed_complaints(db, settings)
    seed_cameras(db, settings)
    login(client, make_staff(db, Role.COMMISSIONER, "C").username or "")
    few = statements_of(client, db, "/dashboard")
    assert few > 5  # the page's queries are counted
    for n in range(4):
        code = f"S{n + 4}"
        jurisdiction.create_node(
            db, code=code, level=Level.STATION, name_en=code, name_hi=code, parent=tree["C2"]
        )
        make_camera(db, settings, station=code, name=f"Gate {n}", role="entry_exit")
        alert(db, jurisdiction.get_by_code(db, code).path)
    page = client.get("/dashboard").text
    assert len(re.findall(r"<tr data-station=", page)) == 7
    assert statements_of(client, db, "/dashboard") == few


@pytest.mark.parametrize(
    "path",
    [
        "/grievances?due=tomorrow",
        "/grievances?received=week",
        "/incidents?footage=lost",
        "/incidents?days=0",
        "/incidents?mine=perhaps",
        "/stations/cameras?stopped=perhaps",
    ],
)
def test_a_bad_filter_is_a_clear_4xx(client: TestClient, db: Session, path: str) -> None:
    make_tree(db)
    login(client, make_staff(db, Role.SHO, "S1").username or "")
    assert client.get(path).status_code == 422


HREF = re.compile(
    r'href="(/(?:grievances|incidents|stations|admin|audit|jurisdiction|health)[^"#]*)'
)
ROLES_AT = [
    (Role.STATION_STAFF, "S1"),
    (Role.STATION_STAFF, "P1"),
    (Role.SHO, "S1"),
    (Role.INVESTIGATING_OFFICER, "S1"),
    (Role.CONTROL_ROOM, "C"),
    (Role.ACP, "C1"),
    (Role.DCP, "Z1"),
    (Role.COMMISSIONER, "C"),
    (Role.AUDITOR, "C"),
    (Role.ADMIN, "C"),
]


@pytest.mark.parametrize(("role", "node"), ROLES_AT)
def test_no_home_link_is_refused(
    client: TestClient, db: Session, settings: Settings, role: Role, node: str
) -> None:
    make_tree(db)
    seed_complaints(db, settings)
    seed_cameras(db, settings)
    login(client, make_staff(db, role, node).username or "")
    main = client.get("/dashboard").text.split("<main", 1)[1]
    links = {h.replace("&amp;", "&") for h in HREF.findall(main)}
    assert links
    for href in sorted(links):
        assert client.get(href).status_code == 200, href


def test_cameras_not_recording_list_says_when_all_record(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    camera = make_camera(db, settings, name="Front desk")
    camera.last_segment_at = NOW - timedelta(minutes=1)
    db.flush()
    login(client, make_staff(db, Role.SHO, "S1").username or "")
    assert figures(client)["stopped"] == ("0", "/stations/cameras?stopped=1")
    page = client.get("/stations/cameras?stopped=1").text
    assert "Every camera switched on is recording." in page
    assert not CAMERA.findall(page) and "No cameras registered yet." not in page
