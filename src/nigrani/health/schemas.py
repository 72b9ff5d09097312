"""Request bodies of camera health: a camera's extra signals (snapshot URL, ONVIF)."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from pydantic import BaseModel, ConfigDict, field_validator

from nigrani.core import urls
from nigrani.core.i18n import gettext

SNAPSHOT_SCHEMES: Final = ("http", "https")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")
_HOSTNAME: Final = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$"
)


def _no_control(value: str, what: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(
            gettext("The {what} must not contain control characters.").format(what=what)
        )
    return value


def snapshot_problem(url: str) -> str | None:
    """What is wrong with a snapshot URL (translated), or None if it can be used."""
    if _CONTROL.search(url) or " " in url:
        return gettext("The snapshot address must not contain spaces or control characters.")
    parts = urls.split(url)
    if parts is None or parts.scheme.lower() not in SNAPSHOT_SCHEMES:
        return gettext(
            "Give the snapshot address as http:// or https:// followed by the camera's host, "
            "for example http://192.168.1.20/ISAPI/Streaming/channels/101/picture."
        )
    if not parts.hostname:
        return gettext("The snapshot address has no host: add the camera's IP address or name.")
    if parts.port == 0:
        return gettext("The snapshot address's port must be a number from 1 to 65535.")
    return None


def host_problem(host: str) -> str | None:
    """What is wrong with an ONVIF host (an IP address or a name, no scheme), or None."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if not _HOSTNAME.match(host):
            return gettext(
                "Give the ONVIF host as the camera's IP address or name only, "
                "for example 192.168.1.20 (no http:// and no path)."
            )
    return None


def _fits(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise ValueError(
            gettext("The {what} is too long: at most {n} characters.").format(what=what, n=limit)
        )
    return _no_control(value, what)


class SignalsUpdate(BaseModel):
    """A camera's extra signals from the form: an empty field keeps what is stored, a
    `clear_*` flag removes it. Every refusal is a translated sentence for the form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    snapshot_url: str | None = None
    clear_snapshot: bool = False
    onvif_host: str | None = None
    onvif_port: str | None = None
    onvif_user: str | None = None
    onvif_password: str | None = None
    clear_onvif: bool = False

    @field_validator("snapshot_url")
    @classmethod
    def _snapshot(cls, value: str | None) -> str | None:
        if not value:
            return None
        _fits(value, 500, gettext("snapshot address"))
        if problem := snapshot_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("onvif_host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if not value:
            return None
        _fits(value, 253, gettext("ONVIF host"))
        if problem := host_problem(value):
            raise ValueError(problem)
        return value.strip("[]")

    @field_validator("onvif_port")
    @classmethod
    def _port(cls, value: str | None) -> str | None:
        if value and not (value.isascii() and value.isdigit() and 1 <= int(value) <= 65535):
            raise ValueError(gettext("The ONVIF port must be a number from 1 to 65535."))
        return value or None

    @field_validator("onvif_user")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        return _fits(value, 64, gettext("ONVIF user")) if value else None

    @field_validator("onvif_password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return _fits(value, 128, gettext("ONVIF password")) if value else None
