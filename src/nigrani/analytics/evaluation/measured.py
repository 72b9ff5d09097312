"""The figures `nigrani eval analytics --record` last measured, as committed in
measured.json beside this file: each rule's precision and recall on the scripted clips,
with the date and commit they were measured at. The rules page shows a rule's precision
beside its switch from here."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Final

MEASURED: Final = Path(__file__).with_name("measured.json")


@cache
def _load(path: Path, mtime_ns: int) -> dict[str, Any]:
    del mtime_ns  # the cache's key: a file recorded again is read again
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def measured(path: Path | None = None) -> dict[str, Any]:
    """The recorded figures ({} when none were recorded)."""
    path = path or MEASURED
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _load(path, mtime_ns)


def measured_precision(rule: str, path: Path | None = None) -> float | None:
    """The rule's recorded precision (0-1), or None when it was not measured."""
    entry = measured(path).get("rules", {}).get(rule)
    value = entry.get("precision") if isinstance(entry, dict) else None
    return float(value) if isinstance(value, int | float) else None


def measured_false_alarms(rule: str, path: Path | None = None) -> int | None:
    """For a rule scored only on clips with nothing to find (no recall: its false alarms
    on them are all there is to measure), those false alarms; else None."""
    entry = measured(path).get("rules", {}).get(rule)
    if not isinstance(entry, dict) or entry.get("recall") is not None:
        return None
    value = entry.get("false_positives")
    return value if isinstance(value, int) else None
