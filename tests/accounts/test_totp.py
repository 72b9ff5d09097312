"""The authenticator step: tries limited per pending login and per account, and a key that
changes only with the password and a code from the new key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import signin, throttle
from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from tests.accounts.factories import PASSWORD, csrf_from, login, make_staff, make_tree
from tests.accounts.signin_helpers import code_tries, secret_in, turn_on_totp
from tests.conftest import Freeze

MOMENT = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
WRONG = "000000"


def _dcp_with_totp(client: TestClient, db: Session) -> str:
    make_tree(db)
    make_staff(db, Role.DCP, "Z1", "dcp1")
    db.commit()
    login(client, "dcp1")
    secret = turn_on_totp(client, MOMENT)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    return secret


def test_a_pending_login_is_used_up_after_five_wrong_codes(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    freeze(MOMENT)
    secret = _dcp_with_totp(client, db)
    login(client, "dcp1")
    answers = [code_tries(client, WRONG) for _ in range(signin.SESSION_TRIES)]
    assert [a.status_code for a in answers] == [401] * signin.SESSION_TRIES
    assert "Sign in with your password again" in answers[-1].text
    right = pyotp.TOTP(secret).at(MOMENT)
    assert code_tries(client, right).status_code == 401  # even the right code: start again
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
    login(client, "dcp1")
    assert code_tries(client, right).status_code == 303


def test_the_account_limit_counts_across_new_pending_logins(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(MOMENT)
    secret = _dcp_with_totp(client, db)
    for _ in range(throttle.SECOND_FACTOR.free // signin.SESSION_TRIES):
        login(client, "dcp1")  # a fresh pending login each time: the account still counts
        for _ in range(signin.SESSION_TRIES):
            assert code_tries(client, WRONG).status_code == 401
    login(client, "dcp1")
    right = pyotp.TOTP(secret).at(MOMENT)
    waiting = code_tries(client, right)
    assert (waiting.status_code, waiting.headers["retry-after"]) == (429, "15")
    clock.advance(timedelta(seconds=15))
    assert code_tries(client, pyotp.TOTP(secret).at(clock.now())).status_code == 303


def test_turning_on_needs_the_password_and_a_code_from_the_new_key(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    freeze(MOMENT)
    make_tree(db)
    make_staff(db, Role.DCP, "Z1", "dcp1")
    db.commit()
    login(client, "dcp1")
    token = csrf_from(client, "/account")
    refused = client.post("/account/totp", data={"csrf_token": token, "password": "not mine!!"})
    assert refused.status_code == 401 and secret_in(refused) is None
    shown = client.post("/account/totp", data={"csrf_token": token, "password": PASSWORD})
    secret = secret_in(shown)
    assert secret is not None
    user = db.scalars(select(User).where(User.username == "dcp1")).one()
    db.refresh(user)
    assert user.totp_secret_enc is None  # not in force before a code confirms it
    wrong = client.post("/account/totp/confirm", data={"csrf_token": token, "code": WRONG})
    assert wrong.status_code == 401 and secret_in(wrong) == secret  # shown again to retry
    right = pyotp.TOTP(secret).at(MOMENT)
    done = client.post("/account/totp/confirm", data={"csrf_token": token, "code": right})
    assert done.status_code == 200 and "The new key is in force" in done.text
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("user.totp%"))
        .order_by(AuditEntry.id)
    )
    assert list(actions) == ["user.totp_enabled"]


def test_replacing_the_key_keeps_the_old_one_until_the_new_one_is_confirmed(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    clock = freeze(MOMENT)
    old = _dcp_with_totp(client, db)
    login(client, "dcp1")
    assert code_tries(client, pyotp.TOTP(old).at(MOMENT)).status_code == 303
    token = csrf_from(client, "/account")
    without = client.post("/account/totp", data={"csrf_token": token})
    assert without.status_code == 401 and secret_in(without) is None
    shown = client.post("/account/totp", data={"csrf_token": token, "password": PASSWORD})
    new = secret_in(shown)
    assert new is not None and new != old
    clock.advance(timedelta(minutes=signin.ENROL_MINUTES, seconds=1))
    late = client.post(
        "/account/totp/confirm",
        data={"csrf_token": token, "code": pyotp.TOTP(new).at(clock.now())},
    )
    assert late.status_code == 422 and "expired" in late.text
    client.post("/logout", data={"csrf_token": token})
    login(client, "dcp1")  # the old key still signs in: nothing was replaced
    assert code_tries(client, pyotp.TOTP(old).at(clock.now())).status_code == 303
    new = turn_on_totp(client, clock.now())
    client.post("/logout", data={"csrf_token": csrf_from(client, "/account")})
    login(client, "dcp1")
    assert code_tries(client, pyotp.TOTP(old).at(clock.now())).status_code == 401
    assert code_tries(client, pyotp.TOTP(new).at(clock.now())).status_code == 303
    actions = db.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("user.totp%"))
        .order_by(AuditEntry.id)
    )
    assert list(actions) == ["user.totp_enabled", "user.totp_replaced"]
