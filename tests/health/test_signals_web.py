"""The form for a camera's snapshot URL and ONVIF endpoint, over HTTP: stored encrypted,
shown masked, audited without the secrets; bad input is a clear 422 in English and Hindi;
only those who may set the camera's stream may set these; the health panel shows the
device, its tamper alarm and the snapshot; the station camera's form links here."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.security import FieldCipher
from nigrani.health import targets
from nigrani.health.models import HealthTarget
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)
SNAP = "http://viewer:Sn4pS3cret@192.168.1.20:8080/ISAPI/picture?auth=Qu3ryS3cret"
PASSWORD = "0nv1fS3cret"


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    freeze(NOW)


def _station_target(db: Session, settings: Settings) -> tuple[int, HealthTarget]:
    make_tree(db)
    camera = make_camera(db, settings)
    targets.sync(db, NOW)
    found = db.scalars(select(HealthTarget).where(HealthTarget.station_camera_id == camera.id))
    return camera.id, found.one()


def _sign_in(client: TestClient, db: Session, role: Role, node: str = "S1") -> None:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def _post(client: TestClient, target_id: int, lang: str = "en", **fields: str) -> tuple[int, str]:
    token = csrf_from(client, f"/health/cameras/{target_id}/signals")
    response = client.post(
        f"/health/cameras/{target_id}/signals?lang={lang}",
        data={"csrf_token": token, **fields},
        follow_redirects=False,
    )
    return response.status_code, response.text


def _refusal(page: str) -> str:
    """The form's refusal (a control character is refused by the edge, on its own page)."""
    mark = 'role="alert"' if 'role="alert"' in page else 'class="error"'
    return page.split(mark, 1)[1].split("</p>", 1)[0]


ONVIF = {"onvif_host": "192.168.1.20", "onvif_port": "8000", "onvif_user": "admin"}


