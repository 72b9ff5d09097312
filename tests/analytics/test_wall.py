"""The alert wall over HTTP: tiles and feed inside the viewer's charge, the alert page with
its snapshot, steps and a clear 409, the home pages' number, one notification per alert,
and the daily digest. The live stream is in test_wall_stream.py."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import User
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.core.web_context import LANG_COOKIE
from nigrani.evidence.models import CustodyEvent
from tests.accounts.factories import csrf_from, login, make_staff
from tests.analytics.event_fixtures import T0, event_body, jpeg, worker_key
from tests.conftest import Freeze
from tests.core.test_hindi_pages import ALLOWED, LATIN_WORD, latin_words
from tests.stations.station_fixtures import make_camera

URL = "/api/v1/analytics/events"


@pytest.fixture()
def posted(client: TestClient, db: Session, settings: Settings, freeze: Freeze) -> dict[str, Any]:
    """A camera in S1 and one in S2, a worker's key, an alert on each (S1's with a snapshot),
    the officers who read them; nobody signed in."""
    freeze(T0)
    s1 = make_camera(db, settings)
    s2 = make_camera(db, settings, station="S2", name="Lock-up")
    key = worker_key(db)
    for role, node, name in (
        (Role.SHO, "S1", "sho-s1"),
        (Role.SHO, "S2", "sho-s2"),
        (Role.CONTROL_ROOM, "Z1", "control-z1"),
        (Role.CONTROL_ROOM, "Z2", "control-z2"),
        (Role.COMMISSIONER, "C", "cp-city"),
        (Role.STATION_STAFF, "S1", "staff-s1"),
    ):
        make_staff(db, role, node, name)
    db.commit()
    picture = base64.b64encode(jpeg()).decode()
    first = event_body(s1.id, snapshot_jpeg_b64=picture, kind="long_wait")
    first["peak"] = {"zone": "waiting", "max_dwell_s": 1500.0}
    one = client.post(URL, json=first, headers=key)
    two = client.post(URL, json=event_body(s2.id), headers=key)
    assert one.status_code == two.status_code == 201, one.text
    return {"s1": one.json()["id"], "s2": two.json()["id"], "body": first, "key": key}


def _as(client: TestClient, username: str) -> None:
    client.cookies.clear()
    assert login(client, username).status_code == 303


def _count(html: str, station_id: int) -> int:
    tile = re.search(rf'id="tile-{station_id}".*?data-active>(\d+)<', html, re.S)
    assert tile, f"no tile of station {station_id}"
    return int(tile.group(1))


def test_the_wall_shows_only_the_stations_in_ones_charge(
    client: TestClient, db: Session, posted: dict[str, Any]
) -> None:
    s1, s2 = (jurisdiction.get_by_code(db, c).id for c in ("S1", "S2"))
    _as(client, "sho-s1")
    mine = client.get("/analytics")
    assert mine.status_code == 200
    assert _count(mine.text, s1) == 1 and f'id="tile-{s2}"' not in mine.text
    assert (
        f'id="alert-{posted["s1"]}"' in mine.text and f'id="alert-{posted["s2"]}"' not in mine.text
    )
    assert client.get("/analytics?node=Z2").status_code == 403
    _as(client, "cp-city")
    city = client.get("/analytics").text
    assert _count(city, s1) == _count(city, s2) == 1
    narrowed = client.get("/analytics?node=C2").text  # a circle with S3 only
    assert f'id="tile-{s1}"' not in narrowed and f'id="alert-{posted["s1"]}"' not in narrowed
    assert "One person waiting long" in client.get("/analytics?node=C1").text
    _as(client, "staff-s1")  # station staff do not act on alerts
    assert client.get("/analytics").status_code == 403


def _step(client: TestClient, event_id: int, step: str, note: str = "") -> Any:
    token = csrf_from(client, f"/analytics/events/{event_id}")
    return client.post(
        f"/analytics/events/{event_id}/steps",
        data={"step": step, "note": note, "csrf_token": token},
        follow_redirects=False,
    )


def test_the_alert_page_takes_the_steps_and_says_who_acted_first(
    client: TestClient, other_client: TestClient, posted: dict[str, Any]
) -> None:
    alert = posted["s1"]
    _as(client, "sho-s1")
    _as(other_client, "control-z1")
    page = client.get(f"/analytics/events/{alert}").text
    assert "25 min 0 s" in page and "Front desk" in page and 'id="step-acknowledge"' in page
    assert "11:29 IST" in page  # started 05:59 UTC
    late_form = csrf_from(other_client, f"/analytics/events/{alert}")  # both see "open"
    assert _step(client, alert, "acknowledge").status_code == 303
    late = other_client.post(
        f"/analytics/events/{alert}/steps",
        data={"step": "acknowledge", "note": "", "csrf_token": late_form},
    )
    assert late.status_code == 409
    assert (
        "The alert is acknowledged now" in late.text and 'data-status="acknowledged"' in late.text
    )
    assert _step(client, alert, "instruct", "  ").status_code == 422
    assert _step(client, alert, "instruct", "Munshi to hear the family now").status_code == 303
    assert _step(client, alert, "bogus").status_code == 422
    assert _step(client, alert, "resolve", "Heard and sent home").status_code == 303
    done = client.get(f"/analytics/events/{alert}?done=1").text
    steps = re.findall(r'data-step="(\w+)"', done)
    assert steps == ["raised", "acknowledge", "instruct", "resolve"]
    assert "Munshi to hear the family now" in done and 'id="alert-closed"' in done
    _as(other_client, "sho-s2")
    assert other_client.get(f"/analytics/events/{alert}").status_code == 404


def test_a_false_alarm_needs_a_note(client: TestClient, posted: dict[str, Any]) -> None:
    _as(client, "sho-s2")
    assert _step(client, posted["s2"], "false_positive").status_code == 422
    assert _step(client, posted["s2"], "false_positive", "A poster").status_code == 303
    assert 'data-status="false_positive"' in client.get(f"/analytics/events/{posted['s2']}").text


def test_the_snapshot_comes_from_the_evidence_store_with_its_custody(
    client: TestClient, db: Session, posted: dict[str, Any]
) -> None:
    _as(client, "sho-s1")
    shown = client.get(f"/analytics/events/{posted['s1']}/snapshot")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.content == jpeg()
    views = db.scalars(select(CustodyEvent).where(CustodyEvent.action == "viewed")).all()
    assert len(views) == 1
    assert client.get(f"/analytics/events/{posted['s2']}/snapshot").status_code == 404
    _as(client, "sho-s2")
    assert client.get(f"/analytics/events/{posted['s2']}/snapshot").status_code == 404
    assert client.get(f"/analytics/events/{posted['s1']}/snapshot").status_code == 404


def test_the_sho_and_the_control_room_are_told_once_per_alert(
    client: TestClient, db: Session, posted: dict[str, Any]
) -> None:
    ended = posted["body"] | {"ended_at": (T0 - timedelta(seconds=10)).isoformat()}
    assert client.post(URL, json=posted["body"], headers=posted["key"]).status_code == 200
    assert client.post(URL, json=ended, headers=posted["key"]).status_code == 200
    rows = db.scalars(
        select(Notification).where(
            Notification.kind == "analytics.alert", Notification.object_id == posted["s1"]
        )
    ).all()
    told = sorted(r.user_id for r in rows)
    names = {u.id: u.username or "" for u in db.scalars(select(User))}
    # not the control-room account the worker posts as, nor Z2's control room or S2's SHO
    assert sorted(names[t] for t in told) == ["control-z1", "sho-s1"]
    _as(client, "sho-s1")
    listed = client.get("/notifications").text
    assert "New alert at S1 en police station: One person waiting long." in listed
    client.cookies.set(LANG_COOKIE, "hi")
    assert "S1 हिन्दी" in client.get("/notifications").text


@pytest.mark.usefixtures("posted")
def test_home_pages_count_the_alerts_being_handled(client: TestClient) -> None:
    for username, expected in (
        ("sho-s1", "1"),
        ("cp-city", "2"),
        ("control-z1", "2"),
        ("control-z2", "0"),
    ):
        _as(client, username)
        home = client.get("/dashboard").text
        figure = re.search(
            r'data-figure="analytics_alerts">\s*<a class="stat" href="([^"]+)">(\d+)<', home
        )
        assert figure, username
        assert figure.group(2) == expected
        listed = re.search(
            r'<h1>[^<]*<span class="level">(\d+)</span>',
            client.get(figure.group(1).replace("&amp;", "&")).text,
        )
        assert listed and listed.group(1) == expected, username  # the wall behind it agrees
    _as(client, "staff-s1")
    assert 'data-figure="analytics_alerts"' not in client.get("/dashboard").text


def test_the_daily_digest_counts_a_days_alerts_by_rule(
    client: TestClient, db: Session, posted: dict[str, Any]
) -> None:
    s1 = jurisdiction.get_by_code(db, "S1").id
    _as(client, "sho-s1")
    assert _step(client, posted["s1"], "false_positive", "A relative waiting").status_code == 303
    day = client.get(f"/analytics/digest?station={s1}&day=2026-11-02").text
    row = re.search(r'data-kind="long_wait">(.*?)</tr>', day, re.S)
    assert row and re.findall(r">(\d+)<", row.group(1)) == ["1", "0", "1", "0"]
    assert 'id="digest-none"' in client.get(f"/analytics/digest?station={s1}&day=2026-11-01").text
    assert client.get("/analytics/digest").status_code == 200  # the SHO's own station
    s2 = jurisdiction.get_by_code(db, "S2").id
    assert client.get(f"/analytics/digest?station={s2}").status_code == 404
    assert client.get(f"/analytics/digest?station={s1}&day=nonsense").status_code == 422


def test_the_wall_and_the_alert_page_are_hindi(client: TestClient, posted: dict[str, Any]) -> None:
    _as(client, "sho-s1")
    client.cookies.set(LANG_COOKIE, "hi")
    assert _step(client, posted["s1"], "acknowledge").status_code == 303
    # what people typed or named stays as written: the camera, the zone, the test tree, and
    # who took each step (the worker's account and key as the audit names them)
    steps = client.get(f"{URL}/{posted['s1']}/steps").json()
    actors = {w for s in steps for w in LATIN_WORD.findall(s["actor"])}
    typed = frozenset({"Front", "desk", "waiting", "S1", *actors})
    for path in (
        "/analytics",
        f"/analytics/events/{posted['s1']}",
        "/analytics/digest?day=2026-11-02",
    ):
        shown = client.get(path)
        assert shown.status_code == 200
        assert latin_words(shown.text, ALLOWED | typed) == set(), path
    alert = client.get(f"/analytics/events/{posted['s1']}").text
    assert "25 मिनट 0 सेकंड" in alert and "स्वीकार" in alert and "निर्देश दर्ज करें" in alert
