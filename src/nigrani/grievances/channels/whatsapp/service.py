"""WhatsApp messages in: store each once, move its conversation on, queue the reply.

The webhook answers 200 as soon as this has run in the request's transaction; replies and
media downloads are outbox jobs (whatsapp_sender), never calls made inside the request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NigraniError, NotFound, ValidationFailed
from nigrani.core.i18n import _, current_language
from nigrani.core.phones import mask_mobile, normalize_mobile
from nigrani.core.security import FieldCipher, keyed_hash
from nigrani.grievances import notify
from nigrani.grievances import service as grievances
from nigrani.grievances.channels.models import (
    WhatsAppConversation,
    WhatsAppInbound,
    WhatsAppOutbound,
)
from nigrani.grievances.channels.whatsapp import conversation as chat
from nigrani.grievances.channels.whatsapp.texts import say, status_name
from nigrani.grievances.channels.whatsapp.webhook import Inbound, Status, check_signature, parse
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import ComplaintCreate

CHANNEL = "whatsapp"
SERVICE_WINDOW = timedelta(hours=24)
# A status only moves forward: a late "delivered" never overwrites "read".
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def configured(settings: Settings) -> bool:
    """Whether the WhatsApp channel has its secrets (the settings refuse half a set)."""
    return bool(settings.whatsapp_app_secret)


def require_configured(settings: Settings) -> None:
    """404 while the channel is off, so an unconfigured server reveals nothing."""
    if not configured(settings):
        raise NotFound(_("The WhatsApp channel is not configured."))


def receive(session: Session, *, settings: Settings, body: bytes, signature: str | None) -> int:
    """Check, store and handle one webhook POST; returns how many messages were new."""
    require_configured(settings)
    check_signature(settings, body=body, header=signature)
    delivery = parse(body, phone_number_id=settings.whatsapp_phone_number_id)
    for status in delivery.statuses:
        apply_status(session, status=status)
    new = 0
    for message in delivery.messages:
        if _store(session, settings, message):
            _converse(session, settings, message)
            new += 1
    session.flush()
    return new


def _wa_hash(settings: Settings, wa_id: str) -> str:
    return keyed_hash(settings.secret_key, "whatsapp", wa_id)


def _store(session: Session, settings: Settings, message: Inbound) -> bool:
    known = select(WhatsAppInbound.id).where(WhatsAppInbound.message_id == message.message_id)
    if session.scalar(known) is not None:
        return False
    row = WhatsAppInbound(
        message_id=message.message_id,
        wa_hash=_wa_hash(settings, message.wa_id),
        kind=message.kind,
        payload_enc=FieldCipher(settings.encryption_key).encrypt(json.dumps(message.as_json())),
        sent_at=message.sent_at,
        received_at=utcnow(),
    )
    try:  # two deliveries of one message racing: the unique id lets only one through
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def apply_status(session: Session, *, status: Status) -> None:
    """Record a delivery status of a reply we sent (unknown ids are ignored)."""
    sent = session.scalar(select(WhatsAppOutbound).where(WhatsAppOutbound.wamid == status.wamid))
    if sent is None or STATUS_RANK[status.status] <= STATUS_RANK.get(sent.status, 0):
        return
    sent.status, sent.status_at = status.status, status.at or utcnow()
    sent.error = status.error or sent.error


def _conversation(session: Session, settings: Settings, wa_id: str) -> WhatsAppConversation:
    """The user's conversation, created if new, locked until the delivery commits.

    Two deliveries for one user (a repeated "1" at the confirm step, a new user's first
    messages arriving together) then take turns, each seeing the state the other left:
    on PostgreSQL through the row lock, on SQLite through the writer lock every
    transaction takes (core.db)."""
    wa_hash = _wa_hash(settings, wa_id)
    found = session.scalar(_locked(wa_hash))
    if found is not None:
        return found
    now = utcnow()
    values = {
        "wa_hash": wa_hash,
        "wa_enc": FieldCipher(settings.encryption_key).encrypt(wa_id),
        "state": chat.IDLE,
        "language": "",
        "created_at": now,
        "updated_at": now,
    }
    # A racing first message may insert the same user: it waits for that one, then finds it.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(WhatsAppConversation)
        .values(values)
        .on_conflict_do_nothing(index_elements=["wa_hash"])
    )
    return session.scalars(_locked(wa_hash)).one()  # ours, or the racer's (never deleted)


def _locked(wa_hash: str) -> Select[WhatsAppConversation]:
    return (
        select(WhatsAppConversation)
        .where(WhatsAppConversation.wa_hash == wa_hash)
        .with_for_update()
        .execution_options(populate_existing=True)  # the state as it is now, not as cached
    )


def _choices(session: Session) -> list[chat.Choice]:
    return [chat.Choice(c.code, c.name_en, c.name_hi) for c in grievances.categories(session)]


def _converse(session: Session, settings: Settings, message: Inbound) -> None:
    talk = _conversation(session, settings, message.wa_id)
    cipher = FieldCipher(settings.encryption_key)
    language = chat.language_for(message, talk.language or None, settings.default_language)
    draft = chat.Draft() if talk.state == chat.IDLE else chat.Draft.loads(_plain(cipher, talk))
    step = chat.advance(
        state=talk.state,
        draft=draft,
        message=message,
        choices=_choices(session),
        language=language,
    )
    reply, state = step.reply, step.state
    if step.submit:
        reply, state = _submit(session, settings, talk, draft, message, language)
    elif step.lookup:
        reply = _status_of(session, settings, message.wa_id, step.lookup, language)
    talk.state, talk.language, talk.updated_at = state, language, utcnow()
    talk.draft_enc = None if state == chat.IDLE else cipher.encrypt(draft.dumps())
    queue_reply(session, conversation=talk, body=reply)


def _plain(cipher: FieldCipher, talk: WhatsAppConversation) -> str | None:
    return cipher.decrypt(talk.draft_enc) if talk.draft_enc else None


@contextmanager
def _speaking(language: str) -> Iterator[None]:
    token = current_language.set(language)  # the core's errors come back in their language
    try:
        yield
    finally:
        current_language.reset(token)


def _mobile(wa_id: str) -> str | None:
    try:
        return normalize_mobile("+" + wa_id)
    except ValidationFailed:
        return None  # a number outside India: the complaint is kept, with no SMS


def _create(
    session: Session, settings: Settings, draft: chat.Draft, message: Inbound, language: str
) -> Complaint:
    mobile = _mobile(message.wa_id)
    data = ComplaintCreate(
        category=draft.category,
        text=draft.text,
        mobile=mobile,
        mobile_verified=mobile is not None,  # WhatsApp has verified the number is theirs
        name=message.name or None,
        lat=draft.lat,
        lon=draft.lon,
        address=draft.address,
        language="en" if language == "en" else "hi",
        external_ref=f"wa:{message.message_id}",
    )
    actor = audit.Actor(id=None, label=f"WhatsApp {mask_mobile(mobile or message.wa_id)}")
    return grievances.create_complaint(
        session, settings=settings, data=data, channel=CHANNEL, actor=actor
    )


def _submit(
    session: Session,
    settings: Settings,
    talk: WhatsAppConversation,
    draft: chat.Draft,
    message: Inbound,
    language: str,
) -> tuple[str, str]:
    try:
        with _speaking(language), session.begin_nested():
            complaint = _create(session, settings, draft, message, language)
    except NigraniError as exc:  # a place outside the city, say: ask for the place again
        reason = say("failed", language, reason=exc.message)
        return reason + "\n" + say("ask_where", language), chat.WHERE
    except ValidationError:
        return say("failed", language, reason="") + "\n" + say("ask_what", language), chat.WHAT
    talk.last_complaint_id = complaint.id
    for media in draft.media:
        queue_media(session, complaint=complaint, media=media)
    url = notify.track_url(settings, complaint)
    return say("registered", language, number=complaint.number, url=url), chat.IDLE


def _status_of(session: Session, settings: Settings, wa_id: str, number: str, language: str) -> str:
    try:
        complaint = grievances.get_by_number(session, number)
    except NotFound:
        return say("not_found", language)
    mobile = _mobile(wa_id)
    if mobile is None or complaint.phone_hash != grievances.phone_hash(settings, mobile):
        return say("not_found", language)  # only the complainant hears about a complaint
    return say(
        "status", language, number=complaint.number, status=status_name(complaint.status, language)
    )


def queue_reply(
    session: Session, *, conversation: WhatsAppConversation, body: str, kept: str | None = None
) -> None:
    """A text to the conversation's user, sent by the outbox after the commit. `kept` is
    the text to keep instead, with its secrets masked (a waiting room's link): the text
    itself then travels only in the outbox job, as an SMS's does."""
    sent = WhatsAppOutbound(
        conversation_id=conversation.id,
        body=(body if kept is None else kept)[:4096],
        status="queued",
        created_at=utcnow(),
    )
    session.add(sent)
    session.flush()
    payload: dict[str, object] = {"outbound_id": sent.id}
    if kept is not None:
        payload["body"] = body[:4096]
    outbox.enqueue(
        session, kind="whatsapp.send", payload=payload, dedupe_key=f"whatsapp.send:{sent.id}"
    )


def open_conversation(
    session: Session, settings: Settings, e164: str, *, now: datetime
) -> WhatsAppConversation | None:
    """The conversation with this mobile if WhatsApp lets us write to it freely now: its
    user wrote to us within the last 24 hours (the Cloud API's customer-service window;
    outside it only pre-approved templates may be sent). None when the channel is off."""
    if not configured(settings):
        return None
    wa_hash = _wa_hash(settings, e164.lstrip("+"))
    last = session.scalar(
        select(func.max(WhatsAppInbound.received_at)).where(WhatsAppInbound.wa_hash == wa_hash)
    )
    if last is None or last < now - SERVICE_WINDOW:
        return None
    return session.scalar(
        select(WhatsAppConversation).where(WhatsAppConversation.wa_hash == wa_hash)
    )


def queue_media(session: Session, *, complaint: Complaint, media: dict[str, str]) -> None:
    """Fetch a photo or voice note from WhatsApp into the complaint's attachments, later."""
    outbox.enqueue(
        session,
        kind="whatsapp.media",
        payload={"complaint_id": complaint.id, **media},
        dedupe_key=f"whatsapp.media:{complaint.id}:{media['id']}"[:160],
    )
