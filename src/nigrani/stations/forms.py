"""The camera form: browser fields in, validated schemas out (URLs write-only)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from nigrani.core import validation
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.stations.schemas import StationCameraCreate, StationCameraUpdate, Zone

FLAGS = ("has_audio", "night_vision", "enabled")
TEXTS = ("name", "role", "retention_days", "make", "model", "serial", "mac")
_ZONES = TypeAdapter(list[Zone])


def camera_create(values: dict[str, str]) -> StationCameraCreate:
    """A new camera from the form; an unticked box is False."""
    data: dict[str, Any] = {k: values.get(k, "") for k in TEXTS}
    data.update({k: values.get(k) == "true" for k in FLAGS if k != "enabled"})
    data["station_id"] = values.get("station_id", "")
    data["main_url"] = values.get("main_url", "")
    data["sub_url"] = values.get("sub_url") or None
    try:
        return StationCameraCreate(**data)
    except ValidationError as exc:
        raise validation.failure(exc) from exc


def camera_update(values: dict[str, str]) -> StationCameraUpdate:
    """Changes from the edit form: an empty URL field keeps the stored URL."""
    data: dict[str, Any] = {k: values.get(k, "") for k in TEXTS}
    data.update({k: values.get(k) == "true" for k in FLAGS})
    if values.get("main_url"):
        data["main_url"] = values["main_url"]
    if values.get("clear_sub") == "true":
        data["sub_url"] = None
    elif values.get("sub_url"):
        data["sub_url"] = values["sub_url"]
    try:
        return StationCameraUpdate(**data)
    except ValidationError as exc:
        raise validation.failure(exc) from exc


def zones_from_json(text: str) -> list[Zone]:
    """Zones drawn in the browser, sent as JSON."""
    try:
        zones = _ZONES.validate_python(json.loads(text or "[]"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(_("The zones could not be read."), field="zones") from exc
    except ValidationError as exc:
        raise validation.failure(exc) from exc
    if len(zones) > 16:
        raise ValidationFailed(_("At most 16 zones per camera."), field="zones")
    return zones
