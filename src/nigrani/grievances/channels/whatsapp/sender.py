"""Outbox handlers that talk to the WhatsApp Cloud API: send a text, fetch a media file.

Send: POST {base}/{phone-number-id}/messages with the bearer token. Media: GET {base}/{id}
gives JSON with a short-lived `url`, which is fetched with the same bearer token.
"""

from __future__ import annotations

import io
from typing import Any

import httpx

from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.security import FieldCipher
from nigrani.grievances import service as grievances
from nigrani.grievances.channels.models import WhatsAppConversation, WhatsAppOutbound

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
ACTOR = audit.Actor(id=None, label="WhatsApp")


class CloudApiError(RuntimeError):
    """WhatsApp's servers refused or failed a call; the outbox will try again."""


def _headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.whatsapp_token}"}


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise CloudApiError(
            f"{response.request.url.path}: {response.status_code} {response.text[:300]}"
        )
    return response


def send_text(settings: Settings, *, to: str, body: str) -> str:
    """Send one text message; returns WhatsApp's message id (wamid)."""
    url = f"{settings.whatsapp_api_base}/{settings.whatsapp_phone_number_id}/messages"
    message = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
    }
    with httpx.Client(timeout=TIMEOUT) as client:
        answer = _checked(client.post(url, json=message, headers=_headers(settings))).json()
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError) as exc:
        raise CloudApiError(f"no message id in the answer: {answer!r:.300}") from exc


@outbox.handler("whatsapp.send")
def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    sent = ctx.session.get(WhatsAppOutbound, int(payload["outbound_id"]))
    if sent is None or sent.wamid is not None:
        return  # gone, or already sent by an earlier try
    talk = ctx.session.get(WhatsAppConversation, sent.conversation_id)
    if talk is None:
        return
    to = FieldCipher(ctx.settings.encryption_key).decrypt(talk.wa_enc)
    body = str(payload.get("body") or sent.body)  # the row may keep a masked copy
    sent.wamid = send_text(ctx.settings, to=to, body=body)
    sent.status, sent.status_at = "sent", utcnow()


def fetch_media(settings: Settings, *, media_id: str, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of a media file and its type, through the media URL WhatsApp gives."""
    with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client:
        info = _checked(
            client.get(f"{settings.whatsapp_api_base}/{media_id}", headers=_headers(settings))
        ).json()
        url, media_type = str(info.get("url", "")), str(info.get("mime_type", ""))
        if not url.startswith(("https://", "http://")):
            raise CloudApiError(f"no media url for {media_id}")
        data = bytearray()
        with client.stream("GET", url, headers=_headers(settings)) as response:
            if response.status_code >= 400:
                response.read()
                _checked(response)
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    raise CloudApiError(f"media {media_id} is larger than {max_bytes} bytes")
    return bytes(data), media_type


def _filename(media_id: str, media_type: str, kind: str) -> str:
    extension = EXTENSIONS.get(media_type.split(";")[0].strip(), "")
    if not extension and media_type.startswith("audio/"):
        extension = ".ogg" if "ogg" in media_type else ".m4a"
    return f"whatsapp-{kind}-{media_id}{extension or '.bin'}"


@outbox.handler("whatsapp.media")
def _media(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    complaint = grievances.get_complaint(ctx.session, int(payload["complaint_id"]))
    data, media_type = fetch_media(
        ctx.settings, media_id=payload["id"], max_bytes=grievances.MAX_ATTACHMENT_BYTES
    )
    media_type = media_type or payload.get("mime", "") or "application/octet-stream"
    grievances.add_attachment(
        ctx.session,
        settings=ctx.settings,
        complaint=complaint,
        stream=io.BytesIO(data),
        filename=_filename(payload["id"], media_type, payload.get("kind", "media")),
        media_type=media_type.split(";")[0].strip(),
        actor=ACTOR,
    )
