"""The compliance board: the score's arithmetic, what each check reads from cameras and
segments, roll-ups per circle and zone, the page and its PDF in both languages, and
jurisdiction (an officer never sees another zone)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.stations import alerts, compliance, holds
from nigrani.stations.compliance import RoleCheck, station_score
from nigrani.stations.models import REQUIRED_ROLES, RecordingGap, RecordingSegment, StationCamera
from tests.accounts.factories import login, make_staff
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    """Every "now" in these tests, the app's and the services', is NOW."""
    freeze(NOW)


def _check(role: str, met: int, days: float) -> RoleCheck:
    exists, working, audio, night = [n < met for n in range(4)]
    return RoleCheck(role, int(exists), exists, working, audio, night, days, 0.0)


def test_score_arithmetic() -> None:
    full = [_check(r, 4, 548) for r in REQUIRED_ROLES]
    assert station_score(full, 548) == 100.0
    assert station_score([_check(r, 0, 0) for r in REQUIRED_ROLES], 548) == 0.0
    # One place with all four checks and half the footage: 4.5 of 35 points.
    one = [_check(REQUIRED_ROLES[0], 4, 274)] + [_check(r, 0, 0) for r in REQUIRED_ROLES[1:]]
    assert station_score(one, 548) == round(100 * 4.5 / 35, 1) == 12.9
    # Footage beyond the target counts no more than the target.
    assert _check("lockup", 2, 1000).points(548) == 3.0
    assert _check("lockup", 2, 137).footage_share(548) == 0.25


def _segments(
    db: Session, camera: StationCamera, start: datetime, count: int, audio: str | None = "aac"
) -> None:
    for n in range(count):
        at = start + timedelta(minutes=n)
        db.add(
            RecordingSegment(
                camera_id=camera.id, start_at=at, end_at=at + timedelta(minutes=1),
                duration_s=60.0, path=f"{camera.id}/{at:%Y/%m/%d/%H%M%S}_{n}.ts", bytes=1000,
                video_codec="h264", audio_codec=audio,
            )
        )  # fmt: skip
    db.flush()


def _city(db: Session, settings: Settings) -> dict[str, StationCamera]:
    """S1: a working reception camera with sound, a silent working lock-up camera, an old
    corridor camera that stopped, a disabled entry camera; S2 nothing; S3 in zone Z2."""
    cams = {
        "reception": make_camera(db, settings, role="reception", name="Desk"),
        "lockup": make_camera(db, settings, role="lockup", name="Cell", night_vision=False),
        "corridor": make_camera(db, settings, role="corridor", name="Hall", has_audio=False),
        "entry": make_camera(db, settings, role="entry_exit", name="Gate"),
        "s3": make_camera(db, settings, station="S3", role="reception", name="S3 desk"),
    }
    cams["entry"].enabled = False
    _segments(db, cams["reception"], NOW - timedelta(days=274), 1)
    _segments(db, cams["reception"], NOW - timedelta(minutes=5), 5)
    gap_from = NOW - timedelta(days=274) + timedelta(minutes=1)
    db.add(RecordingGap(camera_id=cams["reception"].id, start_at=gap_from,
                        end_at=NOW - timedelta(minutes=5), reason="camera lost"))  # fmt: skip
    _segments(db, cams["lockup"], NOW - timedelta(minutes=3), 3, audio=None)
    _segments(db, cams["corridor"], NOW - timedelta(days=10), 60)
    _segments(db, cams["s3"], NOW - timedelta(minutes=2), 2)
    return cams


def _by_role(board: compliance.Board, code: str) -> dict[str, RoleCheck]:
    [station] = [s for s in board.stations if s.station.code == code]
    return {r.role: r for r in station.roles}


def test_board_of_a_circle(db: Session, settings: Settings) -> None:
    _city(db, settings)
    circle = jurisdiction.get_by_code(db, "C1")
    board = compliance.board(db, node=circle, settings=settings, now=NOW)
    assert [s.station.code for s in board.stations] == ["S2", "S1"]  # lowest score first
    roles = _by_role(board, "S1")
    reception = roles["reception"]
    assert (reception.exists, reception.working, reception.audio, reception.night_vision) == (
        True, True, True, True,
    )  # fmt: skip
    assert reception.days == 274.0 and reception.hours == 0.1
    lockup = roles["lockup"]  # says it has audio, but what it recorded is silent
    assert (lockup.working, lockup.audio, lockup.night_vision) == (True, False, False)
    corridor = roles["corridor"]
    assert (corridor.working, corridor.audio, corridor.days, corridor.hours) == (
        False, False, 10.0, 1.0,
    )  # fmt: skip
    assert not roles["entry_exit"].exists  # disabled cameras do not count
    s1 = next(s for s in board.stations if s.station.code == "S1")
    points = (4 + 274 / 548) + (2 + 0) + (2 + 10 / 548)
    assert s1.score == round(100 * points / 35, 1)
    assert s1.checks_met == 8 and s1.days == 274.0
    s2 = board.stations[0]
    assert s2.score == 0.0 and s2.days == 0.0
    assert board.total.score == round((s1.score + 0.0) / 2, 1)
    assert [a.node.code for a in board.areas if a.node] == ["S1", "S2"]
    assert board.total.places_working == 2 and board.total.places_total == 14


def test_health_checks_decide_working_once_they_have_judged(
    db: Session, settings: Settings
) -> None:
    """A covered camera still records (black): the health checks' degraded wins over the
    recorder; a camera they find working counts though the recorder is behind; a camera not
    checked yet is judged by the recorder, as before."""
    cams = _city(db, settings)
    cams["reception"].health = "degraded"  # recorded 5 minutes ago, but covered
    cams["corridor"].health = "working"  # its recorder stopped 10 days ago
    cams["lockup"].health = "unknown"
    db.flush()
    board = compliance.board(
        db, node=jurisdiction.get_by_code(db, "S1"), settings=settings, now=NOW
    )
    roles = _by_role(board, "S1")
    assert (roles["reception"].working, roles["reception"].unhealthy) == (False, 1)
    assert (roles["corridor"].working, roles["corridor"].unhealthy) == (True, 0)
    assert roles["lockup"].working
    assert [compliance.is_working(enabled=False, health="working", recorded=True)] == [False]
    assert not compliance.is_working(enabled=True, health="offline", recorded=True)


def test_held_islands_do_not_stretch_the_footage(db: Session, settings: Settings) -> None:
    """A clip's source kept 400 days is not 400 days of footage: the days count from the
    oldest segment not on hold, the hours from there to the last, less logged gaps."""
    camera = make_camera(db, settings, station="S2", role="sho_room", name="SHO")
    _segments(db, camera, NOW - timedelta(days=400), 2)
    _segments(db, camera, NOW - timedelta(days=20), 30)
    holds.place_hold(
        db, actor=audit.SYSTEM, camera=camera, start=NOW - timedelta(days=400),
        end=NOW - timedelta(days=400) + timedelta(minutes=2), reason="exported as evidence",
        kind="evidence",
    )  # fmt: skip
    board = compliance.board(
        db, node=jurisdiction.get_by_code(db, "S2"), settings=settings, now=NOW
    )
    check = _by_role(board, "S2")["sho_room"]
    assert (check.days, check.hours) == (20.0, 0.5)
    assert compliance.recorded_hours(None, NOW, []) == 0.0
    open_gap = [(NOW - timedelta(hours=1), None)]
    assert compliance.recorded_hours(NOW - timedelta(hours=3), NOW, open_gap) == 2.0


def test_board_of_the_commissionerate_rolls_up_zones(db: Session, settings: Settings) -> None:
    _city(db, settings)
    board = compliance.board(db, node=jurisdiction.get_by_code(db, "C"), settings=settings, now=NOW)
    zones = {a.node.code: a for a in board.areas if a.node}
    assert set(zones) == {"Z1", "Z2"}
    assert len(zones["Z1"].stations) == 2 and len(zones["Z2"].stations) == 1
    assert zones["Z2"].places_working == 1 and zones["Z2"].checks_met == 4
    station = jurisdiction.get_by_code(db, "S3")
    alone = compliance.board(db, node=station, settings=settings, now=NOW)
    assert alone.areas == [] and [s.station.code for s in alone.stations] == ["S3"]


def test_page_drills_down_inside_the_officers_zone(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    s1, s3 = jurisdiction.get_by_code(db, "S1"), jurisdiction.get_by_code(db, "S3")
    dcp = make_staff(db, Role.DCP, "Z1")
    assert login(client, dcp.username or "").status_code == 303
    page = client.get("/stations/compliance")
    assert page.status_code == 200
    assert "C1 en" in page.text and 'data-station="S1"' in page.text
    assert "S3 en" not in page.text
    part = client.get("/stations/compliance?node=S1", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text
    assert 'data-role="lockup"' in part.text
    assert 'id="board-alerts"' not in page.text
    for node, text in ((s1.path, "S1 was cut"), (s3.path, "S3 was cut"), ("/", "disk full")):
        alerts.raise_alert(db, kind="retention_cut" if node != "/" else "disk_full_held",
                           node_path=node, message=text, now=NOW)  # fmt: skip
    page = client.get("/stations/compliance")
    assert "S1 was cut" in page.text and "disk full" in page.text
    assert "S3 was cut" not in page.text  # another zone's alert
    for other in ("Z2", "S3", "C2", "C"):
        assert client.get(f"/stations/compliance?node={other}").status_code == 403, other
        assert client.get(f"/stations/compliance/report.pdf?node={other}").status_code == 403


def test_station_officer_sees_only_the_station(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    make_staff(db, Role.SHO, "S1", username="sho-s1")
    assert login(client, "sho-s1").status_code == 303
    page = client.get("/stations/compliance")
    assert page.status_code == 200 and 'data-station="S1"' in page.text
    assert "S2 en" not in page.text
    assert client.get("/stations/compliance?node=C1").status_code == 403


def test_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/stations/compliance", follow_redirects=False)
    assert response.status_code == 303 and "/login" in response.headers["location"]


@pytest.mark.parametrize(
    ("lang", "title", "level"),
    [("en", "CCTV compliance of police stations", "Page 1 of 1"), ("hi", "", "पृष्ठ 1 / 1")],
)
def test_pdf_in_each_language(
    client: TestClient, db: Session, settings: Settings, lang: str, title: str, level: str
) -> None:
    _city(db, settings)
    make_staff(db, Role.COMMISSIONER, "C", username="cp-city")
    assert login(client, "cp-city").status_code == 303
    response = client.get(f"/stations/compliance/report.pdf?lang={lang}&node=C")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"cctv-compliance-C-{lang}.pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert title in text and "S1" in text and "Z2" in text
    assert level in text and "274" in text  # S1's days of footage
    assert client.get("/stations/compliance/report.pdf?lang=fr").status_code == 422