def test_sho_sets_both_encrypted_masked_and_audited(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _camera, target = _station_target(db, settings)
    _sign_in(client, db, Role.SHO)
    status, _body = _post(client, target.id, snapshot_url=SNAP, onvif_password=PASSWORD, **ONVIF)
    assert status == 303
    db.expire_all()
    row = db.get(HealthTarget, target.id)
    assert row is not None and row.snapshot_url_enc and row.onvif_enc
    cipher = FieldCipher(settings.encryption_key)
    assert cipher.decrypt(row.snapshot_url_enc) == SNAP
    stored = json.loads(cipher.decrypt(row.onvif_enc))
    assert stored == {"host": "192.168.1.20", "port": 8000, "user": "admin", "password": PASSWORD}
    assert row.snapshot_url_masked == "http://192.168.1.20:8080/ISAPI/picture"
    assert row.onvif_masked == "192.168.1.20:8000"
    page = client.get(f"/health/cameras/{target.id}/signals?lang=en").text
    assert "http://192.168.1.20:8080/ISAPI/picture" in page and "192.168.1.20:8000" in page
    [entry] = audit.entries_for(db, object_type="health_target", object_id=str(target.id))
    assert entry.action == "health.signals.update" and entry.actor_label == "sho-s1"
    shown = page + entry.detail + row.snapshot_url_enc + row.onvif_enc
    for secret in ("Sn4pS3cret", "Qu3ryS3cret", PASSWORD):
        assert secret not in shown
    # Empty fields keep what is stored; a new user at the same place keeps the password.
    assert _post(client, target.id, onvif_user="viewer")[0] == 303
    db.expire_all()
    again = db.get(HealthTarget, target.id)
    assert again is not None and again.onvif_enc and again.snapshot_url_enc
    kept = json.loads(cipher.decrypt(again.onvif_enc))
    assert (kept["user"], kept["password"]) == ("viewer", PASSWORD)
    assert _post(client, target.id, clear_snapshot="true", clear_onvif="true")[0] == 303
    db.expire_all()
    cleared = db.get(HealthTarget, target.id)
    assert cleared is not None and (cleared.snapshot_url_enc, cleared.onvif_enc) == (None, None)


BAD: list[tuple[dict[str, str], str, str]] = [
    ({"snapshot_url": "ftp://192.168.1.20/snap.jpg"}, "as http:// or https://", "http://"),
    ({"snapshot_url": "rtsp://192.168.1.20/1"}, "as http:// or https://", "http://"),
    ({"snapshot_url": "http://cam/snap\x07.jpg"}, "control character", "नियंत्रण"),
    ({"snapshot_url": "http://cam/" + "a" * 500}, "at most 500 characters", "500"),
    ({"snapshot_url": "http://:80/snap.jpg"}, "has no host", "होस्ट"),
    ({"snapshot_url": "http://cam:99999/snap.jpg"}, "as http:// or https://", "http://"),
    ({"onvif_host": "http://192.168.1.20/onvif"}, "no http://", "http://"),
    ({"onvif_host": "192.168.1.20", "onvif_port": "99999"}, "from 1 to 65535", "65535"),
    ({"onvif_host": "cam", "onvif_user": "ad\nmin"}, "control character", "नियंत्रण"),
    ({"onvif_host": "cam", "onvif_password": "p" * 129}, "at most 128", "128"),
    ({"onvif_user": "admin"}, "Give the ONVIF host", "ONVIF"),
]


def test_bad_input_is_a_clear_422_in_english_and_hindi(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _camera, target = _station_target(db, settings)
    _sign_in(client, db, Role.SHO)
    for fields, english, hindi in BAD:
        status, body = _post(client, target.id, **fields)
        assert status == 422 and english in _refusal(body), fields
        status, body = _post(client, target.id, lang="hi", **fields)
        alert = _refusal(body)
        assert status == 422 and hindi in alert and english not in alert, fields
    db.expire_all()
    row = db.get(HealthTarget, target.id)
    assert row is not None and (row.snapshot_url_enc, row.onvif_enc) == (None, None)


def test_a_stored_password_is_not_sent_to_a_new_host(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _camera, target = _station_target(db, settings)
    _sign_in(client, db, Role.SHO)
    assert _post(client, target.id, onvif_password=PASSWORD, **ONVIF)[0] == 303
    status, body = _post(client, target.id, onvif_host="203.0.113.9")
    assert status == 422 and "Enter the ONVIF password again" in body
    assert _post(client, target.id, onvif_host="203.0.113.9", onvif_password="n3w")[0] == 303


@pytest.mark.parametrize(
    ("role", "node"), [(Role.ACP, "C1"), (Role.STATION_STAFF, "S1"), (Role.ADMIN, "C")]
)
def test_who_may_not_set_the_stream_may_not_set_these(
    client: TestClient, db: Session, settings: Settings, role: Role, node: str
) -> None:
    _camera, target = _station_target(db, settings)
    _sign_in(client, db, role, node)
    page = client.get(f"/health/cameras/{target.id}/signals?lang=en").text
    assert "Only those who may change the camera" in page
    assert _post(client, target.id, snapshot_url="http://cam/snap.jpg")[0] == 403
    db.expire_all()
    row = db.get(HealthTarget, target.id)
    assert row is not None and row.snapshot_url_enc is None


def test_a_registry_camera_takes_them_from_who_may_register(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    site = make_site(db, settings)
    targets.sync(db, NOW)
    [target] = db.scalars(
        select(HealthTarget).where(HealthTarget.registry_camera_id == site.cameras[0].id)
    )
    _sign_in(client, db, Role.ADMIN, "C")  # registers cameras; sets up no station camera
    assert _post(client, target.id, snapshot_url="https://cam.example/snap.jpg")[0] == 303


def test_the_panel_shows_device_tamper_and_snapshot(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _camera, target = _station_target(db, settings)
    target.state, target.reason, target.onvif_masked = "degraded", "tampered", "192.168.1.20:80"
    target.last_result = json.dumps(
        {
            "reason": "",
            "onvif": {
                "ok": True, "problem": "", "manufacturer": "Hikvision", "model": "DS-2CD2043G2-I",
                "firmware": "V5.7.3", "events": True, "tamper": ["VideoSource/GlobalSceneChange"],
            },
            "snapshot": {"ok": True, "problem": "", "status_class": "2xx", "latency_ms": 41.0,
                         "bytes": 60_000},
        }
    )  # fmt: skip
    _sign_in(client, db, Role.SHO)
    page = client.get(f"/health/cameras/{target.id}?lang=en").text
    assert "Hikvision DS-2CD2043G2-I" in page and "firmware V5.7.3" in page
    assert "view changed (moved or covered)" in page and "Tampered (the camera" in page
    assert "answers · 2xx · 59 KB · 41 ms" in page
    hindi = client.get(f"/health/cameras/{target.id}?lang=hi").text
    assert "view changed (moved or covered)" not in hindi and "Hikvision" in hindi
    assert "छेड़" in hindi


def test_the_panel_names_an_onvif_failure(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _camera, target = _station_target(db, settings)
    target.onvif_masked = "192.168.1.20:80"
    target.last_result = json.dumps(
        {"reason": "refused", "detail": "stream down, snapshot answers",
         "onvif": {"ok": False, "problem": "auth", "events": False, "tamper": []},
         "snapshot": {"ok": True, "status_class": "2xx", "latency_ms": 9.0, "bytes": 2048}}
    )  # fmt: skip
    _sign_in(client, db, Role.SHO)
    page = client.get(f"/health/cameras/{target.id}?lang=en").text
    assert "user or password refused" in page
    assert "The stream is down but the snapshot answers" in page


def test_the_station_camera_form_links_to_its_signals(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera_id, target = _station_target(db, settings)
    _sign_in(client, db, Role.SHO)
    form = client.get(f"/stations/cameras/{camera_id}?lang=en").text
    assert f'href="/health/station-cameras/{camera_id}/signals"' in form
    response = client.get(f"/health/station-cameras/{camera_id}/signals", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/health/cameras/{target.id}/signals"
    assert client.get("/health/station-cameras/999999/signals").status_code == 404
