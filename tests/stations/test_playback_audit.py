"""Watching recorded footage is audited beyond the page view (issue 13): each playlist fetch,
and segment fetches once per user, camera and ten minutes of footage per ten quiet minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.stations import watch_audit
from nigrani.stations.models import RecordingSegment
from tests.accounts.factories import login, make_staff
from tests.conftest import Freeze
from tests.stations.footage import Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

START = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 10:00 IST


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("footage"), 3)


def _rows(db: Session, action: str) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.scalars(stmt))


def _url(seg: RecordingSegment) -> str:
    return f"/stations/playback/{seg.camera_id}/segments/{seg.id}.ts"


def test_playlists_and_watched_windows_are_audited_without_a_row_per_file(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    settings: Settings,
    template: Template,
    freeze: Freeze,
) -> None:
    clock = freeze(START + timedelta(hours=2))
    camera = make_camera(db, settings)
    first = add_segments(db, settings, camera, template, START)
    later = add_segments(db, settings, camera, template, START + watch_audit.WINDOW, count=1)
    sho = make_staff(db, Role.SHO, "S1")
    make_staff(db, Role.SHO, "S1", username="sho-two")
    db.commit()
    login(client, "sho-s1")
    assert client.get(f"/stations/playback/{camera.id}/2026-12-01.m3u8").status_code == 200
    [playlist] = _rows(db, watch_audit.PLAYLIST)
    assert (playlist.actor_id, playlist.object_id) == (sho.id, str(camera.id))
    assert '"day": "2026-12-01"' in playlist.detail

    for seg in first * 2:  # every file of one window, twice over
        assert client.get(_url(seg)).status_code == 200
    [watched] = _rows(db, watch_audit.WATCH)
    assert watched.reference == f"{camera.id}@2026-12-01T04:30Z"
    assert '"to": "2026-12-01T04:40:00+00:00"' in watched.detail

    assert client.get(_url(later[0])).status_code == 200  # the next window: a row of its own
    login(other_client, "sho-two")
    assert other_client.get(_url(first[0])).status_code == 200  # another officer: too
    assert len(_rows(db, watch_audit.WATCH)) == 3
    clock.advance(watch_audit.QUIET - timedelta(seconds=1))
    assert client.get(_url(first[1])).status_code == 200
    assert len(_rows(db, watch_audit.WATCH)) == 3
    clock.advance(timedelta(seconds=2))  # quiet for ten minutes: watched again
    assert client.get(_url(first[1])).status_code == 200
    assert len(_rows(db, watch_audit.WATCH)) == 4
