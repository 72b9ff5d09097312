"""The device an evidence item came from, as it was described when the item arrived.

The registries change (a camera renamed, re-fitted, deleted), and a certificate must name
the device the file came from, so each item keeps its own copy of the particulars. The
caller that knows the device builds one; the evidence store knows no registry.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

KINDS = ("cctv",)


@dataclass(frozen=True, slots=True)
class Device:
    """A source device as the Section 63 certificate names it, in plain values."""

    label: str = ""
    make: str = ""
    model: str = ""
    serial: str = ""
    mac: str = ""
    site_name: str = ""
    site_address: str = ""
    category_code: str = ""
    category_en: str = ""
    category_hi: str = ""
    kind: str = "cctv"
    # Who the registry says controls the device (a site's owner, a police station).
    controller_en: str = ""
    controller_hi: str = ""
    # Which registry row it was copied from ("camera 12", "station camera 3").
    registry_ref: str = ""


def dump(device: Device) -> str:
    """The device as the JSON an evidence item keeps."""
    return json.dumps(asdict(device), ensure_ascii=False, sort_keys=True)


def load(text: str | None) -> Device | None:
    """The device an item keeps, or None; keys this version does not know are ignored."""
    if not text:
        return None
    values = json.loads(text)
    known = {field.name for field in fields(Device)}
    return Device(**{key: str(value) for key, value in values.items() if key in known})
