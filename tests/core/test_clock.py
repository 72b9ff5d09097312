"""The one clock: what a route, a service's utcnow() and the scheduler thread read, and how a
test moves it (the freeze fixture, or overriding the get_clock dependency)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nigrani.core import clock
from nigrani.core.db import utcnow
from nigrani.core.deps import Now, get_clock
from tests.conftest import Freeze

MOMENT = datetime(2031, 5, 17, 3, 30, tzinfo=UTC)


def _probe(app: FastAPI) -> None:
    @app.get("/_clock")
    def read(now: Now) -> dict[str, str]:
        # a service deep down calls utcnow(); it must agree with the route's `now`
        return {"route": now.isoformat(), "service": utcnow().isoformat()}


def test_freeze_moves_the_routes_and_the_services_and_the_test(
    app: FastAPI, client: TestClient, freeze: Freeze
) -> None:
    _probe(app)
    fixed = freeze(MOMENT)
    assert utcnow() == MOMENT
    body = client.get("/_clock").json()
    assert body == {"route": MOMENT.isoformat(), "service": MOMENT.isoformat()}
    fixed.advance(timedelta(days=400))
    later = (MOMENT + timedelta(days=400)).isoformat()
    assert client.get("/_clock").json() == {"route": later, "service": later}


def test_the_clock_is_a_dependency_a_test_can_override(app: FastAPI, client: TestClient) -> None:
    _probe(app)
    other = clock.FixedClock(MOMENT - timedelta(hours=1))
    app.dependency_overrides[get_clock] = lambda: other
    body = client.get("/_clock").json()
    assert body["route"] == body["service"] == other.now().isoformat()


def test_unfrozen_is_the_system_clock(app: FastAPI, client: TestClient) -> None:
    _probe(app)
    before = datetime.now(UTC)
    seen = datetime.fromisoformat(client.get("/_clock").json()["service"])
    assert before <= seen <= datetime.now(UTC)


def test_a_thread_runs_with_the_clock_it_is_given() -> None:
    fixed = clock.FixedClock(MOMENT)
    seen: list[datetime] = []
    thread = threading.Thread(target=clock.run_with, args=(fixed, lambda: seen.append(utcnow())))
    thread.start()
    thread.join()
    assert seen == [MOMENT]
    assert clock.current() is clock.SYSTEM  # the caller's context is untouched


def test_use_binds_for_a_block_only() -> None:
    with clock.use(clock.FixedClock(MOMENT)):
        assert utcnow() == MOMENT
    assert clock.current() is clock.SYSTEM
    with pytest.raises(ValueError, match="aware"):
        clock.FixedClock(datetime(2030, 1, 1))
