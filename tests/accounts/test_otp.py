"""Citizen sign-in by SMS code: delivery through the outbox, expiry, attempts, throttling."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import OtpChallenge, User
from nigrani.core.outbox import OutboxJob, OutboxRunner
from nigrani.core.sms import SmsMessage
from tests.accounts.factories import csrf_from


def ask(client: TestClient, mobile: str) -> Response:
    token = csrf_from(client, "/citizen/login")
    response: Response = client.post("/citizen/login", data={"mobile": mobile, "csrf_token": token})
    return response


def request_code(client: TestClient, mobile: str) -> tuple[int, str]:
    response = ask(client, mobile)
    return response.status_code, response.text


def deliver(client: TestClient) -> int:
    """Run the outbox once, as the scheduler would."""
    state = client.app.state  # type: ignore[attr-defined]
    return OutboxRunner(state.sessions, state.settings).run_due()


def last_code(db: Session) -> str:
    # The text as it went out is in the outbox job (sms_log keeps the code masked).
    job = db.scalar(select(SmsMessage.job_id).order_by(SmsMessage.id.desc()).limit(1))
    payload = db.scalar(select(OutboxJob.payload).where(OutboxJob.id == job))
    assert payload is not None
    body = str(json.loads(payload)["body"])
    match = re.search(r"\b(\d{6})\b", body)
    assert match
    return match.group(1)


def try_code(client: TestClient, mobile: str, code: str) -> Response:
    token = csrf_from(client, "/citizen/login")
    response: Response = client.post(
        "/citizen/login/code",
        follow_redirects=False,
        data={"mobile": mobile, "code": code, "csrf_token": token},
    )
    return response


def submit_code(client: TestClient, mobile: str, code: str) -> int:
    return int(try_code(client, mobile, code).status_code)


def age_challenges(db: Session, by: timedelta) -> None:
    """Move every code back in time, as if `by` had passed."""
    for challenge in db.scalars(select(OtpChallenge)):
        challenge.created_at -= by
        challenge.expires_at -= by
    db.commit()


def sign_in_citizen(client: TestClient, db: Session, mobile: str) -> None:
    status, _ = request_code(client, mobile)
    assert status == 200
    assert deliver(client) == 1
    assert submit_code(client, "+91" + re.sub(r"\D", "", mobile)[-10:], last_code(db)) == 303


def test_code_by_sms_signs_in_and_stores_number_encrypted(client: TestClient, db: Session) -> None:
    sign_in_citizen(client, db, "98765 43210")
    page = client.get("/citizen")
    assert page.status_code == 200
    assert "+91 ********10" in page.text and "9876543210" not in page.text
    user = db.scalar(select(User).where(User.role == "citizen"))
    assert user is not None and user.phone_enc and "9876543210" not in user.phone_enc
    challenge = db.scalar(select(OtpChallenge))
    assert challenge is not None and challenge.consumed_at is not None
    assert last_code(db) not in challenge.code_hash


def test_code_works_once(client: TestClient, db: Session, other_client: TestClient) -> None:
    sign_in_citizen(client, db, "9876543210")
    assert submit_code(other_client, "+919876543210", last_code(db)) == 401


@pytest.mark.parametrize(
    "mobile",
    ["12345", "0000000000", "+1 202 555 0100", "98765432100", "abcdefghij", "", "+91 22 2345 6789"],
)
def test_malformed_mobile_is_refused_and_nothing_queued(
    client: TestClient, db: Session, mobile: str
) -> None:
    status, text = request_code(client, mobile)
    assert status == 422
    assert "10-digit Indian mobile number" in text
    assert db.scalar(select(OtpChallenge)) is None
    assert deliver(client) == 0


def test_expired_code_is_refused(client: TestClient, db: Session) -> None:
    request_code(client, "9876543210")
    deliver(client)
    code = last_code(db)
    age_challenges(db, timedelta(seconds=301))
    assert submit_code(client, "+919876543210", code) == 401
    assert "/citizen" not in client.get("/").headers.get("location", "")


def test_attempt_limit_locks_the_code(client: TestClient, db: Session) -> None:
    request_code(client, "9876543210")
    deliver(client)
    code = last_code(db)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert submit_code(client, "+919876543210", wrong) == 401
    used_up = try_code(client, "+919876543210", code)
    # Refused as a limit, with when a new code can be asked for (the resend gap).
    assert used_up.status_code == 429 and "Too many wrong tries" in used_up.text
    assert 0 < int(used_up.headers["retry-after"]) <= 60
    challenge = db.scalar(select(OtpChallenge))
    assert challenge is not None and challenge.attempts == 5 and challenge.consumed_at is None


def test_resend_is_throttled(client: TestClient, db: Session) -> None:
    assert request_code(client, "9876543210")[0] == 200
    again = ask(client, "9876543210")
    assert again.status_code == 429 and "seconds" in again.text
    assert 0 < int(again.headers["retry-after"]) <= 60
    # an older request no longer blocks, until the hourly cap is reached
    for _ in range(4):
        age_challenges(db, timedelta(seconds=120))
        assert request_code(client, "9876543210")[0] == 200
    age_challenges(db, timedelta(seconds=120))
    capped = ask(client, "9876543210")
    assert capped.status_code == 429 and "Too many codes for this number" in capped.text
    # The oldest of the five was sent 600 s ago: the hour frees a place in 3000 s.
    assert 2990 <= int(capped.headers["retry-after"]) <= 3000
    assert "in 50 minutes" in capped.text
    assert len(db.scalars(select(OtpChallenge)).all()) == 5


def test_demo_inbox_is_off_outside_demo(client: TestClient) -> None:
    token = csrf_from(client, "/citizen/login")
    response = client.post(
        "/citizen/login/demo-sms", data={"mobile": "+919876543210", "csrf_token": token}
    )
    assert response.status_code == 404
