"""Text that enters the system: the one place that decides what to do with NUL and other
C0 control characters, which PostgreSQL refuses in text columns and no user means to send."""

from __future__ import annotations

import re

# C0 controls and DEL, except tab, line feed and carriage return, which forms and
# messages legitimately carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control(value: str) -> bool:
    """Whether the text holds a NUL or another control character we never store."""
    return _CONTROL.search(value) is not None


def strip_control(value: str) -> str:
    """The text without NUL and other control characters (for messages we cannot refuse,
    such as a WhatsApp delivery, where a refusal would only make the sender retry)."""
    return _CONTROL.sub("", value)


NAME_MASK = "***"


def mask_name(name: str) -> str:
    """The first letter and a fixed mask: 'Ramesh Kumar Gupta' → 'R***' (no length shows)."""
    text = name.strip()
    return f"{text[0]}{NAME_MASK}" if text else ""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell that a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
