"""POST /api/v1/analytics/events/{id}/steps: officers acknowledge an alert, record the
instruction given, resolve it or mark it a false positive, inside their charge, audited."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts import service as accounts_service
from nigrani.accounts.roles import Role
from nigrani.analytics import workflow
from nigrani.analytics.models import AnalyticsEvent
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, login, make_staff
from tests.analytics.event_fixtures import T0, event_body, worker_key
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

URL = "/api/v1/analytics/events"


@pytest.fixture()
def event_id(client: TestClient, db: Session, settings: Settings, freeze: Freeze) -> int:
    """An open alert on a camera of S1, posted by a worker; an SHO of S1 signed in."""
    freeze(T0)
    camera = make_camera(db, settings)
    key = worker_key(db)
    make_staff(db, Role.SHO, "S1", "sho-s1")
    db.commit()
    reply = client.post(URL, json=event_body(camera.id), headers=key)
    assert reply.status_code == 201, reply.text
    login(client, "sho-s1")
    client.headers["X-CSRF-Token"] = csrf_from(client, "/dashboard")
    return int(reply.json()["id"])


def step(client: TestClient, event_id: int, name: str, note: str = "", **headers: str) -> Any:
    return client.post(
        f"{URL}/{event_id}/steps", json={"step": name, "note": note}, headers=headers
    )


def test_acknowledge_then_instruct_then_resolve_with_notes_audited(
    client: TestClient, db: Session, event_id: int
) -> None:
    assert step(client, event_id, "acknowledge").json()["status"] == "acknowledged"
    no_note = step(client, event_id, "instruct", "   ")
    assert no_note.status_code == 422 and no_note.json()["error"]["field"] == "note"
    told = step(client, event_id, "instruct", "Munshi to take the complainants' statements now")
    assert told.json()["status"] == "instructed"
    assert step(client, event_id, "resolve", "All four heard").json()["status"] == "resolved"
    timeline = client.get(f"{URL}/{event_id}/steps").json()
    assert [(s["step"], s["status"]) for s in timeline] == [
        ("raised", "open"),
        ("acknowledge", "acknowledged"),
        ("instruct", "instructed"),
        ("resolve", "resolved"),
    ]
    assert {s["actor"] for s in timeline[1:]} == {"sho-s1"}
    assert timeline[2]["note"] == "Munshi to take the complainants' statements now"
    rows = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "analytics_event")
        .order_by(AuditEntry.id)
    ).all()
    assert [r.action for r in rows] == [
        "analytics.event.raised",
        "analytics.event.acknowledge",
        "analytics.event.instruct",
        "analytics.event.resolve",
    ]
    assert rows[-1].reason == "All four heard"
    assert audit.verify(db).ok


def test_a_step_the_alert_has_moved_past_is_a_clear_conflict(
    client: TestClient, event_id: int
) -> None:
    assert step(client, event_id, "false_positive", "A poster of a crowd").status_code == 200
    late = step(client, event_id, "acknowledge", **{"Accept-Language": "en"})
    assert late.status_code == 409
    assert late.json()["error"]["message"].startswith("The alert is false positive now")
    hindi = step(client, event_id, "resolve", "x", **{"Accept-Language": "hi"})
    assert hindi.status_code == 409 and "झूठा अलर्ट" in hindi.json()["error"]["message"]
    assert client.get(f"{URL}/{event_id}").json()["status"] == "false_positive"


def test_steps_are_for_officers_in_charge_and_never_for_keys(
    client: TestClient, other_client: TestClient, db: Session, event_id: int
) -> None:
    make_staff(db, Role.SHO, "S2", "sho-s2")
    make_staff(db, Role.STATION_STAFF, "S1", "staff-s1")
    issued = accounts_service.issue_token(
        db,
        user=make_staff(db, Role.COMMISSIONER, "C"),
        name="k",
        scopes=["worker"],
        actor=audit.SYSTEM,
    )
    db.commit()
    for username, status in (("sho-s2", 404), ("staff-s1", 403)):
        other_client.cookies.clear()
        login(other_client, username)
        csrf = {"X-CSRF-Token": csrf_from(other_client, "/dashboard")}
        assert step(other_client, event_id, "acknowledge", **csrf).status_code == status
    keyed = step(other_client, event_id, "acknowledge", Authorization=f"Bearer {issued.secret}")
    assert keyed.status_code == 403
    assert client.get(f"{URL}/{event_id}").json()["status"] == "open"


def test_officers_judgements_give_each_rule_its_precision(
    client: TestClient, db: Session, settings: Settings, event_id: int
) -> None:
    s1 = jurisdiction.get_by_code(db, "S1").path
    s2_camera = make_camera(db, settings, station="S2")
    key = worker_key(db, username="second-worker")
    db.commit()
    s1_camera = db.get_one(AnalyticsEvent, event_id).station_camera_id
    ids = [event_id]
    for kind in ("crowd_waiting", "crowd_waiting", "long_wait"):
        body = event_body(s1_camera, kind=kind)
        ids.append(client.post(URL, json=body, headers=key).json()["id"])
    client.post(URL, json=event_body(s2_camera.id), headers=key)  # S2: outside S1's figures
    step(client, ids[0], "false_positive", "a poster")
    for event in ids[1:3]:
        step(client, event, "acknowledge")
        step(client, event, "instruct", "attend to them")
    figures = workflow.rule_figures(db, scope_path=s1)
    crowd = figures["crowd_waiting"]
    assert (crowd.raised, crowd.confirmed, crowd.false_positive) == (3, 2, 1)
    assert crowd.precision == pytest.approx(2 / 3)
    assert figures["long_wait"].precision is None  # raised, not judged yet
    city = workflow.rule_figures(db, scope_path=jurisdiction.get_by_code(db, "C").path)
    assert city["crowd_waiting"].raised == 4
