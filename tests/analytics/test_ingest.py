"""POST /api/v1/analytics/events: a worker's key records its rules' events, once per uuid,
moving a known event only forward, with its snapshot kept as hashed evidence."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.analytics.models import AnalyticsEvent, AnalyticsEventStep
from nigrani.analytics.schemas import MAX_SNAPSHOT_B64
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.evidence import store
from nigrani.evidence.models import EvidenceItem
from nigrani.stations.models import StationCamera
from tests.analytics.event_fixtures import T0, event_body, jpeg, worker_key
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

URL = "/api/v1/analytics/events"


@pytest.fixture()
def camera(db: Session, settings: Settings, freeze: Freeze) -> StationCamera:
    freeze(T0)
    return make_camera(db, settings)


@pytest.fixture()
def key(db: Session, camera: StationCamera) -> dict[str, str]:  # noqa: ARG001 - the tree
    headers = worker_key(db)
    db.commit()
    return headers


def count(db: Session, model: type[Any]) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_the_first_post_makes_the_event_and_a_retry_changes_nothing(
    client: TestClient, db: Session, camera: StationCamera, key: dict[str, str]
) -> None:
    body = event_body(camera.id)
    first = client.post(URL, json=body, headers=key)
    assert first.status_code == 201, first.text
    made = first.json()
    assert made["created"] is True and made["status"] == "open"
    assert made["station_id"] == camera.station_id and made["peak"] == body["peak"]
    audits = count(db, AuditEntry)
    again = client.post(URL, json=body, headers=key)
    assert again.status_code == 200
    assert again.json() | {"created": True} == made
    assert count(db, AnalyticsEvent) == 1
    assert count(db, AnalyticsEventStep) == 1  # "raised", once
    assert count(db, AuditEntry) == audits  # the retry audited nothing
    event = db.scalars(select(AnalyticsEvent)).one()
    assert (event.uuid, event.node_path) == (body["uuid"], camera.node_path)


def test_a_rule_event_as_the_worker_dumps_it_is_accepted(
    client: TestClient, camera: StationCamera, key: dict[str, str]
) -> None:
    body = event_body(camera.id)
    body["camera_id"] = body.pop("station_camera_id")  # rules.RuleEvent's name for it
    reply = client.post(URL, json=body, headers=key)
    assert reply.status_code == 201, reply.text
    assert reply.json()["station_camera_id"] == camera.id


def test_the_lists_in_a_long_wait_and_a_tamper_peak_are_accepted_and_grow(
    client: TestClient, camera: StationCamera, key: dict[str, str]
) -> None:
    waited = [{"track_id": 3, "dwell_s": 1250.5}]
    body = event_body(camera.id, kind="long_wait", peak={"people": waited, "zone": "waiting"})
    assert client.post(URL, json=body, headers=key).status_code == 201
    more = [*waited, {"track_id": 9, "dwell_s": 1201.0}]
    reply = client.post(URL, json=body | {"peak": {"people": more}}, headers=key)
    assert reply.json()["peak"] == {"people": more, "zone": "waiting"}
    tamper = event_body(camera.id, kind="camera_tamper", peak={"reasons": ["covered"]})
    reply = client.post(URL, json=tamper, headers=key)
    assert reply.status_code == 201, reply.text
    assert reply.json()["peak"] == {"reasons": ["covered"]}


def test_an_end_or_a_new_peak_moves_the_event_only_forward(
    client: TestClient, db: Session, camera: StationCamera, key: dict[str, str]
) -> None:
    body = event_body(camera.id, peak={"people": 5, "zone": "waiting"})
    assert client.post(URL, json=body, headers=key).status_code == 201
    lower = client.post(URL, json=body | {"peak": {"people": 3, "dwell_s": 40.5}}, headers=key)
    assert lower.json()["peak"] == {"people": 5, "zone": "waiting", "dwell_s": 40.5}
    end = (T0 - timedelta(seconds=10)).isoformat()
    ended = client.post(URL, json=body | {"ended_at": end, "peak": {"people": 7}}, headers=key)
    assert ended.json()["peak"]["people"] == 7
    assert ended.json()["ended_at"].startswith(
        (T0 - timedelta(seconds=10)).strftime("%Y-%m-%dT%H:%M:%S")
    )
    # A late "still open" change, or an earlier end, never reopens nor shortens it.
    db.execute(update(AnalyticsEvent).values(status="resolved"))
    db.commit()
    earlier = (T0 - timedelta(seconds=30)).isoformat()
    for late in (body, body | {"ended_at": earlier}):
        reply = client.post(URL, json=late, headers=key).json()
        assert reply["ended_at"] == ended.json()["ended_at"]
        assert reply["status"] == "resolved" and reply["peak"]["people"] == 7


def test_the_snapshot_is_kept_as_evidence_hashed_on_arrival(
    client: TestClient, db: Session, settings: Settings, camera: StationCamera, key: dict[str, str]
) -> None:
    picture = jpeg()
    body = event_body(camera.id, snapshot_jpeg_b64=base64.b64encode(picture).decode())
    reply = client.post(URL, json=body, headers=key)
    assert reply.status_code == 201, reply.text
    sha = hashlib.sha256(picture).hexdigest()
    assert reply.json()["snapshot_sha256"] == sha
    item = db.scalars(select(EvidenceItem).where(EvidenceItem.sha256 == sha)).one()
    assert (item.kind, item.media_type, item.node_path) == (
        "snapshot",
        "image/jpeg",
        camera.node_path,
    )
    assert store.blob_path(settings, sha).read_bytes() == picture
    assert client.post(URL, json=body, headers=key).status_code == 200
    assert count(db, EvidenceItem) == 1  # a retry keeps the first snapshot


def _bad_bodies(camera_id: int) -> list[tuple[str, dict[str, Any], int]]:
    png = base64.b64encode(bytes.fromhex("89504e470d0a1a0a") + b"\0" * 64).decode()
    return [
        ("unknown camera", event_body(camera_id + 1000), 404),
        ("unknown rule", event_body(camera_id, kind="loitering"), 422),
        ("naive time", event_body(camera_id, started_at="2026-11-02T05:59:00"), 422),
        ("ends first", event_body(camera_id, ended_at=(T0 - timedelta(hours=1)).isoformat()), 422),
        ("future", event_body(camera_id, started_at=(T0 + timedelta(minutes=5)).isoformat()), 422),
        ("big peak", event_body(camera_id, peak={f"k{i}": i for i in range(40)}), 422),
        ("nested peak", event_body(camera_id, peak={"boxes": [[1, 2, 3, 4]]}), 422),
        ("png", event_body(camera_id, snapshot_jpeg_b64=png), 422),
        ("not base64", event_body(camera_id, snapshot_jpeg_b64="@@@@"), 422),
        ("huge", event_body(camera_id, snapshot_jpeg_b64="A" * (MAX_SNAPSHOT_B64 + 4)), 422),
        ("extra field", event_body(camera_id, score=0.9), 422),
        ("bad uuid", event_body(camera_id, uuid="42"), 422),
    ]


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
    client: TestClient, db: Session, camera: StationCamera, key: dict[str, str]
) -> None:
    wrong = []
    for name, body, status in _bad_bodies(camera.id):
        reply = client.post(URL, json=body, headers=key)
        if reply.status_code != status or not reply.json()["error"]["message"]:
            wrong.append((name, reply.status_code, reply.text[:200]))
    assert wrong == []
    assert count(db, AnalyticsEvent) == 0
    unknown = client.post(URL, json=event_body(camera.id + 1000), headers=key).json()["error"]
    assert unknown["message"] == f"No station camera {camera.id + 1000} in this key's jurisdiction"
    assert unknown["field"] == "station_camera_id"


def test_a_little_clock_skew_is_allowed_and_a_reused_uuid_is_a_conflict(
    client: TestClient, camera: StationCamera, key: dict[str, str]
) -> None:
    ahead = event_body(camera.id, started_at=(T0 + timedelta(seconds=90)).isoformat())
    assert client.post(URL, json=ahead, headers=key).status_code == 201
    other = ahead | {"kind": "long_wait"}
    reply = client.post(URL, json=other, headers=key)
    assert reply.status_code == 409 and reply.json()["error"]["field"] == "uuid"


def test_refusals_are_in_hindi_when_asked(
    client: TestClient, camera: StationCamera, key: dict[str, str]
) -> None:
    body = event_body(camera.id + 1000)
    reply = client.post(URL, json=body, headers=key | {"Accept-Language": "hi"})
    assert reply.status_code == 404
    message = reply.json()["error"]["message"]
    assert str(camera.id + 1000) in message and "camera" not in message.lower()


def test_only_a_worker_key_of_an_allowed_role_inside_its_charge_may_post(
    client: TestClient, db: Session, camera: StationCamera
) -> None:
    no_scope = worker_key(db, username="gis-account", scopes=("integration",))
    sho = worker_key(db, role=Role.SHO, node="S1", username="sho-account")
    elsewhere = worker_key(db, node="Z2", username="z2-control")  # S1 lies in Z1
    admin = worker_key(db, role=Role.ADMIN, node="C", username="admin-account")
    db.commit()
    body = event_body(camera.id)
    anonymous = client.post(URL, json=body)  # no key: the CSRF check refuses it first
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (403, "csrf")
    assert client.post(URL, json=body, headers=no_scope).status_code == 403
    assert client.post(URL, json=body, headers=sho).status_code == 403
    assert client.post(URL, json=body, headers=elsewhere).status_code == 404
    assert count(db, AnalyticsEvent) == 0
    assert client.post(URL, json=body, headers=admin).status_code == 201
    raised = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "analytics.event.raised")
    ).one()
    assert raised.actor_label.startswith("admin-account (key ")
