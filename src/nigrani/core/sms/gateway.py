"""SMS backends: `log` (demo: nothing leaves the machine) and `http` (a provider's API)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import httpx

from nigrani.core.config import Settings
from nigrani.core.phones import mask_mobile
from nigrani.core.sms import profile as profiles
from nigrani.core.sms.templates import is_unicode

log = logging.getLogger(__name__)
_NUMBERS = re.compile(r"\+?\d{10,}")


class SmsFailure(RuntimeError):
    """A send that did not go through; the message never holds a number or a credential."""


class TryAgain(SmsFailure):
    """The network or the provider failed (timeout, 5xx, 429): the outbox tries again."""


class Refused(SmsFailure):
    """The provider refused the message (4xx, or a 200 that says no): a dead letter."""


def hide_numbers(text: str) -> str:
    """The text with every phone-number-like run of digits replaced."""
    return _NUMBERS.sub("<number>", text)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message ready for the wire."""

    to: str  # E.164
    body: str
    template: str | None
    key: int  # the outbox job: one id per message, the same on every try
    kept: str = ""  # the body with its codes and secret links masked: what may be logged


class Backend(Protocol):
    """Delivers one message; the provider's message id, when it gives one."""

    name: str

    def dlt_template_id(self, template: str | None) -> str | None: ...

    def deliver(self, message: Outgoing) -> str | None: ...


class LogBackend:
    """Development backend: the message goes to the application log only."""

    name = "log"

    def dlt_template_id(
        self,
        template: str | None,  # noqa: ARG002 - the Gateway interface
    ) -> str | None:
        return None

    def deliver(self, message: Outgoing) -> str | None:
        log.info("SMS to %s: %s", mask_mobile(message.to), message.kept or "(text not kept)")
        return None


def _number(e164: str, style: str) -> str:
    if style == "e164":
        return e164
    return e164.removeprefix("+91") if style == "national" else e164.lstrip("+")


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("data.0.id") in parsed JSON, or None."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class HttpBackend:
    """A provider's HTTP API, as the deployment's SMS file describes it."""

    name = "http"

    def __init__(self, profile: profiles.Profile, api_key: str) -> None:
        self.profile, self.gateway, self._key = profile, profile.gateway, api_key

    def dlt_template_id(self, template: str | None) -> str | None:
        return self.profile.dlt.templates.get(template or "")

    def _fields(self, message: Outgoing, template_id: str) -> dict[str, str]:
        gw, dlt = self.gateway, self.profile.dlt
        unicode = is_unicode(message.body)
        ours = {
            "to": _number(message.to, gw.number_format),
            "text": message.body,
            "sender": dlt.sender,
            "pe_id": dlt.entity_id,
            "template_id": template_id,
            "unicode": gw.unicode_values[0 if unicode else 1],
            "ref": str(message.key),
        }
        fields = dict(gw.extra)
        fields.update({gw.field(k): v for k, v in ours.items() if gw.field(k)})
        if gw.auth == "param":
            fields[gw.auth_name] = self._key
        return fields

    def _request(self, client: httpx.Client, fields: dict[str, str]) -> httpx.Request:
        gw = self.gateway
        headers: dict[str, str] = {}
        if gw.auth == "header":
            headers[gw.auth_name] = f"{gw.auth_prefix} {self._key}".strip()
        if gw.method == "GET":
            return client.build_request("GET", gw.url, params=fields, headers=headers)
        body = {"json": fields} if gw.encoding == "json" else {"data": fields}
        return client.build_request("POST", gw.url, headers=headers, **body)  # type: ignore[arg-type]

    def deliver(self, message: Outgoing) -> str | None:
        template_id = self.dlt_template_id(message.template)
        if template_id is None:
            raise Refused(f"no DLT template id for {message.template or 'an untemplated SMS'}")
        auth = httpx.BasicAuth(self.gateway.username, self._key)
        with httpx.Client(
            timeout=self.gateway.timeout_seconds,
            auth=auth if self.gateway.auth == "basic" else None,
        ) as client:
            try:
                response = client.send(self._request(client, self._fields(message, template_id)))
            except httpx.TransportError as exc:  # timeouts included
                raise TryAgain(f"network: {type(exc).__name__}") from None
        return self._read(response)

    def _scrub(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key, "***")
        return hide_numbers(text)[:300]

    def _read(self, response: httpx.Response) -> str | None:
        status, text = response.status_code, self._scrub(response.text)
        if status >= 500 or status in (408, 425, 429):
            raise TryAgain(f"HTTP {status}: {text}")
        if status >= 300:
            raise Refused(f"HTTP {status}: {text}")
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        gw = self.gateway
        if gw.ok_path and str(dig(answer, gw.ok_path)).lower() != gw.ok_value.lower():
            raise Refused(f"HTTP {status}, refused: {text}")
        if not gw.id_path:
            return None
        found = dig(answer, gw.id_path)
        return None if found is None else str(found)[:100]


@lru_cache(maxsize=4)
def _profile(path: Path, _mtime_ns: int) -> profiles.Profile:
    return profiles.load(path)


def profile_for(settings: Settings) -> profiles.Profile | None:
    """The SMS file of an http backend (read again only when it changes); None for log."""
    path = settings.sms_config_file
    if settings.sms_backend != "http" or path is None:
        return None
    return _profile(path, path.stat().st_mtime_ns)


def backend_for(settings: Settings) -> Backend:
    """The configured SMS backend."""
    profile = profile_for(settings)
    if profile is None:
        return LogBackend()
    return HttpBackend(profile, settings.sms_api_key.get_secret_value())
