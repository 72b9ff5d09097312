"""The wall's live feed end to end: the app served by uvicorn on a loopback port, on a
database of the module's own where commits are real (PostgreSQL's NOTIFY is delivered only
on commit), read by httpx as a browser's EventSource would. Every wait is bounded."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import SESSION_COOKIE
from nigrani.accounts.roles import Role
from nigrani.analytics import alert_feed
from nigrani.analytics.models import AnalyticsEvent
from nigrani.analytics.web import wall as wall_web
from nigrani.app import create_app
from nigrani.core import clock as clocks
from nigrani.core.config import Settings
from nigrani.core.web_context import CSRF_COOKIE, CSRF_HEADER, csrf_token_for
from tests.accounts.factories import make_staff
from tests.analytics.event_fixtures import T0, event_body, worker_key
from tests.health.state_factories import own_database
from tests.serving import in_thread
from tests.stations.station_fixtures import make_camera

READ_S = 5.0  # the longest any read of the stream may wait


@dataclass(slots=True)
class World:
    url: str
    settings: Settings
    sessions: sessionmaker[Session]
    engine: Any
    cameras: dict[str, int]
    key: dict[str, str]
    cookies: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for sessions, settings in own_database(tmp_path_factory.mktemp("wall-stream")):
        fixed = clocks.FixedClock(T0)
        app = create_app(settings, clock=fixed)
        with clocks.use(fixed), sessions() as db:
            cameras = {
                s: make_camera(db, settings, station=s, name=f"Desk {s}").id for s in ("S1", "S2")
            }
            key = worker_key(db)
            cookies = {}
            for name, role, node in (
                ("sho-s1", Role.SHO, "S1"),
                ("cp-city", Role.COMMISSIONER, "C"),
            ):
                user = make_staff(db, role, node, name)
                session_cookie = accounts_service.start_session(db, user=user, settings=settings)
                cookies[name] = {SESSION_COOKIE: session_cookie, CSRF_COOKIE: "stream-csrf"}
            db.commit()
        try:
            with in_thread(app) as url:
                yield World(url, settings, sessions, app.state.engine, cameras, key, cookies)
        finally:
            app.state.engine.dispose()


@dataclass(slots=True)
class Reader:
    """The lines of one open stream, read with a deadline."""

    lines: Iterator[str]

    def until(self, wanted: str, *, within_s: float = READ_S) -> list[str]:
        """The lines read up to and with the first that starts with `wanted`."""
        deadline = time.monotonic() + within_s
        seen: list[str] = []
        for line in self.lines:
            seen.append(line)
            if line.startswith(wanted):
                return seen
            assert time.monotonic() < deadline, f"no {wanted!r} within {within_s} s: {seen}"
        raise AssertionError(f"the stream ended before {wanted!r}: {seen}")

    def next_alert(self) -> dict[str, Any]:
        return self.next_message()[2]

    def next_message(self) -> tuple[str, int, dict[str, Any]]:
        """The next event's type, id and data (an id-only message is skipped)."""
        lines = self.until("data: ")
        kind = [x for x in lines if x.startswith("event: ")][-1].removeprefix("event: ")
        number = int([x for x in lines if x.startswith("id: ")][-1].removeprefix("id: "))
        found: dict[str, Any] = json.loads(lines[-1].removeprefix("data: "))
        return kind, number, found


def _open(
    world: World, who: str, *, last_id: str | None = None, path: str = "/analytics/stream"
) -> tuple[httpx.Client, Any]:
    client = httpx.Client(base_url=world.url, cookies=world.cookies[who], timeout=READ_S)
    headers = {} if last_id is None else {"Last-Event-ID": last_id}
    stream = client.stream("GET", path, headers=headers)
    return client, stream


def _post(world: World, station: str) -> int:
    body = event_body(world.cameras[station])
    reply = httpx.post(f"{world.url}/api/v1/analytics/events", json=body, headers=world.key)
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def test_an_alert_posted_after_connecting_arrives_within_a_second_and_only_in_charge(
    world: World,
) -> None:
    client, stream = _open(world, "sho-s1")
    with client, stream as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        other = _post(world, "S2")  # another station's: never on this SHO's stream
        mine = _post(world, "S1")
        posted = time.monotonic()
        alert = reader.next_alert()
        took = time.monotonic() - posted
        assert alert["id"] == mine and alert["id"] != other
        assert alert["active"] >= 1 and f'id="alert-{mine}"' in alert["html"]
        assert "Desk S1" in alert["html"]
        assert took < 1.0, f"{took:.2f} s"


def test_a_step_taken_on_an_alert_is_pushed_to_the_wall_above(world: World) -> None:
    client, stream = _open(world, "cp-city")
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        first, second = _post(world, "S2"), _post(world, "S1")
        assert [reader.next_alert()["id"], reader.next_alert()["id"]] == [first, second]
        headers = {CSRF_HEADER: csrf_token_for(world.settings.secret_key, "stream-csrf")}
        with httpx.Client(base_url=world.url, cookies=world.cookies["cp-city"]) as officer:
            step = officer.post(
                f"/api/v1/analytics/events/{first}/steps",
                json={"step": "acknowledge", "note": ""},
                headers=headers,
            )
        assert step.status_code == 200, step.text
        changed = reader.next_alert()
        assert changed["id"] == first and "acknowledged" in changed["html"]


