"""The http SMS backend against a local fake gateway: the wire format, retries, refusals."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob, OutboxRunner
from nigrani.core.sms import SmsMessage, queue_sms
from nigrani.core.sms.models import FAILED, SENT
from tests.accounts.factories import csrf_from
from tests.conftest import Freeze
from tests.core import fake_sms
from tests.core.fake_sms import API_KEY, ENTITY_ID, SENDER, FakeGateway, dlt_ids

MOBILE, DIGITS = "+919876543210", "919876543210"
T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def ask_code(browser: TestClient, lang: str = "en") -> None:
    token = csrf_from(browser, f"/citizen/login?lang={lang}")
    answer = browser.post("/citizen/login", data={"mobile": "98765 43210", "csrf_token": token})
    assert answer.status_code == 200


def run_outbox(sessions: sessionmaker[Session], settings: Settings) -> int:
    return OutboxRunner(sessions, settings).run_due()


def test_a_code_goes_out_with_its_dlt_ids_and_is_logged_without_the_number(
    browser: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
) -> None:
    ask_code(browser)
    assert run_outbox(sessions, sms_settings) == 1
    [wire] = gateway.received
    sent = wire.json or {}
    assert wire.method == "POST" and wire.headers["authkey"] == API_KEY
    assert sent["mobiles"] == DIGITS and sent["sender"] == SENDER and sent["pe_id"] == ENTITY_ID
    assert sent["DLT_TE_ID"] == dlt_ids()["otp.en"] and sent["unicode"] == "0"
    assert sent["route"] == "4" and "sign-in code" in sent["message"]
    row = db.scalars(select(SmsMessage)).one()
    assert sent["ref"] == str(row.job_id)
    assert (row.provider_id, row.status, row.backend) == ("msg-1001", SENT, "http")
    assert (row.template, row.dlt_template_id) == ("otp.en", dlt_ids()["otp.en"])
    code = sent["message"].split()[1]
    assert code.isdigit() and code not in row.body and "******" in row.body
    assert row.to_masked == "+91 ********10"
    assert DIGITS not in json.dumps([row.to_hash, row.to_masked, row.body, row.error])


def test_hindi_goes_as_unicode_under_its_own_template(
    browser: TestClient,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
) -> None:
    ask_code(browser, "hi")
    run_outbox(sessions, sms_settings)
    sent = gateway.received[0].json or {}
    assert sent["unicode"] == "1" and sent["DLT_TE_ID"] == dlt_ids()["otp.hi"]
    assert "लॉगिन कोड" in sent["message"]


@pytest.mark.parametrize("trouble", [fake_sms.SERVER_ERROR, fake_sms.TOO_MANY, fake_sms.SLOW])
def test_a_server_error_or_timeout_is_tried_again_after_a_backoff_then_sent(
    trouble: str,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
    freeze: Freeze,
    caplog: pytest.LogCaptureFixture,
) -> None:
    moment = freeze(T0)
    gateway.answers = [trouble]
    queue_sms(db, sms_settings, to=MOBILE, template="otp.en", values={"code": 123456, "minutes": 5})
    db.commit()
    with caplog.at_level(logging.INFO):
        assert run_outbox(sessions, sms_settings) == 0
    job = db.scalars(select(OutboxJob)).one()
    db.refresh(job)
    assert job.status == outbox.PENDING and job.attempts == 1 and job.run_after > T0
    assert job.last_error and job.last_error.startswith("TryAgain")
    for secret in (API_KEY, DIGITS, "123456"):
        assert secret not in caplog.text and secret not in job.last_error
    assert run_outbox(sessions, sms_settings) == 0  # still backing off
    moment.advance(timedelta(hours=1))
    assert run_outbox(sessions, sms_settings) == 1
    assert db.scalars(select(SmsMessage.status)).one() == SENT
    assert len(gateway.received) == 2


@pytest.mark.parametrize("refusal", [fake_sms.BAD_REQUEST, fake_sms.SAYS_NO])
def test_a_refusal_is_a_dead_letter_at_once(
    refusal: str,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
) -> None:
    gateway.answers = [refusal]
    queue_sms(db, sms_settings, to=MOBILE, template="otp.hi", values={"code": 1, "minutes": 5})
    db.commit()
    run_outbox(sessions, sms_settings)
    assert run_outbox(sessions, sms_settings) == 0 and len(gateway.received) == 1
    row = db.scalars(select(SmsMessage)).one()
    assert row.status == FAILED and row.provider_id is None and row.error
    assert DIGITS not in row.error and ("400" in row.error or "not approved" in row.error)


@pytest.mark.parametrize(
    ("style", "where"),
    [
        ({"method": "GET", "auth": "param", "auth_name": "apikey"}, "query"),  # Gupshup-like
        ({"encoding": "form", "auth": "param", "auth_name": "apikey"}, "form"),  # Textlocal
    ],
)
def test_query_and_form_gateways_get_the_same_fields(
    style: dict[str, object],
    where: str,
    database_url: str,
    tmp_path: Path,
    db: Session,
    sessions: sessionmaker[Session],
    gateway: FakeGateway,
) -> None:
    settings = fake_sms.http_settings(database_url, tmp_path, gateway, options=style)
    queue_sms(db, settings, to=MOBILE, template="otp.en", values={"code": 42, "minutes": 5})
    db.commit()
    assert run_outbox(sessions, settings) == 1
    [wire] = gateway.received
    fields = getattr(wire, where)
    assert fields["apikey"] == API_KEY and "authkey" not in wire.headers
    assert fields["mobiles"] == DIGITS and fields["DLT_TE_ID"] == dlt_ids()["otp.en"]
    assert "42" in fields["message"] and fields["unicode"] == "0"


def test_a_job_queued_before_templates_is_refused_not_sent_untemplated(
    db: Session, sessions: sessionmaker[Session], sms_settings: Settings, gateway: FakeGateway
) -> None:
    queue_sms(db, sms_settings, to=MOBILE, template="otp.en", values={"code": 7, "minutes": 5})
    job = db.scalars(select(OutboxJob)).one()
    payload = json.loads(job.payload)
    job.payload = json.dumps({"to": payload["to"], "body": "free text"})  # the old shape
    db.commit()
    run_outbox(sessions, sms_settings)
    assert gateway.received == []
    row = db.scalars(select(SmsMessage)).one()
    assert row.status == FAILED and "no DLT template id" in (row.error or "")
