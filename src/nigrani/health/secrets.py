"""Scrubbing the credentials of a camera's extra signals out of any text kept or logged."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

_USERINFO: Final = re.compile(r"//[^/@\s]*@")
MASK: Final = "***"


def scrub(text: str, *secrets: str) -> str:
    """The text with every secret (also URL-quoted) and any URL user part replaced."""
    for secret in sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(secret, MASK).replace(quote(secret, safe=""), MASK)
    return _USERINFO.sub("//" + MASK + "@", text)
