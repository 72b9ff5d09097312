"""A raised voice's level trace: the rules give it the room's level from 30 s before the
voice rose until its end (capped), with the baseline and the threshold; the server refuses
a trace out of bounds, keeps the longest, and the alert page draws it as an SVG chart."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.analytics.level_trace import MAX_POINTS, PRE_S, LevelTrace
from nigrani.analytics.trace_chart import chart
from nigrani.core.config import Settings
from nigrani.core.web_context import LANG_COOKIE
from tests.accounts.factories import login, make_staff
from tests.analytics.event_fixtures import T0, event_body, worker_key
from tests.analytics.test_rules import at, engine, feed, voice
from tests.conftest import Freeze
from tests.core.test_hindi_pages import ALLOWED, latin_words
from tests.stations.station_fixtures import make_camera

URL = "/api/v1/analytics/events"


def test_the_rules_trace_the_room_around_a_raised_voice() -> None:
    eng = engine()  # 12 dB over the room's -40 dB for 3 s, grace 2 s
    calm = [voice(i * 0.5, -41.0 + (i % 3)) for i in range(100)]  # 0 .. 49.5 s
    loud = [voice(50 + i * 0.5, -22.0) for i in range(16)]  # 50 .. 57.5 s
    after = [voice(58 + i * 0.5, -40.0) for i in range(6)]  # ends at 58 s
    start, end = (c for c in feed(eng, calm + loud + after))
    assert (start.change, end.change) == ("start", "end")
    first, last = start.event.trace, end.event.trace
    assert first is not None and last is not None
    assert first.start == last.start == at(50 - PRE_S)
    assert (first.baseline_db, first.threshold_db) == (-40.0, -28.0)
    # the pre-roll: each half second from 20 s on, the calm then the voice rising
    assert first.points[0] == (0.0, -40.0) and first.points[60] == (30.0, -22.0)
    times = [t for t, _ in last.points]
    assert times == sorted(times) and times[-1] == 39.5  # to the window before the end
    assert last.points[: len(first.points)] == first.points
    assert [db for t, db in last.points if 30 <= t < 38] == [-22.0] * 16


def test_a_long_voice_keeps_its_first_minutes() -> None:
    eng = engine()
    loud = [voice(i * 0.5, -20.0) for i in range(MAX_POINTS + 200)]
    changes = feed(eng, [*loud, voice(1000, -40.0), voice(1003, -40.0)])
    [end] = [c for c in changes if c.change == "end"]
    assert end.event.trace is not None and len(end.event.trace.points) == MAX_POINTS


@pytest.fixture()
def poster(db: Session, settings: Settings, freeze: Freeze) -> dict[str, Any]:
    freeze(T0)
    camera = make_camera(db, settings)
    key = worker_key(db)
    make_staff(db, Role.SHO, "S1", "sho-s1")
    db.commit()
    return {"camera": camera.id, "key": key}


def _trace(points: list[Any], **kw: Any) -> dict[str, Any]:
    start = (T0 - timedelta(seconds=60)).isoformat()
    return {"start": start, "points": points, "baseline_db": -40.0, "threshold_db": -28.0} | kw


def _voice(camera: int, trace: dict[str, Any] | None, **kw: Any) -> dict[str, Any]:
    started = (T0 - timedelta(seconds=30)).isoformat()
    peak = {"max_over_db": 18.0, "max_level_db": -22.0}
    return event_body(camera, kind="raised_voice", started_at=started, peak=peak, trace=trace) | kw


@pytest.mark.parametrize(
    "trace",
    [
        _trace([[0, -40], [0.5, 20.0]]),  # louder than any microphone
        _trace([[0, -130.0]]),
        _trace([[1.0, -40], [0.5, -40]]),  # out of order
        _trace([[i / 2, -40] for i in range(MAX_POINTS + 1)]),
        _trace([[0, -40]], threshold_db=45.0),
        _trace([[0, -40]], extra=1),
    ],
)
def test_a_trace_out_of_bounds_is_refused(
    client: TestClient, poster: dict[str, Any], trace: dict[str, Any]
) -> None:
    refused = client.post(URL, json=_voice(poster["camera"], trace), headers=poster["key"])
    assert refused.status_code == 422, refused.text


def test_a_trace_of_nan_is_refused(client: TestClient, poster: dict[str, Any]) -> None:
    body = _voice(poster["camera"], _trace([[0, -40.0], [0.5, float("nan")]]))
    text = json.dumps(body)  # Python writes NaN, which the server's JSON reader takes
    assert "NaN" in text
    headers = poster["key"] | {"Content-Type": "application/json"}
    assert client.post(URL, content=text, headers=headers).status_code == 422


def test_the_alert_page_draws_the_trace(client: TestClient, poster: dict[str, Any]) -> None:
    short = _trace([[i / 2, -40.0 + (i > 60) * 18] for i in range(70)])
    body = _voice(poster["camera"], short)
    assert client.post(URL, json=body, headers=poster["key"]).status_code == 201
    longer = _trace([[i / 2, -40.0 + (60 < i < 75) * 18] for i in range(90)])
    ended = body | {"trace": longer, "ended_at": (T0 - timedelta(seconds=15)).isoformat()}
    moved = client.post(URL, json=ended, headers=poster["key"])
    assert moved.status_code == 200
    assert client.post(URL, json=body, headers=poster["key"]).status_code == 200  # stale
    assert login(client, "sho-s1").status_code == 303
    page = client.get(f"/analytics/events/{moved.json()['id']}").text
    [points] = re.findall(r'<polyline class="trace-level" points="([^"]+)"', page)
    assert len(points.split()) == 90  # the longer trace, kept over the stale retry
    assert 'id="trace-baseline"' in page and 'id="trace-threshold"' in page
    assert "usual speech level: -40 dB" in page and "Threshold: -28 dB" in page
    client.cookies.set(LANG_COOKIE, "hi")
    hindi = client.get(f"/analytics/events/{moved.json()['id']}").text
    assert "सीमा: -28 dB" in hindi
    begin = hindi.rindex("<section", 0, hindi.index('id="alert-media"'))
    section = hindi[begin : hindi.index("</section>", begin)]
    assert latin_words(section, ALLOWED | {"dB"}) == set()


def test_the_chart_scales_to_its_box() -> None:
    trace = LevelTrace(
        start=T0, points=[(0.0, -50.0), (1.0, -45.0), (9.0, -10.0)], baseline_db=-45.0,
        threshold_db=-33.0,
    )  # fmt: skip
    drawn = chart(trace, started_at=T0 + timedelta(seconds=2), ended_at=T0 + timedelta(seconds=8))
    assert len(drawn.lines) == 2  # 1 s to 9 s: the sound was away, not joined
    xs = [float(p.split(",")[0]) for line in drawn.lines for p in line.split()]
    ys = [float(p.split(",")[1]) for line in drawn.lines for p in line.split()]
    assert min(xs) == drawn.left and max(xs) == drawn.right
    assert drawn.top <= min(ys) and max(ys) <= drawn.bottom
    assert drawn.threshold_y is not None and drawn.baseline_y is not None
    assert drawn.threshold_y < drawn.baseline_y  # louder is higher
    assert [t.label for t in drawn.x_ticks] == ["0", "+5"]  # seconds from the alert's start
