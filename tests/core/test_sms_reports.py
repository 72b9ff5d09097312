"""Delivery reports: authenticated, idempotent, final states kept, never a 5xx."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxRunner
from nigrani.core.sms import SmsMessage, queue_sms
from nigrani.core.sms.models import DELIVERED, SENT, UNDELIVERED
from tests.core.fake_sms import WEBHOOK_SECRET

HOOK = f"/webhooks/sms/http?token={WEBHOOK_SECRET}"


def _sent(db: Session, sessions: sessionmaker[Session], settings: Settings) -> SmsMessage:
    queue_sms(db, settings, to="+919876543210", template="otp.en", values={"code": 1, "minutes": 5})
    db.commit()
    OutboxRunner(sessions, settings).run_due()
    row = db.scalars(select(SmsMessage)).one()
    assert row.status == SENT and row.provider_id == "msg-1001"
    return row


def _report(browser: TestClient, status: str, **extra: str) -> dict[str, int]:
    body = [{"requestId": "msg-1001", "status": status, "desc": "", **extra}]
    answer = browser.post(HOOK, json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, int] = answer.json()
    return result


def test_delivered_is_recorded_once_and_a_late_failure_changes_nothing(
    browser: TestClient, db: Session, sessions: sessionmaker[Session], sms_settings: Settings
) -> None:
    row = _sent(db, sessions, sms_settings)
    assert _report(browser, "submitted") == {"received": 1, "updated": 0}  # not final
    assert _report(browser, "DELIVRD") == {"received": 1, "updated": 1}
    assert _report(browser, "DELIVRD")["updated"] == 0  # the gateway retried
    assert _report(browser, "UNDELIV")["updated"] == 0  # late, out of order
    db.refresh(row)
    assert row.status == DELIVERED and row.status_at is not None and row.error is None


def test_undelivered_keeps_its_reason_and_a_late_delivered_does_not_overwrite_it(
    browser: TestClient, db: Session, sessions: sessionmaker[Session], sms_settings: Settings
) -> None:
    row = _sent(db, sessions, sms_settings)
    _report(browser, "Failed", desc="Absent subscriber +919876543210")
    _report(browser, "Delivered")
    db.refresh(row)
    assert row.status == UNDELIVERED
    assert row.error == "Failed: Absent subscriber <number>"


def test_gupshup_style_get_with_the_secret_in_a_header(
    browser: TestClient, db: Session, sessions: sessionmaker[Session], sms_settings: Settings
) -> None:
    row = _sent(db, sessions, sms_settings)
    answer = browser.get(
        "/webhooks/sms/http",
        params={"requestId": "msg-1001", "status": "delivered"},
        headers={"X-Webhook-Secret": WEBHOOK_SECRET},
    )
    assert answer.json() == {"received": 1, "updated": 1}
    db.refresh(row)
    assert row.status == DELIVERED


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/webhooks/sms/http", {}, 403),
        ("/webhooks/sms/http?token=wrong", {}, 403),
        ("/webhooks/sms/http", {"X-Webhook-Secret": "w" * 31}, 403),
        (f"/webhooks/sms/log?token={WEBHOOK_SECRET}", {}, 404),
    ],
)
def test_without_the_secret_nothing_changes(
    browser: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    row = _sent(db, sessions, sms_settings)
    answer = browser.post(
        path, json=[{"requestId": "msg-1001", "status": "DELIVRD"}], headers=headers
    )
    assert answer.status_code == status
    db.refresh(row)
    assert row.status == SENT


def test_a_get_with_a_wrong_secret_is_refused_not_redirected(browser: TestClient) -> None:
    answer = browser.get("/webhooks/sms/http?token=nope&status=x", follow_redirects=False)
    assert answer.status_code == 403


def test_the_log_backend_has_no_webhook(client: TestClient) -> None:
    assert client.post("/webhooks/sms/log", json=[]).status_code == 404
    assert client.post("/webhooks/sms/http?token=x", json=[]).status_code == 404


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"{not json", "application/json"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json"),
        (json.dumps({"requestId": {"a": 1}, "status": "DELIVRD"}).encode(), "application/json"),
        (json.dumps([1, "x", None, {"status": 5}]).encode(), "application/json"),
        # not UTF-8: refused at the edge, like every body (422), not a server error
        (b"\xff\xfe%%%&&==", "application/x-www-form-urlencoded"),
        (b"requestId=msg-1001&status=" + b"x" * 5000, "application/x-www-form-urlencoded"),
        (b"x" * 300_000, "text/plain"),
    ],
)
def test_junk_is_never_a_server_error(browser: TestClient, body: bytes, kind: str) -> None:
    answer = browser.post(HOOK, content=body, headers={"Content-Type": kind})
    assert answer.status_code in (200, 413, 422), answer.text
    if body.startswith(b"\xff"):
        assert answer.status_code == 422
