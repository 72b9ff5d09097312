"""GeoReport v2 bodies in its two formats: JSON, and XML with the element names it uses."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Lists nest one element per item, named in the singular (GeoReport's XML examples).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(element, key, inner)
    elif isinstance(value, list) and name in ITEM_NAMES:
        for item in value:
            _fill(element, ITEM_NAMES[name], item)
    elif isinstance(value, list):  # keywords: a comma-separated list in one element
        element.text = ",".join(_text(v) for v in value)
    else:
        element.text = _text(value)


def to_xml(root: str, body: dict[str, Any] | list[Any]) -> bytes:
    """A document with `root` holding the body (a list becomes one child per item)."""
    top = ET.Element(root)
    if isinstance(body, dict):
        for key, value in body.items():
            _fill(top, key, value)
    else:
        for item in body:
            _fill(top, ITEM_NAMES[root], item)
    text: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + text


def render(fmt: str, root: str, body: dict[str, Any] | list[Any], status: int = 200) -> Response:
    """The response in the format the path asked for."""
    content = to_xml(root, body) if fmt == "xml" else json.dumps(body, ensure_ascii=False).encode()
    return Response(
        content, status_code=status, media_type=MEDIA_TYPES.get(fmt, MEDIA_TYPES["json"])
    )


def error(fmt: str, status: int, description: str) -> Response:
    """GeoReport's error body: a list of {code, description}."""
    fmt = fmt if fmt in FORMATS else "json"
    return render(fmt, "errors", [{"code": status, "description": description}], status)
