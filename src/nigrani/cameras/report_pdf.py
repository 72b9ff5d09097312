"""The category report as a printable A4 PDF in Hindi or English (fpdf2 with shaped Noto fonts)."""

from __future__ import annotations

from nigrani.accounts.roles import level_label
from nigrani.cameras import report as category_report
from nigrani.cameras.report import AreaLine, CategoryReport
from nigrani.core.i18n import _, format_ist
from nigrani.core.pdf import ReportPDF, heading, note_line, table

CATEGORY_WIDTHS = (36, 16, 16, 16, 16, 16, 16, 16, 16, 24)
AREA_WIDTHS = (64, 18, 18, 18, 18, 18, 18, 18)


def _title(pdf: ReportPDF, report: CategoryReport, *, demo: bool, tz: str) -> None:
    title = _("Camera category report")
    heading(pdf, f"{title} — {report.node_name}", 15)
    note_line(pdf, f"{level_label(report.node.level)} · {report.node.code}")
    when = format_ist(report.generated_at, tz)
    note_line(pdf, _("Generated at {time}").format(time=when))
    if demo:
        note_line(pdf, _("Demo data: made up for demonstration."))
    pdf.ln(3)


def _categories(pdf: ReportPDF, report: CategoryReport) -> None:
    heading(pdf, _("By category"), 11.5)
    pdf.ln(1)
    rows = [category_report.category_cells(line) for line in report.categories]
    total = category_report.category_cells(report.total)
    table(pdf, CATEGORY_WIDTHS, category_report.category_headers(), rows, total)


def _areas(pdf: ReportPDF, report: CategoryReport) -> None:
    pdf.ln(5)
    heading(pdf, _("By area under {name}").format(name=report.node_name), 11.5)
    pdf.ln(1)
    rows = [category_report.area_cells(line) for line in report.areas]
    total = category_report.area_cells(AreaLine(None, _("Total"), None, report.total.counts))
    table(pdf, AREA_WIDTHS, category_report.area_headers(), rows, total)


def render(report: CategoryReport, *, demo: bool = False, tz: str = "Asia/Kolkata") -> bytes:
    """The report as PDF bytes, in the report's language."""
    pdf = ReportPDF(
        lang=report.lang,
        note=_(
            "Health of linked cameras from the health checks: degraded means a picture arrives "
            "but cannot be used (dark, covered, blurred, frozen, moved). "
            "Progress = linked cameras ÷ target."
        ),
        page_label=_("Page {page} of {pages}"),
    )
    pdf.set_title(f"{_('Camera category report')} — {report.node_name}")
    pdf.set_author(_("Nigrani"))
    pdf.set_creator("Nigrani")
    pdf.add_page()
    _title(pdf, report, demo=demo, tz=tz)
    _categories(pdf, report)
    if report.areas:
        _areas(pdf, report)
    return bytes(pdf.output())
