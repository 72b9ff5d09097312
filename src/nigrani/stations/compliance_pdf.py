"""The compliance board as a printable A4 PDF (landscape) in Hindi or English."""

from __future__ import annotations

from collections.abc import Sequence

from nigrani.accounts.roles import level_label
from nigrani.core.i18n import _, format_ist
from nigrani.core.pdf import HEAD, INK, MUTED, TOTAL, ReportPDF
from nigrani.stations.compliance import AreaLine, Board, RoleCheck, StationBoard
from nigrani.stations.labels import role_label
from nigrani.stations.models import REQUIRED_ROLES

AREA_WIDTHS = (85, 25, 25, 45, 45, 52)
STATION_WIDTHS = (52, 18, 20, *[26] * len(REQUIRED_ROLES))


def score_text(score: float | None) -> str:
    """A score as printed: one decimal, or a dash when there is nothing to score."""
    return "—" if score is None else f"{score:.1f}"


def role_cell(check: RoleCheck) -> str:
    """One place of one station in a few characters: checks met of 4, and days on disk."""
    if not check.exists:
        return _("none")
    days = _("{days} d").format(days=f"{check.days:.0f}")
    return f"{check.met()}/4 · {days}"


def score_note(target_days: int) -> str:
    """How the score is made, in the current language (page and PDF alike)."""
    return _(
        "Score: each of the 7 required places earns a point each for a camera, for working "
        "(recorded lately), audio and night vision, and up to one more for its days of "
        "footage on disk against {days} days; score = 100 × points ÷ 35. An area's score is "
        "the mean of its stations'."
    ).format(days=target_days)


def court_note() -> str:
    """What the board checks, and on whose order."""
    return _(
        "Supreme Court, Paramvir Singh Saini v. Baljit Singh (2020): cameras with night "
        "vision and audio at every required place of a police station, footage kept 18 months."
    )


def _text(pdf: ReportPDF, text: str, size: float, *, bold: bool = False) -> None:
    pdf.set_font(pdf.main_font, "B" if bold else "", size)
    pdf.set_text_color(*(INK if bold else MUTED))
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: ReportPDF, widths: Sequence[int], rows: list[list[str]], total: list[str]) -> None:
    pdf.set_font(pdf.main_font, "", 8)
    pdf.set_text_color(*INK)
    align = ("LEFT", *["CENTER"] * (len(widths) - 1))
    with pdf.table(
        col_widths=widths, width=sum(widths), text_align=align, headings_style=HEAD,
        line_height=4.2, padding=(0.9, 1.2), repeat_headings=1,
    ) as table:  # fmt: skip
        for row in rows:
            table.row(row)
        if total:
            table.row(total, style=TOTAL)


def area_cells(line: AreaLine) -> list[str]:
    """A roll-up as the board's columns show it."""
    days = "—" if line.min_days is None else f"{line.min_days:.0f}"
    return [
        str(len(line.stations)),
        score_text(line.score),
        f"{line.places_working} / {line.places_total}",
        f"{line.checks_met} / {line.checks_total}",
        days,
    ]


def _areas(pdf: ReportPDF, board: Board) -> None:
    _text(pdf, _("By area"), 11.5, bold=True)
    pdf.ln(1)
    heads = [_("Area"), _("Stations"), _("Score"), _("Places with a working camera"),
             _("Checks met"), _("Fewest days of footage")]  # fmt: skip
    rows = [
        [f"{a.node.name(pdf.lang)} ({level_label(a.node.level)})", *area_cells(a)]
        for a in board.areas
        if a.node is not None
    ]
    _table(pdf, AREA_WIDTHS, [heads, *rows], [_("Total"), *area_cells(board.total)])
    pdf.ln(4)


def station_cells(station: StationBoard, lang: str) -> list[str]:
    """One station's row of the PDF."""
    return [
        station.station.name(lang),
        score_text(station.score),
        f"{station.days:.0f}",
        *[role_cell(r) for r in station.roles],
    ]


def _stations(pdf: ReportPDF, board: Board) -> None:
    _text(pdf, _("Police stations, lowest score first"), 11.5, bold=True)
    legend = _(
        "Each place: checks met of 4 (camera, working, audio, night vision) · days of "
        "footage on disk."
    )
    _text(pdf, legend, 8)
    pdf.ln(1)
    heads = [_("Police station"), _("Score"), _("Days of footage"),
             *[role_label(r) for r in REQUIRED_ROLES]]  # fmt: skip
    rows = [station_cells(s, pdf.lang) for s in board.stations]
    _table(pdf, STATION_WIDTHS, [heads, *rows], [])


def render(board: Board, *, lang: str, demo: bool = False, tz: str = "Asia/Kolkata") -> bytes:
    """The board as PDF bytes, in the current language."""
    pdf = ReportPDF(
        lang=lang,
        note=score_note(board.target_days),
        page_label=_("Page {page} of {pages}"),
        landscape=True,
        top=10,
    )
    name, title = board.node.name(lang), _("CCTV compliance of police stations")
    pdf.set_title(f"{title} — {name}")
    pdf.set_creator("Nigrani")
    pdf.add_page()
    _text(pdf, f"{title} — {name}", 15, bold=True)
    _text(pdf, f"{level_label(board.node.level)} · {board.node.code}", 9)
    _text(pdf, court_note(), 9)
    _text(pdf, _("Generated at {time}").format(time=format_ist(board.generated_at, tz)), 9)
    score = score_text(board.total.score)
    _text(pdf, _("Score of {name}: {score}").format(name=name, score=score), 11, bold=True)
    if demo:
        _text(pdf, _("Demo data: made up for demonstration."), 9)
    pdf.ln(3)
    if board.areas:
        _areas(pdf, board)
    if board.stations:
        _stations(pdf, board)
    return bytes(pdf.output())
