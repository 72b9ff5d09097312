"""The deployment's SMS file (TOML): DLT ids, the gateway's wire format, delivery reports.

Secrets are not in this file: the API key and the webhook secret come from the
environment (NIGRANI_SMS_API_KEY, NIGRANI_SMS_WEBHOOK_SECRET).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nigrani.core.sms.templates import TEMPLATES

if TYPE_CHECKING:
    from nigrani.core.config import Settings

# What we send, and the default name of its field on the wire.
FIELDS = ("to", "text", "sender", "pe_id", "template_id", "unicode", "ref")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dlt(_Strict):
    """The sender's DLT registration: principal entity, header and one id per template."""

    entity_id: str = Field(pattern=r"^\d{10,25}$")
    sender: str = Field(pattern=r"^[A-Za-z0-9]{3,11}$")
    templates: dict[str, str] = {}

    @field_validator("templates")
    @classmethod
    def _known_ids(cls, ids: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(ids) - set(TEMPLATES))
        if unknown:
            raise ValueError(f"no such SMS template: {', '.join(unknown)}")
        bad = sorted(name for name, tid in ids.items() if not tid.isdigit())
        if bad:
            raise ValueError(f"a DLT template id is digits only: {', '.join(bad)}")
        return ids


class Gateway(_Strict):
    """How one provider's HTTP API wants a message (MSG91, Gupshup, Kaleyra, Textlocal...)."""

    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "GET"] = "POST"
    encoding: Literal["json", "form"] = "json"  # GET always sends query parameters
    auth: Literal["header", "basic", "param", "none"] = "header"
    auth_name: str = "Authorization"  # the header, or the parameter, that carries the key
    auth_prefix: str = ""  # e.g. "Bearer" before the key in the header
    username: str = ""  # for basic auth
    number_format: Literal["digits", "e164", "national"] = "digits"
    fields: dict[str, str] = {}  # our name -> the provider's; "" leaves the field out
    unicode_values: tuple[str, str] = ("1", "0")  # the flag for Unicode, and for GSM text
    extra: dict[str, str] = {}  # fixed fields: route, type, method=SendMessage...
    id_path: str = ""  # where the answer (JSON) keeps the message id: "data.0.id"
    ok_path: str = ""  # a field the answer must hold ok_value in (200s that are refusals)
    ok_value: str = "success"
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, fields: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown fields {unknown}; the fields are {list(FIELDS)}")
        return fields

    def field(self, ours: str) -> str:
        """The provider's name for one of our fields ("" when not sent)."""
        default = "" if ours == "ref" else ours
        return self.fields.get(ours, default)


class Reports(_Strict):
    """Where a delivery report keeps the message id, its status and an error."""

    id: str = "id"
    status: str = "status"
    error: str = "error"
    delivered: tuple[str, ...] = ("delivered", "delivrd", "success", "dlvrd")
    failed: tuple[str, ...] = (
        "failed",
        "undelivered",
        "undeliv",
        "rejected",
        "rejectd",
        "expired",
        "deleted",
        "blocked",
        "dnd",
    )


class Profile(_Strict):
    """The whole file."""

    dlt: Dlt
    gateway: Gateway
    reports: Reports = Reports()

    def missing(self) -> list[str]:
        """Templates the code can send that have no DLT template id."""
        return sorted(set(TEMPLATES) - set(self.dlt.templates))


def load(path: Path) -> Profile:
    """Read and check the file; ValueError says what is wrong, and where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Profile.model_validate(data)
    except OSError as exc:
        raise ValueError(f"NIGRANI_SMS_CONFIG_FILE {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"NIGRANI_SMS_CONFIG_FILE {path} is not TOML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"NIGRANI_SMS_CONFIG_FILE {path}: {problems}") from None


def check(settings: Settings) -> None:
    """Refuse an http backend that could not send every message the code may send."""
    if settings.sms_backend != "http":
        return
    if settings.sms_config_file is None:
        raise ValueError("NIGRANI_SMS_BACKEND=http needs NIGRANI_SMS_CONFIG_FILE (a TOML file)")
    profile = load(settings.sms_config_file)
    if missing := profile.missing():
        raise ValueError(
            f"NIGRANI_SMS_CONFIG_FILE {settings.sms_config_file}: these SMS templates have no "
            f"DLT template id under [dlt.templates]: {', '.join(missing)} "
            f"(`nigrani sms templates --file {settings.sms_config_file}` prints their text)"
        )
    if profile.gateway.auth != "none" and not settings.sms_api_key.get_secret_value():
        raise ValueError("NIGRANI_SMS_BACKEND=http needs NIGRANI_SMS_API_KEY")
    secret = settings.sms_webhook_secret.get_secret_value()
    if secret and len(secret) < 24:
        raise ValueError("NIGRANI_SMS_WEBHOOK_SECRET must be 24+ random characters")
