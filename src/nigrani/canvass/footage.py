"""Footage requests: a one-time link to the owner, opened on one phone, answered or expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.canvass import service
from nigrani.canvass.models import LIVE_REQUEST, FootageRequest, Incident
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import audit, sms
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nigrani.core.i18n import _, format_ist_numeric
from nigrani.core.security import FieldCipher, keyed_hash, new_token, same

LINK_PURPOSE, DEVICE_PURPOSE = "footage-link", "footage-device"
MAX_REMINDERS = 2
OWNER = audit.Actor(None, "owner (link)")


@dataclass(frozen=True, slots=True)
class Link:
    """A request and the secret that opens it (only ever in the message to the owner)."""

    request: FootageRequest
    token: str


def _actor(user: User) -> audit.Actor:
    return audit.Actor(user.id, user.username or f"user-{user.id}")


def link_url(settings: Settings, token: str) -> str:
    """The address the owner opens."""
    return f"{settings.public_url}/f/{token}"


def _values(settings: Settings, request: FootageRequest, token: str) -> dict[str, str]:
    return {
        "n": request.incident.number,
        "start": format_ist_numeric(request.window_start, settings.timezone),
        "end": format_ist_numeric(request.window_end, settings.timezone),
        "link": link_url(settings, token),
    }


def _deliver(
    session: Session,
    *,
    settings: Settings,
    request: FootageRequest,
    reminder: bool,
    now: datetime | None = None,
) -> None:
    site = request.site
    if not site.owner_phone_enc:
        raise ValidationFailed(_("This site has no owner's mobile number on record."), field="site")
    cipher = FieldCipher(settings.encryption_key)
    token = cipher.decrypt(request.token_enc)
    job_id = sms.queue_sms(
        session,
        settings,
        to=cipher.decrypt(site.owner_phone_enc),
        template="footage.reminder" if reminder else "footage.request",
        values=_values(settings, request, token),
    )
    request.last_job_id, request.last_message_at = job_id, now or utcnow()


def _new_link(settings: Settings, request: FootageRequest) -> str:
    """A fresh secret for the request; the previous link and its phone stop working."""
    token = new_token(24)
    request.token_hash = keyed_hash(settings.secret_key, LINK_PURPOSE, token)
    request.token_enc = FieldCipher(settings.encryption_key).encrypt(token)
    request.device_hash = None
    return token


def _window(data: FootageRequestCreate, incident: Incident) -> tuple[datetime, datetime]:
    start = data.window_start or incident.window_start
    end = data.window_end or incident.window_end
    if end <= start:
        raise ValidationFailed(_("The time window must end after it starts."), field="window")
    return start, end


def send_request(
    session: Session,
    *,
    settings: Settings,
    incident: Incident,
    site: Site,
    data: FootageRequestCreate,
    user: User,
) -> Link:
    """Ask a site's owner for footage; one live request per site and incident."""
    if site.status != "active":  # paused or withdrawn: the owner asked not to be contacted
        raise Conflict(
            _("The owner has paused or withdrawn this listing; they cannot be asked for footage.")
        )
    if service.live_request(session, incident=incident, site=site) is not None:
        raise Conflict(_("This owner has already been asked; send the link again instead."))
    now = utcnow()
    start, end = _window(data, incident)
    request = FootageRequest(
        incident=incident,
        site=site,
        status="sent",
        channel="sms",
        window_start=start,
        window_end=end,
        note=data.note,
        created_by=user.id,
        sent_at=now,
        expires_at=now + timedelta(days=settings.footage_link_days),
        reminders_sent=0,
        decline_reason="",
        last_message_at=now,
    )
    token = _new_link(settings, request)
    session.add(request)
    _deliver(session, settings=settings, request=request, reminder=False)
    session.flush()
    _audit(session, user=user, request=request, action="site.footage_requested")
    return Link(request, token)


def _audit(session: Session, *, user: User, request: FootageRequest, action: str) -> None:
    # Filed under the site: the owner's page lists it ("Police asked you for footage").
    audit.record(
        session,
        actor=_actor(user),
        action=action,
        object_type="site",
        object_id=request.site_id,
        reference=request.incident.number,
        detail={"request": request.id},
    )


def resend(session: Session, *, settings: Settings, request: FootageRequest, user: User) -> Link:
    """A new link (the old one stops working), sent again, deadline renewed."""
    if request.status not in LIVE_REQUEST:
        raise Conflict(_("This request is closed; send a new one."))
    token = _new_link(settings, request)
    _deliver(session, settings=settings, request=request, reminder=False)
    request.expires_at = utcnow() + timedelta(days=settings.footage_link_days)
    if request.status == "opened":
        request.status = "sent"
    session.flush()
    _audit(session, user=user, request=request, action="site.footage_resent")
    return Link(request, token)


