"""Sign-in codes and footage-link tokens travel only in the SMS: the app log, the access log
and `sms_log` keep them masked, whichever backend sends (the demo reads the outbox)."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.app import create_app
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxRunner
from nigrani.core.sms import SmsMessage, queue_sms
from nigrani.core.sms.templates import MASK
from tests.accounts.factories import csrf_from
from tests.accounts.sent_sms import last_text

MOBILE = "+919876543210"
SECRET_LINK = "http://127.0.0.1:8000/f/Zx9-secret-link-token"


def _send_code(client: TestClient) -> None:
    token = csrf_from(client, "/citizen/login")
    asked = client.post("/citizen/login", data={"mobile": MOBILE, "csrf_token": token})
    assert asked.status_code == 200
    state = client.app.state  # type: ignore[attr-defined]
    assert OutboxRunner(state.sessions, state.settings).run_due() == 1


def test_the_sign_in_code_is_masked_in_sms_log_and_the_log(
    client: TestClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        _send_code(client)
    code = re.search(r"\b(\d{6})\b", last_text(db))
    assert code is not None  # the SMS itself carries it
    kept = db.scalars(select(SmsMessage.body)).one()
    assert MASK in kept and code.group(1) not in kept
    assert "SMS to" in caplog.text and code.group(1) not in caplog.text
    token = csrf_from(client, "/citizen/login")
    signed_in = client.post(
        "/citizen/login/code",
        data={"mobile": MOBILE, "code": code.group(1), "csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303


def test_a_footage_link_token_is_masked_in_sms_log_and_the_log(
    db: Session, settings: Settings, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    values = {"n": "Kotwali", "start": "10:00", "end": "10:30", "link": SECRET_LINK}
    queue_sms(db, settings, to=MOBILE, template="footage.request", values=values)
    db.commit()
    with caplog.at_level(logging.INFO):
        OutboxRunner(app.state.sessions, settings).run_due()
    kept = db.scalars(select(SmsMessage.body)).one()
    assert "secret-link-token" not in kept and MASK in kept and "Kotwali" in kept
    assert "secret-link-token" not in caplog.text
    assert SECRET_LINK in last_text(db)


@pytest.mark.usefixtures("app")
def test_the_access_log_masks_a_footage_link(caplog: pytest.LogCaptureFixture) -> None:
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # The line uvicorn writes for each request, with its own format and arguments.
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.9:5123", "GET", "/f/Zx9-tok", "1.1", 200)
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.9:5123", "GET", "/citizen", "1.1", 200)
    assert "Zx9-tok" not in caplog.text
    assert f"/f/{MASK}" in caplog.text and "GET /citizen HTTP/1.1" in caplog.text


def test_the_demo_inbox_still_shows_the_code(settings: Settings, app: FastAPI) -> None:
    demo = create_app(settings.model_copy(update={"demo": True}), clock=app.state.clock)
    demo.state.sessions = app.state.sessions
    with TestClient(demo) as client:
        _send_code(client)
        token = csrf_from(client, "/citizen/login")
        inbox = client.post("/citizen/login/demo-sms", data={"mobile": MOBILE, "csrf_token": token})
    assert inbox.status_code == 200
    assert re.search(r"\b\d{6}\b", inbox.text) and MASK not in inbox.text
