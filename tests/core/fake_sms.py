"""A local fake of an Indian SMS gateway: a real HTTP server on a loopback port that checks
the key, records each request as it came over the wire, and answers what a test scripts."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from nigrani.core.config import Settings
from tests.serving import LoopbackFake

API_KEY = "k3y-for-the-fake-gateway-0123456789"
OK, SERVER_ERROR, TOO_MANY, BAD_REQUEST, SLOW, SAYS_NO = (
    "ok",
    "500",
    "429",
    "400",
    "slow",
    "says-no",
)


@dataclass
class Received:
    """One request as the gateway saw it."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]
    json: dict[str, Any] | None

    @property
    def fields(self) -> dict[str, Any]:
        """Whatever carried the message: the JSON body, the form, or the query."""
        return self.json if self.json is not None else {**self.query, **self.form}


@dataclass
class FakeGateway(LoopbackFake):
    """Answers each send with the next scripted outcome (then OK), MSG91-style JSON."""

    answers: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    slow_seconds: float = 3.0
    server: ThreadingHTTPServer | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    @property
    def url(self) -> str:
        """The send endpoint."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/send"

    def _read(self, request: BaseHTTPRequestHandler) -> Received:
        parts = urlsplit(request.path)
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        kind = request.headers.get("Content-Type", "")
        return Received(
            method=request.command,
            path=parts.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            query=dict(parse_qsl(parts.query)),
            form=dict(parse_qsl(raw.decode())) if "form" in kind else {},
            json=json.loads(raw) if "json" in kind else None,
        )

    def _authorized(self, got: Received) -> bool:
        return API_KEY in (
            got.headers.get("authkey"),
            got.query.get("apikey"),
            got.form.get("apikey"),
        )

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        self._handle(request)

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        self._handle(request)

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        got = self._read(request)
        self.received.append(got)
        if not self._authorized(got):
            _answer(request, 401, {"type": "error", "message": "Invalid authkey"})
            return
        outcome = self.answers.pop(0) if self.answers else OK
        if outcome == SLOW:
            time.sleep(self.slow_seconds)
            outcome = OK
        if outcome in (SERVER_ERROR, TOO_MANY):
            # Some gateways echo the request in their errors: the key and the number.
            echo = f"try later: authkey={got.headers.get('authkey')} to={got.fields.get('mobiles')}"
            _answer(request, int(outcome), {"type": "error", "message": echo})
        elif outcome == BAD_REQUEST:
            number = got.fields.get("mobiles", "")
            _answer(request, 400, {"type": "error", "message": f"Invalid mobile {number}"})
        elif outcome == SAYS_NO:
            _answer(request, 200, {"type": "error", "message": "Template id not approved"})
        else:
            _answer(request, 200, {"type": "success", "message": f"msg-{next(self._ids)}"})


def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


ENTITY_ID, SENDER = "1101234567890123456", "NGRANI"


def dlt_ids(skip: tuple[str, ...] = ()) -> dict[str, str]:
    """A DLT template id for every registered template but the skipped ones."""
    from nigrani.core.sms.templates import TEMPLATES

    return {name: f"1107{i:015d}" for i, name in enumerate(TEMPLATES) if name not in skip}


def _table(name: str, values: dict[str, object]) -> str:
    lines = [f"[{name}]"] + [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def profile_toml(
    url: str, *, skip: tuple[str, ...] = (), gateway: dict[str, object] | None = None
) -> str:
    """An SMS file for the fake, MSG91-style (JSON POST, `authkey` header) unless overridden."""
    fields = {
        "to": "mobiles",
        "text": "message",
        "sender": "sender",
        "pe_id": "pe_id",
        "template_id": "DLT_TE_ID",
        "unicode": "unicode",
        "ref": "ref",
    }
    settings: dict[str, object] = {
        "url": url,
        "auth": "header",
        "auth_name": "authkey",
        "id_path": "message",
        "ok_path": "type",
        "timeout_seconds": 0.3,
    }
    settings.update(gateway or {})
    reports = {"id": "requestId", "status": "status", "error": "desc"}
    return (
        _table("dlt", {"entity_id": ENTITY_ID, "sender": SENDER})
        + _table("dlt.templates", dict(dlt_ids(skip)))
        + _table("gateway", settings)
        + _table("gateway.fields", dict(fields))
        + _table("gateway.extra", {"route": "4"})
        + _table("reports", dict(reports))
    )


WEBHOOK_SECRET = "w" * 32


def http_settings(
    database_url: str,
    tmp: Path,
    gateway: FakeGateway,
    *,
    skip: tuple[str, ...] = (),
    options: dict[str, object] | None = None,
) -> Settings:
    """Production-like settings whose SMS go to the fake gateway."""
    from tests.conftest import make_settings

    path = tmp / f"sms-{len(list(tmp.glob('sms-*.toml')))}.toml"
    path.write_text(profile_toml(gateway.url, skip=skip, gateway=options), encoding="utf-8")
    return make_settings(
        database_url,
        tmp / "var",
        sms_backend="http",
        sms_config_file=path,
        sms_api_key=API_KEY,
        sms_webhook_secret=WEBHOOK_SECRET,
    )
