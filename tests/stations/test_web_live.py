"""The live wall and full view through HTTP: tiles by station with the offline badge, the
recorder's HLS files behind sign-in and jurisdiction (types, no caching), one audit row per
view and none per segment."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import UserSession
from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.stations import live, live_access
from nigrani.stations.live_access import LiveGrants
from nigrani.stations.models import StationCamera
from nigrani.stations.web import live as web_live
from tests.accounts.factories import login, make_staff
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:00.000Z
#EXTINF:1.000,
seg41.m4s
"""


@pytest.fixture(autouse=True)
def _no_leftover_feeds(settings: Settings) -> Iterator[None]:
    # Camera ids come back after a rolled-back test; an old folder must not look live.
    yield
    shutil.rmtree(settings.live_path, ignore_errors=True)


def _feed(settings: Settings, camera: StationCamera, stream: str = "main") -> Path:
    folder = live.stream_dir(settings, camera.id, stream)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.m3u8").write_text(PLAYLIST)
    (folder / "init.mp4").write_bytes(b"\x00\x00\x00\x18ftypiso6")
    (folder / "seg41.m4s").write_bytes(b"\x00\x00\x00\x10moof" + b"\x00" * 64)
    return folder


def _actions(db: Session, action: str) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def test_wall_shows_tiles_by_station_with_offline_badge_and_audits_once(
    client: TestClient, db: Session, settings: Settings
) -> None:
    desk = make_camera(db, settings, sub_url="rtsp://u:p@127.0.0.1:8554/desk-sub")
    lockup = make_camera(db, settings, role="lockup", name="Lock-up 1")
    far = make_camera(db, settings, station="S3", name="Far desk")
    _feed(settings, desk, "sub")
    make_staff(db, Role.CONTROL_ROOM, "C")
    make_staff(db, Role.DCP, "Z1")
    login(client, "control-room-operator-c")
    before = len(_actions(db, "stations.live.wall"))
    wall = client.get("/stations/live").text
    assert f'data-src="/stations/live/{desk.id}/sub/index.m3u8"' in wall
    assert f'data-src="/stations/live/{lockup.id}/main/index.m3u8"' in wall
    assert "Far desk" in wall and "S1 en" in wall and "S3 en" in wall
    assert wall.count('data-online="true"') == 1 and wall.count('data-online="false"') == 2
    # Officers read since when a tile has had no picture, not a shell command.
    assert "nigrani recorder" not in wall and "`" not in wall
    assert wall.count("No picture: nothing has been recorded from this camera yet.") == 2
    assert "1 live · 2 no picture" in wall
    assert len(_actions(db, "stations.live.wall")) == before + 1
    client.cookies.clear()
    login(client, "dcp-z1")  # zone Z1 holds S1, not S3
    wall = client.get("/stations/live").text
    assert "Lock-up 1" in wall and "Far desk" not in wall
    assert client.get(f"/stations/live/{far.id}").status_code == 404


