"""The review report as a printable A4 PDF in Hindi or English (fpdf2 with shaped Noto fonts):
the counts by group, the daily uptime drawn as bars, and the longest-broken cameras."""

from __future__ import annotations

from nigrani.accounts.roles import level_label
from nigrani.core.i18n import _, format_ist
from nigrani.core.pdf import MUTED, ReportPDF, heading, note_line, table
from nigrani.health import charts, labels
from nigrani.health import report as health_report
from nigrani.health.report import Review

GROUP_WIDTHS = (40, 17, 17, 20, 17, 19, 17, 17, 26)
BROKEN_WIDTHS = (34, 36, 26, 18, 28, 16, 32)
TONES = {
    "good": (27, 127, 59),
    "fair": (214, 140, 20),
    "bad": (198, 40, 40),
    "none": (200, 205, 212),
}
CHART_H = 34.0  # mm


def period_text(review: Review) -> str:
    """The period in words, in the current language."""
    return _("From {first} to {last} (IST), {days} days").format(
        first=review.period.first.strftime("%d.%m.%Y"),
        last=review.period.last.strftime("%d.%m.%Y"),
        days=review.period.days,
    )


def summary_text(review: Review) -> str:
    """The whole charge in one line: cameras, their states now, the period's uptime."""
    t = review.total
    return _(
        "{cameras} cameras: {working} working, {degraded} degraded, {offline} offline, "
        "{unknown} not checked yet. Uptime over the period: {uptime} %."
    ).format(
        cameras=t.cameras,
        working=t.working,
        degraded=t.degraded,
        offline=t.offline,
        unknown=t.unknown,
        uptime=health_report.percent(t.uptime_pct),
    )


def _title(pdf: ReportPDF, review: Review, *, demo: bool, tz: str) -> None:
    heading(pdf, f"{_('Camera health review')} — {review.node_name}", 15)
    note_line(pdf, f"{level_label(review.node.level)} · {review.node.code} · {period_text(review)}")
    note_line(pdf, _("Generated at {time}").format(time=format_ist(review.generated_at, tz)))
    if demo:
        note_line(pdf, _("Demo data: made up for demonstration."))
    pdf.ln(1)
    heading(pdf, summary_text(review), 10.5)
    pdf.ln(2)


def _groups(pdf: ReportPDF, review: Review) -> None:
    name = labels.group_label(review.group_by)
    heading(pdf, _("By {group}").format(group=name.lower()), 11.5)
    pdf.ln(1)
    rows = [health_report.group_cells(r) for r in review.rows]
    total = health_report.group_cells(review.total)
    table(pdf, GROUP_WIDTHS, health_report.group_headers(review.group_by), rows, total)


def _trend(pdf: ReportPDF, review: Review) -> None:
    trend = charts.trend(review.daily)
    if trend is None:
        return
    pdf.ln(4)
    heading(pdf, f"{_('Uptime per day')} (%)", 11.5)
    pdf.ln(1)
    left, top, width = pdf.l_margin + 8, pdf.get_y() + 2, pdf.epw - 8
    pdf.set_draw_color(*MUTED)
    pdf.set_font(pdf.main_font, "", 7)
    pdf.set_text_color(*MUTED)
    for pct in (0, 50, 100):
        y = top + CHART_H * (1 - pct / 100)
        pdf.line(left, y, left + width, y)
        pdf.text(pdf.l_margin, y + 1, str(pct))
    step = width / len(trend.bars)
    for i, bar in enumerate(trend.bars):
        pdf.set_fill_color(*TONES[bar.tone])
        height = CHART_H * (bar.pct or 0) / 100
        pdf.rect(left + i * step + step * 0.1, top + CHART_H - height, step * 0.8, height, "F")
    pdf.text(left, top + CHART_H + 4, trend.first)
    pdf.text(left + width - pdf.get_string_width(trend.last), top + CHART_H + 4, trend.last)
    pdf.set_fill_color(255, 255, 255)  # the tables after the chart fill with their own
    pdf.set_y(top + CHART_H + 6)


def _broken(pdf: ReportPDF, review: Review, categories: dict[str, str]) -> None:
    pdf.ln(4)
    heading(pdf, _("Longest broken, and who must repair them"), 11.5)
    pdf.ln(1)
    if not review.broken:
        note_line(pdf, _("No camera is broken."))
        return
    rows = [health_report.broken_cells(b, categories) for b in review.broken]
    align = ("LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT")
    table(pdf, BROKEN_WIDTHS, health_report.broken_headers(), rows, align=align)


def render(
    review: Review, categories: dict[str, str], *, demo: bool = False, tz: str = "Asia/Kolkata"
) -> bytes:
    """The review report as PDF bytes, in the report's language."""
    pdf = ReportPDF(
        lang=review.lang,
        note=_(
            "Uptime: the share of the period the cameras were working, from the health checks "
            "every few minutes. Degraded: a picture arrives but cannot be used."
        ),
        page_label=_("Page {page} of {pages}"),
    )
    pdf.set_title(f"{_('Camera health review')} — {review.node_name}")
    pdf.set_author(_("Nigrani"))
    pdf.set_creator("Nigrani")
    pdf.add_page()
    _title(pdf, review, demo=demo, tz=tz)
    _groups(pdf, review)
    _trend(pdf, review)
    _broken(pdf, review, categories)
    return bytes(pdf.output())
