"""Names of location roles, in the Babel catalogue (lazy, shown in the page's language)."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core.i18n import in_language, lazy_gettext

ROLE_LABELS: dict[str, LazyProxy] = {
    "entry_exit": lazy_gettext("Entry / exit"),
    "lockup": lazy_gettext("Lock-up"),
    "corridor": lazy_gettext("Corridor"),
    "reception": lazy_gettext("Reception / front desk"),
    "sho_room": lazy_gettext("SHO's room"),
    "officers_room": lazy_gettext("Officers' room"),
    "outside_washroom": lazy_gettext("Outside washroom"),
    "other": lazy_gettext("Other"),
}


def role_label(role: str, lang: str | None = None) -> str:
    """A location role in the current language (or `lang`)."""
    return in_language(ROLE_LABELS[role], lang)
