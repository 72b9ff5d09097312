"""Station-camera stream addresses that cannot be read are a form error, never a 500 (issue 13:
`rtsp://10.9.9.9:99999/x` and `rtsp://[::1/x` raised ValueError in the service)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.stations.models import StationCamera
from nigrani.stations.service import mask_url
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.stations.station_fixtures import make_camera

BAD = [
    ("rtsp://10.9.9.9:99999/x", "Give the stream address"),  # port past 65535
    ("rtsp://[::1/x", "Give the stream address"),  # an IPv6 bracket left open
    ("rtsp://10.9.9.9:port/x", "Give the stream address"),
    ("rtsp:///Streaming/Channels/101", "has no host"),
    ("rtsp://10.9.9.9:0/x", "from 1 to 65535"),
    ("http://10.0.0.5/stream", "rtsp:// or rtsps://"),
]


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(StationCamera)) or 0


@pytest.mark.parametrize(("url", "message"), BAD)
@pytest.mark.parametrize("field", ["main_url", "sub_url"])
def test_an_unreadable_address_is_a_form_error(
    client: TestClient, db: Session, settings: Settings, url: str, message: str, field: str
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    station = jurisdiction.get_by_code(db, "S1")
    token = csrf_from(client, "/stations/cameras/new")
    form = {
        "station_id": str(station.id),
        "name": "Front desk 1",
        "role": "reception",
        "main_url": "rtsp://10.0.0.5:554/Streaming/Channels/101",
        "retention_days": "548",
        "csrf_token": token,
        field: url,
    }
    before = _count(db)
    added = client.post("/stations/cameras", data=form)
    assert added.status_code == 422 and message in added.text
    assert 'role="alert"' in added.text
    assert _count(db) == before
    edit = {"name": "Desk A", "role": "reception", "retention_days": "30", "csrf_token": token}
    changed = client.post(f"/stations/cameras/{camera.id}", data={**edit, field: url})
    assert changed.status_code == 422 and message in changed.text


def test_a_hindi_page_says_it_in_hindi(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    station = jurisdiction.get_by_code(db, "S1")
    token = csrf_from(client, "/stations/cameras/new")
    form = {
        "station_id": str(station.id),
        "name": "Front desk 1",
        "role": "reception",
        "main_url": "rtsp://[::1/x",
        "retention_days": "548",
        "csrf_token": token,
    }
    reply = client.post("/stations/cameras?lang=hi", data=form)
    assert reply.status_code == 422
    assert "Give the stream address" not in reply.text and "rtsp://" in reply.text


@pytest.mark.parametrize(
    "url", ["rtsp://10.9.9.9:99999/x", "rtsp://[::1/x", "", "::", "rtsp://u:p@[::1]:554/s?x=1"]
)
def test_masking_never_raises(url: str) -> None:
    masked = mask_url(url)
    assert "p@" not in masked and "x=1" not in masked
