"""People now on the alert wall: a worker stores a camera's count only while it holds the
camera's lease; a station's tile sums its cameras counted in the last minute, and a station
with none is shown as not watched; the worker's analyser keeps each camera's latest count
(the people anywhere and those in its waiting zones)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Role
from nigrani.analytics import headcount
from nigrani.analytics.analyse import Analyser, CameraSetup
from nigrani.analytics.detector import Detection, Frame
from nigrani.analytics.feed import Picture
from nigrani.analytics.headcount import Count
from nigrani.analytics.rules import RuleEngine
from nigrani.analytics.spool import Spool
from nigrani.core.config import Settings
from nigrani.core.web_context import LANG_COOKIE
from nigrani.stations.schemas import Zone
from tests.accounts.factories import login, make_staff
from tests.analytics.event_fixtures import T0
from tests.conftest import Freeze
from tests.stations.station_fixtures import camera_with

S = timedelta(seconds=1)


def _tile(html: str, station_id: int) -> str:
    found = re.search(rf'id="tile-{station_id}".*?</a>', html, re.S)
    assert found, f"no tile of station {station_id}"
    return found.group(0)


def test_the_wall_shows_the_people_now_of_the_cameras_counted_in_the_last_minute(
    client: TestClient, db: Session, settings: Settings, freeze: Freeze
) -> None:
    freeze(T0)
    held = {"analytics_leased_by": "w-1", "analytics_lease_until": T0 + 30 * S}
    desk = camera_with(db, settings, "Front desk", **held)
    hall = camera_with(db, settings, "Hall", **held)
    stale = camera_with(db, settings, "Lock-up", **held)
    other = camera_with(db, settings, "Gate", analytics_leased_by="w-2",
                        analytics_lease_until=T0 + 30 * S)  # fmt: skip
    make_staff(db, Role.SHO, "S1", "sho-s1")
    db.commit()
    counts = {
        desk.id: Count(people=4, waiting=3, at=T0 - 5 * S),
        hall.id: Count(people=2, waiting=0, at=T0 - 10 * S),
        stale.id: Count(people=9, waiting=9, at=T0 - 61 * S),  # its feed stalled a minute ago
        other.id: Count(people=7, waiting=7, at=T0),  # another worker holds it: not written
    }
    assert headcount.write(db, me="w-1", counts=counts) == 3
    db.commit()
    s1 = jurisdiction.get_by_code(db, "S1").id
    s2 = jurisdiction.get_by_code(db, "S2").id
    now = headcount.by_station(db, path=jurisdiction.get_by_code(db, "S1").path, now=T0)
    assert now == {s1: headcount.StationCount(people=6, waiting=3, cameras=2)}
    assert login(client, "sho-s1").status_code == 303
    page = client.get("/analytics?lang=en").text
    assert "People now: 6, waiting: 3" in _tile(page, s1)
    home = client.get("/dashboard").text  # the SHO's home counts those waiting now
    waiting = r'data-figure="analytics_waiting">\s*<a class="stat" href="/analytics">3<'
    assert re.search(waiting, home)
    freeze(T0 + 31 * S)  # the worker's lease ran out: nobody watches S1 now
    assert "Not watched now" in _tile(client.get("/analytics").text, s1)
    make_staff(db, Role.COMMISSIONER, "C", "cp-city")
    db.commit()
    client.cookies.clear()
    assert login(client, "cp-city").status_code == 303
    client.cookies.set(LANG_COOKIE, "hi")
    freeze(T0)
    city = client.get("/analytics").text
    assert "अभी लोग: 6, प्रतीक्षा में: 3" in _tile(city, s1)
    assert "अभी निगरानी नहीं" in _tile(city, s2)


def test_the_analyser_keeps_each_cameras_people_and_those_waiting(tmp_path: Path) -> None:
    waiting = Zone(name="bench", kind="waiting", points=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)])
    desk = Zone(name="desk", kind="desk", points=[(0.5, 0), (1, 0), (1, 1), (0.5, 1)])

    class Still:
        """Three people, two of them on the waiting bench (left half), every frame."""

        def detect(self, frames: Sequence[Frame]) -> list[list[Detection]]:
            boxes = [(10, 10, 40, 90), (60, 10, 90, 90), (110, 10, 140, 90)]
            return [[Detection("person", 0.9, b) for b in boxes] for _ in frames]

    analyser = Analyser(Still(), spool=Spool(tmp_path / "spool"),
                        engine=RuleEngine({}), snapshot_bytes=60_000)  # fmt: skip
    analyser.set_up(7, CameraSetup(zones=(waiting, desk)))
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    for i in range(4):  # enough frames for the tracker to confirm them
        at = T0 + i * 0.5 * S
        analyser.process([Picture(7, 1, at, image, detect=True, sound=None)])
    assert analyser.counts() == {7: Count(people=3, waiting=2, at=T0 + 1.5 * S)}
    analyser.forget(7)
    assert analyser.counts() == {}
