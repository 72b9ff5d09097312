"""Incident types, with their names in the current language."""

from __future__ import annotations

from nigrani.core.i18n import _

KINDS = (
    "theft",
    "chain_snatching",
    "vehicle_theft",
    "robbery",
    "assault",
    "accident",
    "missing_person",
    "harassment",
    "other",
)


def kind_label(code: str) -> str:
    """An incident type's name, translated."""
    labels = {
        "theft": _("Theft"),
        "chain_snatching": _("Chain snatching"),
        "vehicle_theft": _("Vehicle theft"),
        "robbery": _("Robbery"),
        "assault": _("Assault"),
        "accident": _("Road accident"),
        "missing_person": _("Missing person"),
        "harassment": _("Harassment"),
        "other": _("Other"),
    }
    return labels.get(code, code)
