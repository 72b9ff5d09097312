"""The hearings dashboard's tables as one CSV: every day, every officer and the total."""

from __future__ import annotations

import csv
import io

from nigrani.core.i18n import _
from nigrani.core.text import safe_cell
from nigrani.hearings import day_list
from nigrani.hearings.figures import NO_OUTCOME, Dashboard, Line
from nigrani.hearings.models import OUTCOMES


def minutes(value: float | None) -> str:
    """Minutes with one decimal, or "—" where nothing was measured."""
    return "—" if value is None else f"{value:.1f}"


def headers() -> list[str]:
    """The columns of a figures line, in the current language."""
    return [
        _("Places taken"),
        _("Heard"),
        _("Did not come"),
        _("Cancelled"),
        _("Still open"),
        _("Median wait (min)"),
        _("90th percentile wait (min)"),
        _("Median call (min)"),
        *(day_list.outcome_label(o) for o in (*OUTCOMES, NO_OUTCOME)),
    ]


def cells(line: Line) -> list[str | int]:
    """A line's figures, in the order of `headers`."""
    return [
        line.places,
        line.heard,
        line.no_shows,
        line.cancelled,
        line.open,
        minutes(line.median_wait),
        minutes(line.p90_wait),
        minutes(line.median_call),
        *(line.outcomes.get(o, 0) for o in (*OUTCOMES, NO_OUTCOME)),
    ]


def to_csv(board: Dashboard) -> str:
    """Days (newest first), then officers, then the total; text cells never run as formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_("Table"), _("Day or officer"), *headers()])
    groups = ((_("Day"), board.days), (_("Officer"), board.officers), (_("Total"), [board.total]))
    for group, lines in groups:
        for line in lines:
            writer.writerow([group, safe_cell(line.label), *cells(line)])
    return buffer.getvalue()
