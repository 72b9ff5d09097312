"""Citizen sign-in by a one-time code sent to an Indian mobile number."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import OtpChallenge, User
from nigrani.accounts.roles import Role
from nigrani.core import audit, locks, sms
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import RateLimited
from nigrani.core.i18n import _, current_language
from nigrani.core.phones import mask_mobile, normalize_mobile
from nigrani.core.security import FieldCipher, keyed_hash, same
from nigrani.core.sms import templates

HOUR = timedelta(hours=1)
LOCK = "otp"  # one lock per mobile number (core.locks): its sends and checks take turns


def phone_hash(settings: Settings, e164: str) -> str:
    """The keyed hash by which a mobile number is looked up without storing it in clear."""
    return keyed_hash(settings.secret_key, "phone", e164)


def _send_wait(session: Session, settings: Settings, ph: str, now: datetime) -> RateLimited | None:
    """Why a new code for this number cannot be sent yet, with how long to wait; or None."""
    last = session.scalar(
        select(func.max(OtpChallenge.created_at)).where(OtpChallenge.phone_hash == ph)
    )
    if (
        last is not None
        and (wait := settings.otp_resend_seconds - (now - last).total_seconds()) > 0
    ):
        return RateLimited(
            _("A code was sent a moment ago. You can ask again in {s} seconds.").format(
                s=int(wait) + 1
            ),
            retry_after=int(wait) + 1,
        )
    count, oldest = session.execute(
        select(func.count(OtpChallenge.id), func.min(OtpChallenge.created_at)).where(
            OtpChallenge.phone_hash == ph, OtpChallenge.created_at > now - HOUR
        )
    ).one()
    if count >= settings.otp_max_per_hour:
        wait = max(1, math.ceil((oldest + HOUR - now).total_seconds()))
        return RateLimited(
            _("Too many codes for this number. Try again in {m} minutes.").format(
                m=math.ceil(wait / 60)
            ),
            retry_after=wait,
        )
    return None


def request_code(session: Session, *, settings: Settings, mobile: str) -> str:
    """Send a 6-digit code by SMS (through the outbox); returns the normalised number."""
    e164 = normalize_mobile(mobile, settings.phone_region)
    ph = phone_hash(settings, e164)
    locks.subject(session, purpose=LOCK, key=ph)
    now = utcnow()
    if (refused := _send_wait(session, settings, ph, now)) is not None:
        raise refused
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        OtpChallenge(
            phone_hash=ph,
            code_hash=keyed_hash(settings.secret_key, "otp", f"{ph}:{code}"),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds),
            attempts=0,
        )
    )
    sms.queue_sms(
        session,
        settings,
        to=e164,
        template=templates.for_language("otp", current_language.get()).name,
        values={"code": code, "minutes": settings.otp_ttl_seconds // 60},
    )
    session.flush()
    return e164


def _latest(session: Session, ph: str) -> OtpChallenge | None:
    stmt = (
        select(OtpChallenge)
        .where(OtpChallenge.phone_hash == ph)
        .order_by(OtpChallenge.id.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalar(stmt)


@dataclass(frozen=True, slots=True)
class OtpCheck:
    """The outcome of a code check; a failed try is still a change to commit."""

    e164: str
    error: str | None = None
    retry_after: int | None = None  # set when the code is used up: when to ask for a new one


def check_code(session: Session, *, settings: Settings, mobile: str, code: str) -> OtpCheck:
    """Count a try against the latest code for the number and consume it when it matches."""
    e164 = normalize_mobile(mobile, settings.phone_region)
    ph = phone_hash(settings, e164)
    locks.subject(session, purpose=LOCK, key=ph)
    challenge = _latest(session, ph)
    now = utcnow()
    if challenge is None or challenge.consumed_at is not None:
        return OtpCheck(e164, _("Ask for a new code first."))
    if challenge.expires_at <= now:
        return OtpCheck(e164, _("This code has expired. Ask for a new one."))
    if challenge.attempts >= settings.otp_max_attempts:
        refused = _send_wait(session, settings, ph, now)
        wait = refused.retry_after if refused is not None else 1
        return OtpCheck(e164, _("Too many wrong tries. Ask for a new code."), retry_after=wait)
    challenge.attempts += 1
    expected = keyed_hash(settings.secret_key, "otp", f"{ph}:{code.strip()}")
    session.flush()
    if not same(challenge.code_hash, expected):
        left = settings.otp_max_attempts - challenge.attempts
        return OtpCheck(e164, _("Wrong code. {n} tries left.").format(n=left))
    challenge.consumed_at = now
    session.flush()
    return OtpCheck(e164)


def citizen_for(session: Session, *, settings: Settings, e164: str) -> User:
    """The citizen account for a verified number, created on first sign-in."""
    ph = phone_hash(settings, e164)
    user = session.scalar(select(User).where(User.phone_hash == ph))
    if user is None:
        user = User(
            full_name="",
            role=Role.CITIZEN.value,
            phone_hash=ph,
            phone_enc=FieldCipher(settings.encryption_key).encrypt(e164),
            phone_masked=mask_mobile(e164),
            is_active=True,
            created_at=utcnow(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=audit.Actor(user.id, user.phone_masked or ""),
            action="citizen.register",
            object_type="user",
            object_id=user.id,
        )
    return user
