"""A camera's health panel and accepting a new reference view: who may, what it changes, the
audit row, the pictures beside each other, and jurisdiction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.health import reference
from nigrani.health.models import HealthTarget
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import Freeze, SwitchClock

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 12:00 IST: the day's reference
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture()
def media(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture()
def client(
    settings: Settings, sessions: sessionmaker[Session], clock: SwitchClock, media: Path
) -> Iterator[TestClient]:
    """The app with its own media folder, so no other test's snapshot is seen here."""
    app: FastAPI = create_app(settings.model_copy(update={"media_dir": media}), clock=clock)
    app.state.sessions = sessions
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    freeze(NOW)


def _target(db: Session, station: str = "S1", **fields: object) -> HealthTarget:
    node = jurisdiction.get_by_code(db, station)
    values: dict[str, object] = {
        "node_path": node.path, "category_code": "smart_city", "team": "smart_city",
        "state": "degraded", "reason": "moved", "since": NOW, "due_at": NOW,
        "created_at": NOW, "updated_at": NOW,
    } | fields  # fmt: skip
    target = HealthTarget(**values)
    db.add(target)
    db.flush()
    return target


def _files(media: Path, target: HealthTarget) -> None:
    (media / "health").mkdir(parents=True, exist_ok=True)
    for name in ("day", "night", "current"):
        (media / "health" / f"{target.id}-{name}.jpg").write_bytes(JPEG + name.encode())
    target.reference_day = f"health/{target.id}-day.jpg"
    target.reference_night = f"health/{target.id}-night.jpg"


def _accept(client: TestClient, target_id: int) -> int:
    token = csrf_from(client, f"/health/cameras/{target_id}")
    url = f"/health/cameras/{target_id}/reference"
    response = client.post(url, data={"csrf_token": token}, follow_redirects=False)
    return int(response.status_code)


def _sign_in(client: TestClient, db: Session, role: Role, node: str) -> None:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def test_the_panel_shows_the_reference_beside_the_current_view(
    client: TestClient, db: Session, media: Path
) -> None:
    make_tree(db)
    target = _target(db)
    _files(media, target)
    _sign_in(client, db, Role.SHO, "S1")
    page = client.get(f"/health/cameras/{target.id}?lang=en").text
    assert page.count('src="data:image/jpeg;base64,') == 3
    assert "Reference view, day" in page and "Current view" in page and "View moved" in page
    assert 'id="accept-reference"' in page
    hindi = client.get(f"/health/cameras/{target.id}?lang=hi").text
    assert "संदर्भ" in hindi


def test_sho_accepts_the_current_view_and_it_is_audited(
    client: TestClient, db: Session, media: Path
) -> None:
    make_tree(db)
    target = _target(db)
    _files(media, target)
    _sign_in(client, db, Role.SHO, "S1")
    assert _accept(client, target.id) == 303
    db.expire_all()
    found = db.get(HealthTarget, target.id)
    assert found is not None
    day = f"health/{target.id}-day.jpg"
    assert (found.reference_day, found.reference_night) == (day, None)
    assert (media / day).read_bytes() == JPEG + b"current"
    assert found.reference_set_at == NOW and found.reference_set_by is not None
    [row] = audit.entries_for(db, object_type="health_target", object_id=str(target.id))
    assert (row.action, row.actor_label) == ("health.reference", "sho-s1")
    assert '"now": true' in row.detail
    page = client.get(f"/health/cameras/{target.id}?saved=1&lang=en").text
    assert "is the camera's reference now" in page


def test_without_a_current_view_the_next_good_probe_sets_it(db: Session, media: Path) -> None:
    make_tree(db)
    target = _target(db, reference_day="health/x-day.jpg", reference_night="health/x-night.jpg")
    actor = audit.Actor(None, "test")
    assert not reference.accept(db, target=target, actor=actor, media=media, night=True, now=NOW)
    assert (target.reference_day, target.reference_night) == (None, None)


@pytest.mark.parametrize("role", [Role.ACP, Role.DCP, Role.COMMISSIONER, Role.STATION_STAFF])
def test_roles_without_the_permission_are_refused(
    client: TestClient, db: Session, media: Path, role: Role
) -> None:
    tree = make_tree(db)
    target = _target(db)
    _files(media, target)
    node = {Role.ACP: "C1", Role.DCP: "Z1", Role.COMMISSIONER: "C"}.get(role, "S1")
    _sign_in(client, db, role, node)
    page = client.get(f"/health/cameras/{target.id}").text
    assert 'id="accept-reference"' not in page  # they see the panel, not the button
    assert _accept(client, target.id) == 403
    db.expire_all()
    assert db.get(HealthTarget, target.id).reference_day is not None  # type: ignore[union-attr]
    assert audit.entries_for(db, object_type="health_target", object_id=str(target.id)) == []
    assert tree  # the tree was made


def test_another_stations_camera_is_not_found(client: TestClient, db: Session) -> None:
    make_tree(db)
    target = _target(db, station="S2")
    _sign_in(client, db, Role.SHO, "S1")
    assert client.get(f"/health/cameras/{target.id}").status_code == 404
    assert _accept(client, 1) in (403, 404)  # no CSRF page to read: refused either way
    db.expire_all()
    assert db.get(HealthTarget, target.id).reference_set_at is None  # type: ignore[union-attr]
