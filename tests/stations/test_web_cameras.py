"""Station cameras admin through HTTP: jurisdiction and roles, write-only URLs, validation
that stores nothing, CSRF, zones, and the snapshot decoded from the newest recording."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.stations.models import StationCamera
from tests.accounts.factories import csrf_from, login, make_staff
from tests.stations.footage import Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

SECRET_URL = "rtsp://admin:Sup3rSecret@10.0.0.5:554/Streaming/Channels/101"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("footage"), 2)


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(StationCamera)) or 0


def _audits(db: Session, action: str) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def _form(station_id: int, token: str, **overrides: str) -> dict[str, str]:
    values = {
        "station_id": str(station_id),
        "name": "Front desk 1",
        "role": "reception",
        "main_url": SECRET_URL,
        "sub_url": "rtsp://admin:Sup3rSecret@10.0.0.5:554/Streaming/Channels/102",
        "has_audio": "true",
        "night_vision": "true",
        "retention_days": "548",
        "make": "Hikvision",
        "model": "DS-2CD1043G2",
        "serial": "SN-9",
        "mac": "00:11:22:33:44:55",
        "csrf_token": token,
    }
    values.update(overrides)
    return values


def test_sho_adds_a_camera_and_never_sees_its_password(
    client: TestClient, db: Session, settings: Settings
) -> None:
    other = make_camera(db, settings, station="S3", name="Far lockup", role="lockup")
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    s1 = jurisdiction.get_by_code(db, "S1")
    token = csrf_from(client, f"/stations/cameras/new?station={s1.id}")
    reply = client.post("/stations/cameras", data=_form(s1.id, token), follow_redirects=False)
    assert reply.status_code == 303
    camera = db.scalars(select(StationCamera).where(StationCamera.name == "Front desk 1")).one()
    assert camera.station_id == s1.id and camera.sub_url_enc and camera.mac == "00:11:22:33:44:55"
    listing = client.get("/stations/cameras").text
    edit = client.get(f"/stations/cameras/{camera.id}").text
    for text in (listing, edit):
        assert "Sup3rSecret" not in text and "admin:" not in text
    assert "rtsp://10.0.0.5:554/Streaming/Channels/101" in listing
    assert "Reception / front desk" in listing and "Far lockup" not in listing
    assert client.get(f"/stations/cameras/{other.id}").status_code == 404
    [row] = _audits(db, "stations.camera.create")[-1:]
    assert "Sup3rSecret" not in row.detail


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("main_url", "http://10.0.0.5/stream", "rtsp://"),
        ("mac", "not-a-mac", "mac"),
        ("retention_days", "0", "retention_days"),
        ("role", "kitchen", "role"),
        ("name", "", "name"),
    ],
)
def test_a_bad_form_says_why_and_stores_nothing(
    client: TestClient, db: Session, settings: Settings, field: str, value: str, message: str
) -> None:
    make_camera(db, settings, station="S3")
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    s1 = jurisdiction.get_by_code(db, "S1")
    token = csrf_from(client, "/stations/cameras/new")
    before = _count(db)
    reply = client.post("/stations/cameras", data=_form(s1.id, token, **{field: value}))
    assert reply.status_code == 422
    assert 'role="alert"' in reply.text and message in reply.text
    assert "Sup3rSecret" not in reply.text  # the URL is not echoed back
    assert _count(db) == before


def test_a_station_outside_the_charge_is_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_camera(db, settings, station="S3")
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    s3 = jurisdiction.get_by_code(db, "S3")
    token = csrf_from(client, "/stations/cameras/new")
    before = _count(db)
    reply = client.post("/stations/cameras", data=_form(s3.id, token))
    assert reply.status_code == 404 and _count(db) == before


def test_forms_need_the_csrf_token(client: TestClient, db: Session, settings: Settings) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    s1 = jurisdiction.get_by_code(db, "S1")
    before = _count(db)
    assert client.post("/stations/cameras", data=_form(s1.id, "forged")).status_code == 403
    reply = client.post(f"/stations/cameras/{camera.id}", data={"name": "Renamed"})
    assert reply.status_code == 403
    db.refresh(camera)
    assert _count(db) == before and camera.name == "Front desk"


def test_edit_keeps_the_stored_url_when_left_empty(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings, sub_url="rtsp://u:p@127.0.0.1:8554/sub")
    url_enc, masked = camera.main_url_enc, camera.url_masked
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    token = csrf_from(client, f"/stations/cameras/{camera.id}")
    data = {"name": "Desk A", "role": "reception", "retention_days": "30", "serial": "SN-77"}
    data.update(clear_sub="true", has_audio="true", enabled="true", csrf_token=token)
    reply = client.post(f"/stations/cameras/{camera.id}", data=data, follow_redirects=False)
    assert reply.status_code == 303
    db.refresh(camera)
    assert (camera.main_url_enc, camera.url_masked) == (url_enc, masked)
    assert camera.sub_url_enc is None and not camera.night_vision and camera.enabled
    assert (camera.name, camera.retention_days, camera.serial) == ("Desk A", 30, "SN-77")
    bad = client.post(
        f"/stations/cameras/{camera.id}", data={**data, "main_url": "ftp://x", "name": "Nope"}
    )
    assert bad.status_code == 422 and "rtsp://" in bad.text
    db.refresh(camera)
    assert camera.name == "Desk A"


def test_zones_are_saved_and_bad_ones_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    token = csrf_from(client, f"/stations/cameras/{camera.id}")
    triangle = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.6]]
    # a zone drawn before kinds existed is "other"; a kind is never guessed from the name
    zones = [
        {"name": "Bench", "points": triangle},
        {"name": "D", "points": triangle, "kind": "desk"},
    ]
    url = f"/stations/cameras/{camera.id}/zones"
    data = {"zones_json": json.dumps(zones), "csrf_token": token}
    reply = client.post(url, data=data, follow_redirects=False)
    assert reply.status_code == 303
    db.refresh(camera)
    zones[0]["kind"] = "other"
    assert json.loads(camera.zones_json) == zones
    page = client.get(f"/stations/cameras/{camera.id}")
    assert '<option value="waiting">' in page.text and "zone-kind" in page.text
    outside = [{"name": "Out", "points": [[0.1, 0.1], [1.5, 0.1], [0.5, 0.6]]}]
    for body in (
        json.dumps(outside),
        "{not json",
        json.dumps([{"name": "Two", "points": [[0, 0]]}]),
        json.dumps([{"name": "Q", "points": triangle, "kind": "queue"}]),
    ):
        bad = client.post(url, data={"zones_json": body, "csrf_token": token})
        assert bad.status_code == 422 and 'role="alert"' in bad.text
    db.refresh(camera)
    assert json.loads(camera.zones_json) == zones


def test_snapshot_decodes_the_newest_recording(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    make_staff(db, Role.ACP, "C2")
    login(client, "sho-s1")
    url = f"/stations/cameras/{camera.id}/snapshot.jpg"
    assert client.get(url).status_code == 404  # nothing recorded yet
    add_segments(db, settings, camera, template, utcnow() - timedelta(minutes=5))
    before = len(_audits(db, "stations.snapshot.view"))
    reply = client.get(url)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/jpeg"
    assert reply.content[:2] == b"\xff\xd8" and len(reply.content) > 500
    assert len(_audits(db, "stations.snapshot.view")) == before + 1
    client.cookies.clear()
    login(client, "acp-c2")
    assert client.get(url).status_code == 404


def test_roles_without_station_video_are_refused(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.STATION_STAFF, "S1")
    login(client, "station-staff-s1")
    for path in ("/stations/cameras", "/stations/live", f"/stations/cameras/{camera.id}"):
        assert client.get(path).status_code == 403
    assert "/stations/live" not in client.get("/dashboard").text


def test_missing_segment_file_is_404_not_a_crash(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    [seg, *_] = add_segments(db, settings, camera, template, utcnow() - timedelta(minutes=1))
    (settings.recordings_path / seg.path).unlink()
    for later in _:
        (settings.recordings_path / later.path).unlink()
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    assert client.get(f"/stations/cameras/{camera.id}/snapshot.jpg").status_code == 404


def test_an_officer_over_several_stations_picks_one_from_a_summary(
    client: TestClient, db: Session, settings: Settings
) -> None:
    recent = make_camera(db, settings, station="S1", name="Desk")
    recent.last_segment_at = utcnow() - timedelta(minutes=2)
    stale = make_camera(db, settings, station="S1", name="Lockup", role="lockup")
    stale.last_segment_at = utcnow() - timedelta(hours=3)
    make_camera(db, settings, station="S3", name="Far desk")
    db.flush()
    make_staff(db, Role.DCP, "Z1")
    login(client, "dcp-z1")
    s1 = jurisdiction.get_by_code(db, "S1")
    summary = client.get("/stations/cameras").text
    assert 'id="station-summary"' in summary and f"?station={s1.id}" in summary
    row = summary.split(f"?station={s1.id}", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">2</td>' in row and '<td class="num">1</td>' in row
    assert "Desk" not in summary and "S3 en" not in summary  # no camera rows, no other zone
    one = client.get(f"/stations/cameras?station={s1.id}").text
    assert "Desk" in one and "Lockup" in one and 'id="station-summary"' not in one


def test_senior_officers_watch_but_do_not_change_a_camera(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.ACP, "C1")
    login(client, "acp-c1")
    listing = client.get(f"/stations/cameras?station={camera.station_id}")
    assert listing.status_code == 200 and "/stations/cameras/new" not in listing.text
    form = client.get(f"/stations/cameras/{camera.id}")
    assert form.status_code == 200 and "Only the station's SHO or the control room" in form.text
    token = csrf_from(client, f"/stations/cameras/{camera.id}")
    before = db.scalars(select(StationCamera.name)).all()
    changes = [
        ("/stations/cameras", _form(camera.station_id, token, name="ACP's own")),
        (f"/stations/cameras/{camera.id}", {"csrf_token": token, "name": "Renamed"}),
        (f"/stations/cameras/{camera.id}/zones", {"csrf_token": token, "zones_json": "[]"}),
    ]
    for path, data in changes:
        assert client.post(path, data=data).status_code == 403
    assert client.get(f"/stations/cameras/new?station={camera.station_id}").status_code == 403
    db.expire_all()
    assert db.scalars(select(StationCamera.name)).all() == before