def _listeners(world: World) -> int:
    if world.engine.dialect.name == "postgresql":
        with world.engine.connect() as conn:
            found = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND query LIKE 'LISTEN%'"
                )
            )
        return int(found or 0)
    return alert_feed.broker_for(world.engine).count()


def test_a_quiet_stream_sends_heartbeats_and_ends_when_the_client_goes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wall_web, "HEARTBEAT_S", 0.3)
    monkeypatch.setattr(wall_web, "WAIT_S", 0.1)
    client, stream = _open(world, "sho-s1")
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        assert _listeners(world) == 1
        reader.until(": heartbeat", within_s=2.0)
    deadline = time.monotonic() + 5.0
    while _listeners(world) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _listeners(world) == 0


def _acknowledge(world: World, event_id: int) -> None:
    headers = {CSRF_HEADER: csrf_token_for(world.settings.secret_key, "stream-csrf")}
    with httpx.Client(base_url=world.url, cookies=world.cookies["cp-city"]) as officer:
        step = officer.post(
            f"/api/v1/analytics/events/{event_id}/steps",
            json={"step": "acknowledge", "note": ""},
            headers=headers,
        )
    assert step.status_code == 200, step.text


def test_a_page_back_after_a_gap_gets_what_changed_once_in_order_and_only_in_charge(
    world: World,
) -> None:
    client, stream = _open(world, "sho-s1")
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        first = _post(world, "S1")
        _kind, last_id, alert = reader.next_message()
        assert alert["id"] == first and alert["seq"] == last_id
    # Away: another station's alert, a new one here, and a step on the first.
    _post(world, "S2")
    second = _post(world, "S1")
    _acknowledge(world, first)
    client, stream = _open(world, "sho-s1", last_id=str(last_id))
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        missed = [reader.next_message() for _ in range(2)]
        assert [m[2]["id"] for m in missed] == [second, first]
        assert "acknowledged" in missed[1][2]["html"]
        assert last_id < missed[0][1] < missed[1][1]  # numbered in the order they changed
        # then live, and what was replayed is not sent again
        third = _post(world, "S1")
        assert reader.next_alert()["id"] == third


def test_a_malformed_or_unknown_last_event_id_starts_from_now(world: World) -> None:
    _post(world, "S1")  # made before: never replayed to these
    for last_id in ("-3", "1" * 30, str(10**15)):  # not a number, too long, unknown
        client, stream = _open(world, "sho-s1", last_id=last_id)
        with client, stream as response:
            assert response.status_code == 200, last_id
            reader = Reader(response.iter_lines())
            reader.until(": connected")
            mine = _post(world, "S1")
            assert reader.next_alert()["id"] == mine, last_id


def test_the_wall_page_streams_from_what_it_showed(world: World) -> None:
    with httpx.Client(base_url=world.url, cookies=world.cookies["sho-s1"]) as client:
        page = client.get("/analytics")
    assert page.status_code == 200
    path = page.text.split('data-stream="')[1].split('"')[0]
    assert path.startswith("/analytics/stream?after=")
    between = _post(world, "S1")  # after the page, before its stream: not lost
    client, stream = _open(world, "sho-s1", path=path)
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        assert reader.next_alert()["id"] == between


def test_a_page_that_missed_too_much_is_told_to_reload(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wall_web, "REPLAY_MAX", 1)
    client, stream = _open(world, "sho-s1")
    with client, stream as response:
        reader = Reader(response.iter_lines())
        reader.until(": connected")
        _post(world, "S1")
        last_id = reader.next_message()[1]
    _post(world, "S1")
    _post(world, "S1")
    client, stream = _open(world, "sho-s1", last_id=str(last_id))
    with client, stream as response:
        reader = Reader(response.iter_lines())
        kind, number, _data = reader.next_message()
        assert kind == "reload" and number > last_id


def test_a_change_number_is_committed_before_the_next_is_drawn(world: World) -> None:
    """A transaction that has drawn its number holds the counter until it commits: one
    changing an event meanwhile waits, and gets the next number after it."""
    event_id = _post(world, "S1")
    holder = world.sessions()
    drawn = alert_feed.draw_numbers(holder, count=1)  # drawn, not yet committed
    done: list[int] = []

    def other() -> None:
        with world.sessions() as db:
            alert_feed.announce(db, event_id=event_id)
            db.commit()
            done.append(db.get_one(AnalyticsEvent, event_id).change_seq)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive() and not done  # waiting for the holder's commit
    holder.commit()
    holder.close()
    thread.join(READ_S)
    assert done == [drawn + 1]
