"""What a citizen is texted about a hearing place: the waiting-room link when the place is
taken, the same link again before the slot, and the outcome with its complaint number. Each
goes by SMS, and also on WhatsApp when the citizen wrote to our WhatsApp number within the
last 24 hours (the only time the Cloud API lets us write freely).

The link's secret is HMAC(server key, the ticket's `link_key`), so a reminder can send the
same link again while the database keeps only its SHA-256."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.i18n import format_ist_numeric
from nigrani.core.security import FieldCipher
from nigrani.core.sms import service as sms
from nigrani.core.sms import templates
from nigrani.grievances.channels.whatsapp import service as whatsapp
from nigrani.hearings.models import HearingTicket

LINK_PURPOSE = "hearing-link"


def link_secret(settings: Settings, link_key: str) -> str:
    """The secret in a ticket's waiting-room link."""
    mac = hmac.new(settings.secret_key.encode(), f"{LINK_PURPOSE}:{link_key}".encode(), "sha256")
    return mac.hexdigest()[:40]


def room_url(settings: Settings, secret: str) -> str:
    """The waiting room's address for a link secret."""
    return f"{settings.public_url}/hearings/t/{secret}"


def _text(
    session: Session,
    settings: Settings,
    citizen: User,
    name: str,
    language: str | None,
    values: Mapping[str, object],
) -> bool:
    if not citizen.phone_enc:
        return False
    to = FieldCipher(settings.encryption_key).decrypt(citizen.phone_enc)
    template = templates.for_language(name, language or "hi")
    sms.queue_sms(session, settings, to=to, template=template.name, values=values)
    talk = whatsapp.open_conversation(session, settings, to, now=utcnow())
    if talk is not None:  # and on WhatsApp, where the citizen has written to us today
        fitted = templates.values_for(template, values)
        body, kept = templates.render(template, fitted), templates.redacted(template, fitted)
        whatsapp.queue_reply(session, conversation=talk, body=body, kept=kept)
    return True


def text_place(
    session: Session, settings: Settings, ticket: HearingTicket, secret: str, language: str
) -> bool:
    """The place taken: its number, its time and the waiting room's link."""
    values = {
        "n": ticket.number,
        "when": format_ist_numeric(ticket.due),
        "link": room_url(settings, secret),
    }
    return _text(session, settings, ticket.citizen, "hearing.place", language, values)


def text_reminder(session: Session, settings: Settings, ticket: HearingTicket) -> bool:
    """The same link again, before the slot."""
    values = {
        "n": ticket.number,
        "when": format_ist_numeric(ticket.due),
        "link": room_url(settings, link_secret(settings, ticket.link_key)),
    }
    return _text(
        session, settings, ticket.citizen, "hearing.reminder", ticket.citizen.language, values
    )


def text_outcome(
    session: Session,
    settings: Settings,
    ticket: HearingTicket,
    *,
    number: str,
    url: str,
    notes: str,
) -> bool:
    """The hearing's summary and the complaint it ended in."""
    values = {"text": notes, "n": number, "url": url}
    return _text(
        session, settings, ticket.citizen, "hearing.outcome", ticket.citizen.language, values
    )
