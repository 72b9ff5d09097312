"""The WhatsApp Cloud API webhook format: the signature on the raw body, and its payload.

Meta signs each POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
under the app secret>`; the body is `{"object": "whatsapp_business_account", "entry":
[{"changes": [{"field": "messages", "value": {metadata, contacts, messages | statuses}}]}]}`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from nigrani.core.config import Settings
from nigrani.core.errors import AuthenticationFailed, NigraniError, PermissionDenied
from nigrani.core.i18n import _
from nigrani.core.security import same
from nigrani.grievances.channels.whatsapp import payload as wire

SIGNATURE_HEADER = "x-hub-signature-256"
MEDIA_KINDS = ("image", "audio")
WA_ID = re.compile(r"[0-9]{5,20}")  # ASCII digits: str.isdigit() also takes "²" and "١"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a WhatsApp user, reduced to what the conversation reads."""

    message_id: str
    wa_id: str
    kind: str  # text, image, audio, location, or "other"
    sent_at: datetime | None
    name: str = ""
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    media_id: str = ""
    mime_type: str = ""

    def as_json(self) -> dict[str, Any]:
        """What is kept (encrypted) of the message."""
        values = {k: getattr(self, k) for k in self.__slots__ if k != "sent_at"}
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass(frozen=True, slots=True)
class Status:
    """A delivery status of a message we sent: sent, delivered, read or failed."""

    wamid: str
    status: str
    at: datetime | None
    error: str = ""


@dataclass(slots=True)
class Delivery:
    """Everything one webhook POST carries for our phone number."""

    messages: list[Inbound] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)


def signature(secret: str, body: bytes) -> str:
    """The header value Meta would send for this body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_signature(settings: Settings, *, body: bytes, header: str | None) -> None:
    """Refuse a body whose signature is missing (401) or wrong (403)."""
    if not header:
        raise AuthenticationFailed(_("The webhook signature is missing."))
    if not same(header.strip().lower(), signature(settings.whatsapp_app_secret, body)):
        raise PermissionDenied(_("The webhook signature does not match."))


def check_subscription(settings: Settings, *, mode: str, token: str, challenge: str) -> str:
    """The challenge back when Meta's verification request carries our verify token."""
    if mode != "subscribe" or not same(token, settings.whatsapp_verify_token):
        raise PermissionDenied(_("The verify token does not match."))
    return challenge


def _time(value: str | int | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value or ""), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _content(raw: wire.Message) -> dict[str, Any]:
    if raw.type == "text":
        return {"text": raw.text.body[:5000]} if raw.text else {"text": ""}
    if raw.type in MEDIA_KINDS:
        part = raw.image if raw.type == "image" else raw.audio
        if part is None or not part.id:
            return {}
        media = {"media_id": part.id[:200], "mime_type": part.mime_type[:100]}
        return media | ({"text": part.caption[:1000]} if part.caption else {})
    if raw.type == "location" and raw.location is not None:
        return _location(raw.location)
    return {}


def _location(pin: wire.LocationPart) -> dict[str, Any]:
    if pin.latitude is None or pin.longitude is None:
        return {}
    words = [w.strip() for w in (pin.name, pin.address)]
    unique = list(dict.fromkeys(w for w in words if w))  # pins often repeat name as address
    return {"lat": pin.latitude, "lon": pin.longitude, "text": ", ".join(unique)[:400]}


def _message(raw: wire.Message, names: dict[str, str]) -> Inbound | None:
    if not raw.id or not WA_ID.fullmatch(raw.sender):
        return None
    kind, content = raw.type, _content(raw)
    if kind not in ("text", "location", *MEDIA_KINDS) or (kind != "text" and not content):
        kind, content = "other", {}
    return Inbound(
        message_id=raw.id[:200],
        wa_id=raw.sender,
        kind=kind,
        sent_at=_time(raw.timestamp),
        name=names.get(raw.sender, "")[:120],
        **content,
    )


def _status(raw: wire.StatusPart) -> Status | None:
    if not raw.id or raw.status not in ("sent", "delivered", "read", "failed"):
        return None
    error = raw.errors[0].title[:500] if raw.errors else ""
    return Status(wamid=raw.id[:200], status=raw.status, at=_time(raw.timestamp), error=error)


def _names(value: wire.Value) -> dict[str, str]:
    return {c.wa_id: c.profile.name if c.profile else "" for c in value.contacts}


def _values(payload: wire.Payload, phone_number_id: str) -> list[wire.Value]:
    changes = [change for entry in payload.entry for change in entry.changes]
    return [
        c.value
        for c in changes
        if c.field == "messages"
        and c.value is not None
        and c.value.metadata is not None
        and c.value.metadata.phone_number_id == phone_number_id
    ]


def _payload(body: bytes) -> wire.Payload:
    try:
        return wire.Payload.model_validate_json(body)
    except ValidationError as exc:  # the body is never echoed: it is the citizens' words
        first = exc.errors(include_input=False)[0]
        if first["type"] != "json_invalid":
            field = ".".join(str(part) for part in first["loc"])
            raise NigraniError(_("This is not a WhatsApp webhook."), field=field) from exc
        if "recursion limit" in first["msg"]:
            raise NigraniError(_("The webhook body is nested too deeply."), field="body") from exc
        raise NigraniError(_("The webhook body is not JSON."), field="body") from exc


def parse(body: bytes, *, phone_number_id: str) -> Delivery:
    """The messages and statuses for our number in a webhook body (others are ignored).

    A body that is not a well-formed delivery is refused with a 400, whatever its shape."""
    payload = _payload(body)
    if payload.object != "whatsapp_business_account":
        raise NigraniError(_("This is not a WhatsApp webhook."), field="object")
    delivery = Delivery()
    for value in _values(payload, phone_number_id):
        names = _names(value)
        delivery.messages += [m for r in value.messages if (m := _message(r, names))]
        delivery.statuses += [s for r in value.statuses if (s := _status(r))]
    return delivery
