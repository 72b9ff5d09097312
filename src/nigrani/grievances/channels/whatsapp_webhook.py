"""The WhatsApp Cloud API webhook format: the signature on the raw body, and its payload.

Meta signs each POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body
under the app secret>`; the body is `{"object": "whatsapp_business_account", "entry":
[{"changes": [{"field": "messages", "value": {metadata, contacts, messages | statuses}}]}]}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nigrani.core.config import Settings
from nigrani.core.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import same

SIGNATURE_HEADER = "x-hub-signature-256"
MEDIA_KINDS = ("image", "audio")


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


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _content(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    part = raw.get(kind)
    body = part if isinstance(part, dict) else {}
    if kind == "text":
        return {"text": str(body.get("body", ""))[:5000]}
    if kind in MEDIA_KINDS:
        media = {"media_id": str(body.get("id", "")), "mime_type": str(body.get("mime_type", ""))}
        caption = str(body.get("caption", ""))[:1000]
        return media | ({"text": caption} if caption else {}) if media["media_id"] else {}
    if kind == "location":
        return _location(body)
    return {}


def _location(body: dict[str, Any]) -> dict[str, Any]:
    try:
        lat, lon = float(body["latitude"]), float(body["longitude"])
    except (KeyError, TypeError, ValueError):
        return {}
    words = [str(body.get(k, "")).strip() for k in ("name", "address")]
    unique = list(dict.fromkeys(w for w in words if w))  # pins often repeat name as address
    return {"lat": lat, "lon": lon, "text": ", ".join(unique)[:400]}


def _message(raw: dict[str, Any], names: dict[str, str]) -> Inbound | None:
    message_id, wa_id = str(raw.get("id", "")), str(raw.get("from", ""))
    if not message_id or not wa_id.isdigit():
        return None
    kind = str(raw.get("type", ""))
    content = _content(kind, raw)
    if kind not in ("text", "location", *MEDIA_KINDS) or (kind != "text" and not content):
        kind, content = "other", {}
    return Inbound(
        message_id=message_id[:200],
        wa_id=wa_id,
        kind=kind,
        sent_at=_time(raw.get("timestamp")),
        name=names.get(wa_id, "")[:120],
        **content,
    )


def _status(raw: dict[str, Any]) -> Status | None:
    wamid, status = str(raw.get("id", "")), str(raw.get("status", ""))
    if not wamid or status not in ("sent", "delivered", "read", "failed"):
        return None
    errors = _dicts(raw.get("errors"))
    error = str(errors[0].get("title", ""))[:500] if errors else ""
    return Status(wamid=wamid[:200], status=status, at=_time(raw.get("timestamp")), error=error)


def _names(value: dict[str, Any]) -> dict[str, str]:
    names = {}
    for contact in _dicts(value.get("contacts")):
        profile = contact.get("profile")
        name = profile.get("name", "") if isinstance(profile, dict) else ""
        names[str(contact.get("wa_id", ""))] = str(name)
    return names


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _values(payload: dict[str, Any], phone_number_id: str) -> list[dict[str, Any]]:
    values = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            if isinstance(metadata, dict) and metadata.get("phone_number_id") == phone_number_id:
                values.append(value)
    return values


def parse(body: bytes, *, phone_number_id: str) -> Delivery:
    """The messages and statuses for our number in a webhook body (others are ignored)."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(_("The webhook body is not JSON."), field="body") from exc
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise ValidationFailed(_("This is not a WhatsApp webhook."), field="object")
    delivery = Delivery()
    for value in _values(payload, phone_number_id):
        names = _names(value)
        delivery.messages += [m for r in _dicts(value.get("messages")) if (m := _message(r, names))]
        delivery.statuses += [s for r in _dicts(value.get("statuses")) if (s := _status(r))]
    return delivery
