"""Words for a site's source and a camera's health, in the Babel catalogue (lazy)."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core.i18n import lazy_gettext

SOURCE_LABELS: dict[str, LazyProxy] = {
    "citizen": lazy_gettext("Registered by the owner"),
    "import": lazy_gettext("Imported list"),
    "staff": lazy_gettext("Added by police"),
}
HEALTH_LABELS: dict[str, LazyProxy] = {
    "working": lazy_gettext("Working"),
    "degraded": lazy_gettext("Degraded"),
    "offline": lazy_gettext("Offline"),
    "faulty": lazy_gettext("Faulty"),
    "unknown": lazy_gettext("Not checked yet"),
}


def source_label(source: str) -> str:
    """Where a site's record came from, in the current language."""
    label = SOURCE_LABELS.get(source)
    return str(label) if label is not None else source


def health_label(health: str) -> str:
    """A camera's last known health, in the current language."""
    label = HEALTH_LABELS.get(health)
    return str(label) if label is not None else health
