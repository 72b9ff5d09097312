"""Words of the alert pages: a timeline step's name, and a rule's peak values as lines."""

from __future__ import annotations

from typing import Any

from nigrani.core.i18n import _


def step_label(step: str) -> str:
    """A timeline entry's name in the current language."""
    return {
        "raised": _("Alert raised"),
        "acknowledge": _("Acknowledged"),
        "instruct": _("Instruction given"),
        "resolve": _("Resolved"),
        "false_positive": _("Marked a false alarm"),
    }.get(step, step)


def _seconds(value: Any) -> str:
    total = round(float(value))
    minutes, seconds = divmod(total, 60)
    if minutes:
        return _("{m} min {s} s").format(m=minutes, s=seconds)
    return _("{s} s").format(s=seconds)


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float) and (key.endswith("_s") or key == "seconds"):
        return _seconds(value)
    if isinstance(value, int | float) and key.endswith("_db"):
        return f"{value:g} dB"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _key(key: str) -> str:
    return {
        "people": _("People"),
        "zone": _("Zone"),
        "max_dwell_s": _("Longest wait"),
        "dwell_s": _("Waited"),
        "track_id": _("Person (track)"),
        "level_db": _("Loudness"),
        "over_db": _("Louder than usual by"),
        "reason": _("Picture"),
        "absent_s": _("Desk empty for"),
    }.get(key, key.replace("_", " "))


def peak_rows(peak: dict[str, Any]) -> list[tuple[str, str]]:
    """The peak's scalar values as (label, value) lines; per-person lists come apart."""
    rows = []
    for key, value in sorted(peak.items()):
        if isinstance(value, list | dict):
            if key == "people" and isinstance(value, list):
                rows.append((_("People waiting long"), str(len(value))))
            continue
        rows.append((_key(key), _value(key, value)))
    return rows


def people(peak: dict[str, Any]) -> list[tuple[str, str]]:
    """Per person (track), how long they waited at the peak, longest first."""
    found = peak.get("people")
    if not isinstance(found, list):
        return []
    waits = [p for p in found if isinstance(p, dict) and "dwell_s" in p]
    waits.sort(key=lambda p: -float(p["dwell_s"]))
    return [(str(p.get("track_id", "?")), _seconds(p["dwell_s"])) for p in waits]
