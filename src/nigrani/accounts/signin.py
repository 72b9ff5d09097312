"""Staff sign-in: the password (throttled per client address and account name), the
authenticator code of a pending login, and turning on or replacing the authenticator.

Every password try is counted (`throttle.reserve`) before its hash is computed, and the
caller commits that count first, so no row stays locked while argon2 runs. Known and
unknown names take the same path: a hash is computed for both, both are counted under a
keyed hash of the name, both answer "wrong username or password", both leave an audit row.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nigrani.accounts import throttle
from nigrani.accounts.models import User, UserSession
from nigrani.accounts.service import actor_of, session_for_token, start_session
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import AuthenticationFailed, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher, hash_password, keyed_hash, verify_password

SESSION_TRIES = 5  # wrong codes one pending login may take; then the password again
ENROL_MINUTES = 10  # how long a new secret waits for the code that confirms it


def _name(username: str) -> str:
    return username.strip().lower()


def _account(settings: Settings, username: str) -> str:
    # Keyed: the table never holds what was typed as a name (sometimes a password).
    return keyed_hash(settings.secret_key, "login-user", _name(username))


def reserve_password_try(
    session: Session, *, settings: Settings, username: str, address: str
) -> None:
    """Count a password try for this client and name, or RateLimited while either waits."""
    now = utcnow()
    with session.begin_nested():  # both counted, or neither (a refusal counts nothing)
        throttle.reserve(session, throttle.ADDRESS, address, now=now)
        throttle.reserve(session, throttle.ACCOUNT, _account(settings, username), now=now)


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


def check_password(
    session: Session, *, settings: Settings, username: str, password: str, address: str
) -> User:
    """The active staff user with this name and password (its try already reserved)."""
    user = session.scalar(select(User).where(User.username == _name(username)))
    usable = user is not None and bool(user.password_hash) and user.is_active
    stored = user.password_hash if user is not None and usable else None
    right = verify_password(stored or _dummy_hash(), password)  # the same work either way
    if user is None or not usable or not right:
        audit.record(
            session,
            actor=actor_of(user) if usable else audit.SYSTEM,
            action="login.failed",
            object_type="user" if usable else "login",
            object_id=user.id if user is not None and usable else "unknown",
        )
        raise AuthenticationFailed(_("Wrong username or password."))
    throttle.succeeded(session, throttle.ACCOUNT, _account(settings, username), forget=True)
    throttle.succeeded(session, throttle.ADDRESS, address, forget=False)
    return user


def totp_enabled(user: User) -> bool:
    """Whether the user has a second factor."""
    return bool(user.totp_secret_enc)


def _totp(settings: Settings, secret_enc: str | None) -> pyotp.TOTP | None:
    if not secret_enc:
        return None
    return pyotp.TOTP(FieldCipher(settings.encryption_key).decrypt(secret_enc))


def _take_session_try(session: Session, login: UserSession) -> bool:
    """Count one code against the pending login, if it has tries left (one statement)."""
    stmt = (
        update(UserSession)
        .where(UserSession.id == login.id, UserSession.revoked_at.is_(None))
        .where(UserSession.totp_attempts < SESSION_TRIES)
        .values(totp_attempts=UserSession.totp_attempts + 1)
        .returning(UserSession.totp_attempts)
        .execution_options(synchronize_session=False)
    )
    tries = session.scalar(stmt)
    if tries is None:
        return False
    set_committed_value(login, "totp_attempts", tries)  # what the row now holds
    return True


class _NoTriesLeft(Exception):
    pass


def _used_up(session: Session, login: UserSession) -> AuthenticationFailed:
    login.revoked_at = utcnow()
    session.flush()
    return AuthenticationFailed(_("Too many wrong codes. Sign in with your password again."))


def _count_code_try(session: Session, login: UserSession) -> None:
    """One code against the account and the pending login, or neither (429 / used up)."""
    try:
        with session.begin_nested():
            throttle.reserve(session, throttle.SECOND_FACTOR, str(login.user_id), now=utcnow())
            if not _take_session_try(session, login):
                raise _NoTriesLeft
    except _NoTriesLeft:
        raise _used_up(session, login) from None


def complete_totp(session: Session, *, token: str, code: str, settings: Settings) -> str:
    """Turn a password-correct pending login into a full session when the code is right."""
    login = session_for_token(session, token)
    if login is None or not login.pending_totp:
        raise AuthenticationFailed(_("Your sign-in has expired. Start again."))
    user = login.user
    _count_code_try(session, login)
    totp = _totp(settings, user.totp_secret_enc)
    if totp is None or not totp.verify(code.strip(), for_time=utcnow(), valid_window=1):
        if login.totp_attempts >= SESSION_TRIES:
            raise _used_up(session, login)
        raise AuthenticationFailed(_("Wrong authenticator code."))
    throttle.succeeded(session, throttle.SECOND_FACTOR, str(user.id), forget=True)
    login.revoked_at = utcnow()
    return start_session(session, user=user, settings=settings)


def reauthenticate(
    session: Session, *, user: User, settings: Settings, password: str, address: str
) -> None:
    """Check the signed-in user's own password again (its try already reserved)."""
    if not user.password_hash or not verify_password(user.password_hash, password):
        audit.record(
            session,
            actor=actor_of(user),
            action="login.failed",
            object_type="user",
            object_id=user.id,
            detail={"step": "reauthenticate"},
        )
        raise AuthenticationFailed(_("Wrong password. Enter the password you sign in with."))
    throttle.succeeded(
        session, throttle.ACCOUNT, _account(settings, user.username or ""), forget=True
    )
    throttle.succeeded(session, throttle.ADDRESS, address, forget=False)


def begin_totp(session: Session, *, user: User, settings: Settings) -> str:
    """A new secret for the user, not yet in force; the otpauth:// URI to show once."""
    secret = pyotp.random_base32()
    user.totp_pending_enc = FieldCipher(settings.encryption_key).encrypt(secret)
    user.totp_pending_at = utcnow()
    session.flush()
    return provisioning_uri(user, secret)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username or "", issuer_name="Nigrani")


def pending_uri(user: User, settings: Settings) -> str | None:
    """The URI of the secret waiting for its confirming code, while it still may."""
    at = user.totp_pending_at
    if not user.totp_pending_enc or at is None or utcnow() - at > timedelta(minutes=ENROL_MINUTES):
        return None
    return provisioning_uri(
        user, FieldCipher(settings.encryption_key).decrypt(user.totp_pending_enc)
    )


def confirm_totp(session: Session, *, user: User, settings: Settings, code: str) -> None:
    """Put the new secret in force once a code from it is right (tries count as sign-ins)."""
    if pending_uri(user, settings) is None:
        raise ValidationFailed(
            _("The new key has expired. Enter your password again to get a new one."),
            field="code",
        )
    throttle.reserve(session, throttle.SECOND_FACTOR, str(user.id), now=utcnow())
    totp = _totp(settings, user.totp_pending_enc)
    if totp is None or not totp.verify(code.strip(), for_time=utcnow(), valid_window=1):
        raise AuthenticationFailed(_("Wrong code. Enter the code your app shows for the new key."))
    throttle.succeeded(session, throttle.SECOND_FACTOR, str(user.id), forget=True)
    replaced = totp_enabled(user)
    user.totp_secret_enc, user.totp_pending_enc, user.totp_pending_at = (
        user.totp_pending_enc,
        None,
        None,
    )
    audit.record(
        session,
        actor=actor_of(user),
        action="user.totp_replaced" if replaced else "user.totp_enabled",
        object_type="user",
        object_id=user.id,
    )
    session.flush()
