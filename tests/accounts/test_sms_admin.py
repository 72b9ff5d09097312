"""The administrator's page of failed SMS: what failed and why, and sending again (audited)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.roles import Role
from nigrani.core import outbox
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob, OutboxRunner
from nigrani.core.sms import SmsMessage, queue_sms
from nigrani.core.sms.models import FAILED, SENT
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import Freeze
from tests.core import fake_sms
from tests.core.fake_sms import FakeGateway

MOBILE = "+919876543210"


def _queue(db: Session, settings: Settings) -> int:
    job = queue_sms(db, settings, to=MOBILE, template="otp.hi", values={"code": 1, "minutes": 5})
    db.commit()
    return job


def _admin(browser: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", username="admin-c")
    db.commit()
    assert login(browser, "admin-c").status_code == 303


def _retry(browser: TestClient, job_id: int) -> int:
    token = csrf_from(browser, "/admin/sms")
    answer = browser.post(
        f"/admin/sms/{job_id}/retry", data={"csrf_token": token}, follow_redirects=False
    )
    return int(answer.status_code)


def test_a_refused_sms_is_listed_masked_and_sent_again_on_request(
    browser: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
) -> None:
    _admin(browser, db)
    gateway.answers = [fake_sms.BAD_REQUEST]
    job_id = _queue(db, sms_settings)
    OutboxRunner(sessions, sms_settings).run_due()
    page = browser.get("/admin/sms").text
    assert "+91 ********10" in page and "otp.hi" in page and "HTTP 400" in page
    assert "9876543210" not in page
    assert f"/admin/sms/{job_id}/retry" in page
    assert _retry(browser, job_id) == 303
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "sms.retry")).one()
    assert entry.object_id == str(job_id)
    assert OutboxRunner(sessions, sms_settings).run_due() == 1
    row = db.scalars(select(SmsMessage)).one()
    db.refresh(row)
    assert row.status == SENT and row.provider_id and row.error is None
    assert f"/admin/sms/{job_id}/retry" not in browser.get("/admin/sms").text
    assert _retry(browser, job_id) == 409  # sent: nothing to send again


def test_a_message_out_of_retries_is_listed_and_can_be_sent_again(
    browser: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
    freeze: Freeze,
) -> None:
    moment = freeze(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    _admin(browser, db)
    gateway.answers = [fake_sms.SERVER_ERROR] * 2
    job_id = _queue(db, sms_settings)
    db.get_one(OutboxJob, job_id).max_attempts = 2
    db.commit()
    for _ in range(2):
        OutboxRunner(sessions, sms_settings).run_due()
        moment.advance(timedelta(hours=1))
    job = db.get_one(OutboxJob, job_id)
    db.refresh(job)
    assert job.status == outbox.DEAD
    page = browser.get("/admin/sms").text
    assert "+91 ********10" in page and "HTTP 500" in page
    assert fake_sms.API_KEY not in page and "9876543210" not in page
    assert _retry(browser, job_id) == 303
    assert OutboxRunner(sessions, sms_settings).run_due() == 1
    assert db.scalars(select(SmsMessage.status)).one() == SENT


def test_only_an_administrator_sees_or_retries(
    browser: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    sms_settings: Settings,
    gateway: FakeGateway,
) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", username="sho-s1")
    gateway.answers = [fake_sms.BAD_REQUEST]
    job_id = _queue(db, sms_settings)
    OutboxRunner(sessions, sms_settings).run_due()
    login(browser, "sho-s1")
    assert browser.get("/admin/sms").status_code == 403
    token = csrf_from(browser, "/dashboard")
    answer = browser.post(f"/admin/sms/{job_id}/retry", data={"csrf_token": token})
    assert answer.status_code == 403
    assert db.scalars(select(SmsMessage.status)).one() == FAILED


def test_the_admin_menu_links_the_page(browser: TestClient, db: Session) -> None:
    _admin(browser, db)
    assert re.search(r'href="/admin/sms"', browser.get("/dashboard").text)