def cancel(session: Session, *, request: FootageRequest, user: User) -> None:
    """Withdraw a request the owner has not answered; its link stops working."""
    if request.status not in ("sent", "opened"):
        raise Conflict(_("Only a request still waiting for the owner can be cancelled."))
    request.status, request.responded_at = "cancelled", utcnow()
    session.flush()
    _audit(session, user=user, request=request, action="site.footage_cancelled")


def _refuse_closed(request: FootageRequest, now: datetime) -> None:
    if request.status == "sent" or request.status == "opened":
        if request.expires_at <= now:
            raise PermissionDenied(_("This link has expired. Ask the police for a new one."))
        return
    if request.status == "uploaded":
        return
    messages = {
        "declined": _("You have already declined this request. Thank you."),
        "expired": _("This link has expired. Ask the police for a new one."),
        "cancelled": _("The police have withdrawn this request. Nothing more is needed."),
    }
    raise PermissionDenied(messages[request.status])


def is_bound_to(settings: Settings, request: FootageRequest, device: str) -> bool:
    """Whether this browser's secret is the one the request was opened with."""
    if not device or request.device_hash is None:
        return False
    return same(request.device_hash, keyed_hash(settings.secret_key, DEVICE_PURPOSE, device))


def request_for_link(session: Session, *, settings: Settings, token: str) -> FootageRequest:
    """The request a link belongs to, whatever its state (NotFound for a wrong link)."""
    digest = keyed_hash(settings.secret_key, LINK_PURPOSE, token)
    request = session.scalar(select(FootageRequest).where(FootageRequest.token_hash == digest))
    if request is None:
        raise NotFound(
            _("This link is not valid. Check the message, or ask the police for a new link.")
        )
    return request


def check_link(
    session: Session, *, settings: Settings, token: str, now: datetime | None = None
) -> FootageRequest:
    """The request a link belongs to, if it can still be opened (nothing changes)."""
    now = now or utcnow()
    request = request_for_link(session, settings=settings, token=token)
    _refuse_closed(request, now)
    if request.device_hash is not None:
        raise PermissionDenied(
            _("This link has already been used. Ask the police to send you a new link.")
        )
    return request


def open_link(
    session: Session, *, settings: Settings, token: str, now: datetime | None = None
) -> tuple[FootageRequest, str]:
    """Bind a link to the first browser that opens it; returns that browser's secret.

    A link opened a second time (forwarded, replayed) opens nothing."""
    now = now or utcnow()
    request = check_link(session, settings=settings, token=token, now=now)
    device = new_token(24)
    request.device_hash = keyed_hash(settings.secret_key, DEVICE_PURPOSE, device)
    if request.status == "sent":
        request.status, request.opened_at = "opened", now
    session.flush()
    _owner_did(session, request=request, action="footage.opened")
    return request, device


def _owner_did(session: Session, *, request: FootageRequest, action: str) -> None:
    audit.record(
        session,
        actor=OWNER,
        action=action,
        object_type="footage_request",
        object_id=request.id,
        reference=request.incident.number,
    )


def for_device(
    session: Session,
    *,
    settings: Settings,
    device: str,
    writable: bool,
    now: datetime | None = None,
) -> FootageRequest:
    """The request this browser opened; for changes, one the owner can still answer."""
    now = now or utcnow()
    digest = keyed_hash(settings.secret_key, DEVICE_PURPOSE, device)
    request = session.scalar(select(FootageRequest).where(FootageRequest.device_hash == digest))
    if request is None:
        raise NotFound(_("Open the link from your message first."))
    if writable:
        _refuse_closed(request, now)
    return request


def decline(session: Session, *, request: FootageRequest, reason: str) -> None:
    """The owner says no (a reason is optional); final."""
    if request.status == "uploaded":
        raise Conflict(_("You have already sent footage for this request."))
    request.status, request.responded_at = "declined", utcnow()
    request.decline_reason = reason.strip()[:500]
    session.flush()
    _owner_did(session, request=request, action="footage.declined")


def expire_and_remind(session: Session, *, settings: Settings, now: datetime) -> tuple[int, int]:
    """Close requests past their deadline; remind owners who have not answered yet."""
    waiting = session.scalars(
        select(FootageRequest).where(FootageRequest.status.in_(("sent", "opened")))
    ).all()
    # Only unopened links are reminded: an owner who opened it has the page already.
    expired = reminded = 0
    gap = timedelta(hours=settings.footage_reminder_hours)
    for request in waiting:
        if request.expires_at <= now:
            request.status, expired = "expired", expired + 1
        elif _reminder_due(request, now, gap) and request.site.owner_phone_enc:
            _deliver(session, settings=settings, request=request, reminder=True, now=now)
            request.reminders_sent, reminded = request.reminders_sent + 1, reminded + 1
    session.flush()
    return expired, reminded


def _reminder_due(request: FootageRequest, now: datetime, gap: timedelta) -> bool:
    unanswered = request.status == "sent" and request.reminders_sent < MAX_REMINDERS
    return unanswered and now - request.last_message_at >= gap
