"""Names of location roles in both languages (picked by core.i18n.pick)."""

from __future__ import annotations

from nigrani.core.i18n import pick

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "entry_exit": ("Entry / exit", "प्रवेश / निकास"),
    "lockup": ("Lock-up", "हवालात"),
    "corridor": ("Corridor", "गलियारा"),
    "reception": ("Reception / front desk", "स्वागत कक्ष / फ्रंट डेस्क"),
    "sho_room": ("SHO's room", "थानाध्यक्ष कक्ष"),
    "officers_room": ("Officers' room", "अधिकारी कक्ष"),
    "outside_washroom": ("Outside washroom", "शौचालय के बाहर"),
    "other": ("Other", "अन्य"),
}


def role_label(role: str, lang: str | None = None) -> str:
    """A location role in the current language."""
    return pick(ROLE_LABELS[role], lang)
