"""Opening the live wall and the full view as services: what a wall plays (charge, enabled,
a page of them, those with no picture), the context grouped by station, one audit row
each, never a commit."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.stations import live, views
from nigrani.stations.models import StationCamera
from tests.stations.station_fixtures import make_camera

ACTOR = audit.Actor(id=None, label="sho-s1")


@pytest.fixture(autouse=True)
def _no_leftover_feeds(settings: Settings) -> Iterator[None]:
    # Camera ids come back after a rolled-back test; an old folder must not look live.
    yield
    shutil.rmtree(settings.live_path, ignore_errors=True)


def _feed(settings: Settings, camera: StationCamera, stream: str = "main") -> None:
    folder = live.stream_dir(settings, camera.id, stream)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / live.PLAYLIST).write_text("#EXTM3U\n")


def _rows(db: Session, action: str) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def test_a_wall_pages_enabled_cameras_in_the_charge_and_audits_each_page(
    db: Session, settings: Settings
) -> None:
    desk = make_camera(db, settings, name="A desk", sub_url="rtsp://u:p@127.0.0.1:8554/sub")
    lockup = make_camera(db, settings, name="B lockup")
    corridor = make_camera(db, settings, name="C corridor")
    off = make_camera(db, settings, name="D off")
    make_camera(db, settings, station="S3", name="Far desk")
    off.enabled = False
    db.flush()
    _feed(settings, desk, "sub")
    _feed(settings, corridor)
    zone = jurisdiction.get_by_code(db, "Z1")
    wall = live.open_wall(db, settings=settings, actor=ACTOR, scope=zone, station_id=None, limit=2)
    assert [c.name for c in wall.cameras] == ["A desk", "B lockup"]  # the listing's order
    assert wall.tiles[desk.id].stream == "sub" and not wall.tiles[lockup.id].online
    assert (wall.live, wall.down, wall.page, wall.pages) == (2, 1, 1, 2)
    assert off.id not in wall.tiles  # a disabled camera is no tile, nor counted
    assert _rows(db, "stations.live.wall") == []  # written at the caller's commit, not here
    last = live.open_wall(
        db, settings=settings, actor=ACTOR, scope=zone, station_id=None, limit=2, page=2
    )
    assert [c.name for c in last.cameras] == ["C corridor"] and last.tiles[corridor.id].online
    dark = live.open_wall(
        db, settings=settings, actor=ACTOR, scope=zone, station_id=None, limit=2,
        problems_only=True,
    )  # fmt: skip
    assert [c.name for c in dark.cameras] == ["B lockup"] and (dark.live, dark.down) == (2, 1)
    db.commit()
    first, *_rest = _rows(db, "stations.live.wall")
    assert (first.object_type, first.object_id) == ("jurisdiction_node", str(zone.id))
    assert json.loads(first.detail) == {"cameras": sorted([desk.id, lockup.id])}


def test_a_station_picked_outside_the_charge_shows_nothing_and_is_audited_by_its_id(
    db: Session, settings: Settings
) -> None:
    far = make_camera(db, settings, station="S3", name="Far desk")
    zone = jurisdiction.get_by_code(db, "Z1")
    wall = live.open_wall(
        db, settings=settings, actor=ACTOR, scope=zone, station_id=far.station_id, limit=24
    )
    assert (wall.cameras, wall.tiles, wall.live, wall.down, wall.pages) == ([], {}, 0, 0, 1)
    db.commit()
    [row] = _rows(db, "stations.live.wall")
    assert row.object_id == str(far.station_id) and json.loads(row.detail) == {"cameras": []}


def test_the_wall_context_groups_shown_cameras_by_station(db: Session, settings: Settings) -> None:
    desk = make_camera(db, settings, name="Front desk")
    other = make_camera(db, settings, station="S2", name="Gate")
    zone = jurisdiction.get_by_code(db, "Z1")
    context = views.wall(db, settings=settings, actor=ACTOR, scope=zone, station_id=None, limit=24)
    assert [(s.code, [c.id for c in cams]) for s, cams in context["groups"]] == [
        ("S1", [desk.id]),
        ("S2", [other.id]),
    ]
    assert [s.code for s in context["stations"]] == ["S1", "S2"] and context["wall"].pages == 1
    assert context["down_text"][desk.id].startswith("No picture: nothing has been recorded")
    only = views.wall(
        db, settings=settings, actor=ACTOR, scope=zone, station_id=other.station_id, limit=24
    )
    assert [s.code for s, _ in only["groups"]] == ["S2"] and only["station"] == other.station_id
    db.commit()
    assert len(_rows(db, "stations.live.wall")) == 2


def test_the_full_view_plays_the_main_stream_and_audits_once(
    db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings, sub_url="rtsp://u:p@127.0.0.1:8554/sub")
    _feed(settings, camera, "sub")
    tile = live.open_view(db, settings=settings, actor=ACTOR, camera=camera)
    assert (tile.stream, tile.online) == ("main", False)  # the sub-stream has no sound
    context = views.full_view(db, settings=settings, actor=ACTOR, camera=camera)
    assert context["station"].id == camera.station_id and context["tile"].stream == "main"
    assert _rows(db, "stations.live.view") == []
    db.commit()
    rows = _rows(db, "stations.live.view")
    assert len(rows) == 2 and rows[0].object_id == str(camera.id)
    assert json.loads(rows[0].detail) == {"stream": "main", "station": camera.node_path}
    assert rows[0].actor_label == "sho-s1"
