"""A local fake of WhatsApp's servers: the Cloud API (send, media) on a loopback port, and
the webhook side that builds, signs and POSTs deliveries to our app as Meta does."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.serving import LoopbackFake

VERSION = "v21.0"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client killed mid-send
            super().handle_error(request, client_address)


@dataclass
class FakeWhatsApp(LoopbackFake):
    """Records what we send, serves media, and delivers signed webhooks."""

    token: str
    app_secret: str
    webhook_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Seconds between recording a send and answering it: a worker killed in that window
    # has sent a reply it never learns about (the crash tests aim their kills there).
    send_delay: float = 0.0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    server: ThreadingHTTPServer | None = None
    server_class = _Server

    @property
    def base(self) -> str:
        """What NIGRANI_WHATSAPP_API_BASE points at."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{VERSION}"

    # --- the Cloud API ------------------------------------------------------------------
    def _authorized(self, request: BaseHTTPRequestHandler) -> bool:
        if request.headers.get("Authorization") == f"Bearer {self.token}":
            return True
        self.refused.append(request.path)
        error = {
            "error": {
                "message": "Invalid OAuth access token.",
                "type": "OAuthException",
                "code": 190,
            }
        }
        _answer(request, 401, error)
        return False

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        if request.path != f"/{VERSION}/{PHONE_NUMBER_ID}/messages":
            _answer(request, 404, {"error": {"message": "Unknown path", "code": 803}})
            return
        if not self._authorized(request):
            return
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length))
        well_formed = (
            body.get("messaging_product") == "whatsapp"
            and body.get("type") == "text"
            and str(body.get("to", "")).isdigit()
            and isinstance(body.get("text", {}).get("body"), str)
            and request.headers.get("Content-Type", "").startswith("application/json")
        )
        if not well_formed:
            _answer(request, 400, {"error": {"message": "Invalid parameter", "code": 100}})
            return
        wamid = f"wamid.OUT{next(self._ids):04d}"
        self.sent.append({**body, "id": wamid})
        time.sleep(self.send_delay)
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": wamid}],
        }
        _answer(request, 200, answer)

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        if not self._authorized(request):
            return
        parts = request.path.strip("/").split("/")
        if parts[0] == "files" and parts[-1] in self.media:
            data, mime = self.media[parts[-1]]
            request.send_response(200)
            request.send_header("Content-Type", mime)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
            return
        if len(parts) == 2 and parts[0] == VERSION and parts[1] in self.media:
            data, mime = self.media[parts[1]]
            port = self.server.server_address[1] if self.server else 0
            _answer(
                request,
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"http://127.0.0.1:{port}/files/{parts[1]}",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "file_size": len(data),
                    "id": parts[1],
                },
            )
            return
        _answer(request, 404, {"error": {"message": "Unsupported get request", "code": 100}})

    # --- the webhook side ---------------------------------------------------------------
    def sign(self, body: bytes) -> str:
        """X-Hub-Signature-256 for a body."""
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def headers(self, body: bytes, signature: str | None = None) -> dict[str, str]:
        """The headers of a webhook POST of this body, signed (or with the signature given)."""
        return {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature or self.sign(body),
        }

    def deliver(self, value: dict[str, Any], *, signature: str | None = None) -> httpx.Response:
        """POST one change to the webhook, signed (or with the signature given)."""
        body = envelope(value)
        return httpx.post(
            self.webhook_url, content=body, headers=self.headers(body, signature), timeout=30
        )

    def deliver_raw(self, body: bytes) -> httpx.Response:
        """POST any body to the webhook, correctly signed (as only Meta could)."""
        return httpx.post(self.webhook_url, content=body, headers=self.headers(body), timeout=30)

    def add_media(self, media_id: str, data: bytes, mime: str) -> None:
        """A file users can send, by its media id."""
        self.media[media_id] = (data, mime)


def envelope(value: dict[str, Any]) -> bytes:
    """The body Meta POSTs for one change value."""
    wrapped = {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(wrapped, ensure_ascii=False).encode()


def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


_stamp = itertools.count(1_764_000_000)


def metadata() -> dict[str, str]:
    """The metadata block of our business number."""
    return {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID}


def message(
    wa_id: str, message_id: str, kind: str, content: dict[str, Any], name: str = "Sunita Devi"
) -> dict[str, Any]:
    """A `messages` change value as the Cloud API sends it."""
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(),
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": message_id,
                "timestamp": str(next(_stamp)),
                "type": kind,
                kind: content,
            }
        ],
    }


def text(wa_id: str, message_id: str, body: str) -> dict[str, Any]:
    """A text message."""
    return message(wa_id, message_id, "text", {"body": body})


def location(
    wa_id: str, message_id: str, lat: float, lon: float, address: str = ""
) -> dict[str, Any]:
    """A shared location."""
    return message(
        wa_id,
        message_id,
        "location",
        {"latitude": lat, "longitude": lon, "name": address, "address": address},
    )


def media(
    wa_id: str, message_id: str, kind: str, media_id: str, mime: str, data: bytes
) -> dict[str, Any]:
    """An image or audio message."""
    content: dict[str, Any] = {
        "mime_type": mime,
        "sha256": hashlib.sha256(data).hexdigest(),
        "id": media_id,
    }
    if kind == "audio":
        content["voice"] = True
    return message(wa_id, message_id, kind, content)


def status(wamid: str, wa_id: str, state: str) -> dict[str, Any]:
    """A `statuses` change value for a message we sent."""
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata(),
        "statuses": [
            {
                "id": wamid,
                "status": state,
                "timestamp": str(next(_stamp)),
                "recipient_id": wa_id,
                "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
                "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
            }
        ],
    }
