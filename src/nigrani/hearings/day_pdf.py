"""A window's day list as a printable A4 PDF in Hindi or English (core.pdf's report pieces)."""

from __future__ import annotations

from nigrani.core.i18n import _, format_ist
from nigrani.core.pdf import ReportPDF, heading, note_line, table
from nigrani.hearings import day_list, labels
from nigrani.hearings.day_list import DayList, Entry

WIDTHS = (10, 14, 20, 66, 24, 30, 26)  # mm, the 190 between the margins
ALIGN = ("RIGHT", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT")


def headers() -> list[str]:
    """The list's column names, in the current language (the page and the CSV share them)."""
    return [
        _("No."),
        _("Time (IST)"),
        _("Name"),
        _("Topic"),
        _("State"),
        _("Outcome"),
        _("Complaint number"),
    ]


def cells(entry: Entry) -> list[str | int]:
    """One citizen's row."""
    time = f"{entry.time} ({_('walk-in')})" if entry.walk_in else entry.time
    return [
        entry.number,
        time,
        entry.name,
        entry.topic,
        labels.state_label(entry.state),
        day_list.outcome_label(entry.outcome),
        entry.complaint or "—",
    ]


def title(found: DayList) -> str:
    """The list's heading: whose hearing, which day."""
    return _("Video hearing of {officer}, {day}").format(
        officer=found.owner, day=found.day.strftime("%d.%m.%Y")
    )


def render(found: DayList, *, lang: str, generated: str, demo: bool = False) -> bytes:
    """The day list as PDF bytes, in `lang`."""
    pdf = ReportPDF(
        lang=lang,
        note=_("Names show only their first letter. Times are IST."),
        page_label=_("Page {page} of {pages}"),
    )
    pdf.set_title(title(found))
    pdf.set_author(_("Nigrani"))
    pdf.set_creator("Nigrani")
    pdf.add_page()
    heading(pdf, title(found), 14)
    if found.sitting is not None:
        hours = f"{format_ist(found.sitting.starts_at, found.window.tz)} – "
        note_line(pdf, hours + format_ist(found.sitting.ends_at, found.window.tz))
    totals = found.figures
    note_line(
        pdf,
        _("{places} places, {heard} heard, {no_shows} did not come").format(
            places=totals.places, heard=totals.heard, no_shows=totals.no_shows
        ),
    )
    note_line(pdf, _("Generated at {time}").format(time=generated))
    if demo:
        note_line(pdf, _("Demo data: made up for demonstration."))
    pdf.ln(2)
    if not found.entries:
        note_line(pdf, _("Nobody took a place on this day."))
    else:
        table(pdf, WIDTHS, headers(), [cells(e) for e in found.entries], align=ALIGN)
    return bytes(pdf.output())