def test_full_view_audits_once_and_serves_hls_files_with_types(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    _feed(settings, camera)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    before = len(_actions(db, "stations.live.view"))
    page = client.get(f"/stations/live/{camera.id}").text
    assert 'data-full="true"' in page and "Turn sound on" in page and 'data-online="true"' in page
    base = f"/stations/live/{camera.id}/main"
    playlist = client.get(f"{base}/index.m3u8")
    assert playlist.status_code == 200 and playlist.text == PLAYLIST
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert playlist.headers["cache-control"] == "no-store"
    init, seg = client.get(f"{base}/init.mp4"), client.get(f"{base}/seg41.m4s")
    assert init.headers["content-type"] == "video/mp4" and init.content.endswith(b"ftypiso6")
    assert seg.headers["content-type"] == "video/iso.segment" and seg.content[4:8] == b"moof"
    for _ in range(3):
        client.get(f"{base}/index.m3u8")
    assert len(_actions(db, "stations.live.view")) == before + 1
    row = _actions(db, "stations.live.view")[-1]
    assert row.object_id == str(camera.id) and row.actor_label == "sho-s1"


def test_hls_files_refused_outside_the_charge_and_for_odd_names(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    folder = _feed(settings, camera)
    (folder / "notes.txt").write_text("not media")
    make_staff(db, Role.ACP, "C2")
    make_staff(db, Role.SHO, "S1")
    base = f"/stations/live/{camera.id}/main"
    assert client.get(f"{base}/index.m3u8", follow_redirects=False).status_code == 303  # sign in
    login(client, "acp-c2")
    for path in (f"/stations/live/{camera.id}", f"{base}/index.m3u8", f"{base}/seg41.m4s"):
        assert client.get(path).status_code == 404
    client.cookies.clear()
    login(client, "sho-s1")
    for name in ("notes.txt", "..%2Findex.m3u8", ".hidden.m3u8", "missing.m4s"):
        assert client.get(f"{base}/{name}").status_code == 404
    assert client.get(f"/stations/live/{camera.id}/other/index.m3u8").status_code == 404


def test_stale_playlist_counts_as_offline(db: Session, settings: Settings) -> None:
    camera = make_camera(db, settings)
    folder = _feed(settings, camera)
    assert live.state(settings, camera, prefer_sub=True).online
    old = live.filesystem_now(settings) - live.stale_after(settings) - 5
    os.utime(folder / "index.m3u8", (old, old))
    state = live.state(settings, camera, prefer_sub=True)
    assert state.stream == "main" and not state.online


def test_a_full_wall_pages_across_stations_and_shows_problems_only(
    client: TestClient,
    db: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    freeze: Freeze,
) -> None:
    monkeypatch.setattr(web_live, "WALL_MAX", 2)
    freeze(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # 17:30 IST
    desk, lockup = (make_camera(db, settings, name=n) for n in ("A desk", "B lockup"))
    corridor = make_camera(db, settings, station="S2", name="C corridor")
    lockup.last_segment_at = datetime(2026, 12, 1, 8, 32, tzinfo=UTC)  # 14:02 IST today
    corridor.last_segment_at = datetime(2026, 11, 29, 8, 32, tzinfo=UTC)
    db.flush()
    _feed(settings, desk)
    make_staff(db, Role.ACP, "C1")
    login(client, "acp-c1")
    before = len(_actions(db, "stations.live.wall"))
    first = client.get("/stations/live").text
    assert "1 live · 2 no picture" in first and "Page 1 of 2" in first
    assert "A desk" in first and "B lockup" in first and "C corridor" not in first
    assert "has been down since 14:02 IST" in first
    assert 'href="/stations/live?station=&page=2" rel="next"' in first
    second = client.get("/stations/live?station=&page=2").text
    assert "C corridor" in second and "A desk" not in second and "S2 en" in second
    assert "has been down since 29 Nov, 14:02 IST" in second
    assert "1 live · 2 no picture" in second  # the summary counts the whole wall
    problems = client.get("/stations/live?problems=1").text
    assert "A desk" not in problems and "B lockup" in problems and "C corridor" in problems
    assert (
        "Page 1 of 2" not in problems
        and 'id="problems" name="problems" value="1" checked' in problems
    )
    # A page past the end shows the last one; each opened page is one audit row.
    assert "C corridor" in client.get("/stations/live?page=9").text
    rows = _actions(db, "stations.live.wall")[before:]
    assert [r.detail for r in rows] == [
        f'{{"cameras": [{desk.id}, {lockup.id}]}}',
        f'{{"cameras": [{corridor.id}]}}',
        f'{{"cameras": [{lockup.id}, {corridor.id}]}}',
        f'{{"cameras": [{corridor.id}]}}',
    ]
    assert client.get("/stations/live?page=0").status_code == 422


def test_the_full_view_says_since_when_there_is_no_picture(
    client: TestClient, db: Session, settings: Settings, freeze: Freeze
) -> None:
    freeze(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    camera = make_camera(db, settings)
    camera.last_segment_at = datetime(2026, 12, 1, 8, 32, tzinfo=UTC)
    db.flush()
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    page = client.get(f"/stations/live/{camera.id}").text
    assert "the camera or its recorder has been down since 14:02 IST" in page
    assert "nigrani recorder" not in page
    missing = client.get(f"/stations/live/{camera.id}/main/index.m3u8")
    assert missing.status_code == 404 and "recorder not running" not in missing.text


@pytest.mark.parametrize("path", ["/stations/live", "/stations/cameras"])
def test_the_station_select_sends_all_as_empty_and_odd_values_get_a_clear_error(
    client: TestClient, db: Session, settings: Settings, path: str
) -> None:
    desk = make_camera(db, settings)
    make_staff(db, Role.DCP, "Z1")
    login(client, "dcp-z1")
    assert client.get(f"{path}?station=").status_code == 200  # "All in my charge"
    assert client.get(f"{path}?station={desk.station_id}").status_code == 200
    odd = client.get(f"{path}?station=abc")
    assert odd.status_code == 422 and "Choose a police station" in odd.text


def test_live_files_are_checked_once_per_sign_in_and_camera_then_briefly_remembered(
    app: FastAPI, client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    _feed(settings, camera)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    playlist = f"/stations/live/{camera.id}/main/index.m3u8"
    assert client.get(playlist).status_code == 200
    db.execute(delete(UserSession))  # signed out elsewhere
    db.flush()
    assert client.get(playlist).status_code == 200  # within the grant's seconds
    app.state.live_grants = LiveGrants(ttl_s=0.0)
    assert client.get(playlist, follow_redirects=False).status_code == 303  # to the sign-in


def test_grants_expire_and_the_table_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    grants = LiveGrants(ttl_s=0.05)
    grants.remember(("a", 1))
    assert grants.allowed(("a", 1)) and not grants.allowed(("a", 2))
    time.sleep(0.06)
    assert not grants.allowed(("a", 1))
    monkeypatch.setattr(live_access, "MAX_GRANTS", 3)
    for n in range(3):
        grants.remember(("b", n))
    time.sleep(0.06)
    grants.remember(("c", 1))  # the table is full: the expired pairs go
    assert len(grants) == 1 and grants.allowed(("c", 1))
