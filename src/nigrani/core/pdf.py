"""PDFs in Hindi and English: the committed Noto fonts, HarfBuzz shaping, pieces of forms.

Devanagari needs text shaping (conjuncts, vowel signs placed before the consonant), which
fpdf2 does through HarfBuzz once `set_text_shaping(True)` is on; Latin text in a Hindi
document (codes, hashes, "IST") and Hindi names in an English one come from the fallback font.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from nigrani.core.errors import Busy
from nigrani.core.i18n import gettext

FONT_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "fonts"
LATIN, DEVANAGARI = "notosans", "notosansdevanagari"
FONT_FILES = {LATIN: "NotoSans", DEVANAGARI: "NotoSansDevanagari"}
INK, MUTED = (20, 28, 38), (90, 98, 110)
HEAD = FontFace(emphasis="BOLD", fill_color=(238, 241, 245))
TOTAL = FontFace(emphasis="BOLD", fill_color=(248, 249, 251))


def use_noto(pdf: FPDF, lang: str) -> str:
    """Load both Noto families (regular and bold), shape text; returns the language's family."""
    for family, stem in FONT_FILES.items():
        pdf.add_font(family, "", FONT_DIR / f"{stem}-Regular.ttf")
        pdf.add_font(family, "B", FONT_DIR / f"{stem}-Bold.ttf")
    pdf.set_text_shaping(True)
    pdf.set_fallback_fonts([LATIN if lang == "hi" else DEVANAGARI])
    pdf.set_lang(lang)
    return DEVANAGARI if lang == "hi" else LATIN


# Rendering is pure Python that holds the interpreter lock: more renders at once than half
# the cores only slow every other request of the process (8 compliance PDFs at once made
# pages wait seconds). Renders take turns; a request that would queue behind a full line
# is told to come back, rather than hold one of the server's threads while it waits.
RENDERS_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
RENDER_LINE = 8
RETRY_AFTER_S = 10
_turns = threading.BoundedSemaphore(RENDERS_AT_ONCE)
_line = threading.BoundedSemaphore(RENDER_LINE)


@contextmanager
def render_turn() -> Iterator[None]:
    """Wait for a turn to render a PDF (503 Busy when the line is already full)."""
    if not _line.acquire(blocking=False):
        raise Busy(
            gettext("Many reports are being prepared. Wait a few seconds and try again."),
            retry_after=RETRY_AFTER_S,
        )
    try:
        with _turns:
            yield
    finally:
        _line.release()


class ReportPDF(FPDF):
    """A4 pages of a printed report: a note and "page n of m" at the foot of every page."""

    def __init__(
        self, *, lang: str, note: str, page_label: str, landscape: bool = False, top: float = 12
    ) -> None:
        super().__init__(orientation="landscape" if landscape else "portrait", format="A4")
        self.lang, self.note, self.page_label = lang, note, page_label
        self.main_font = use_noto(self, lang)
        self.set_margins(10, top, 10)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        """The report's note and the page number."""
        self.set_y(-17)
        self.set_font(self.main_font, "", 7.5)
        self.set_text_color(*MUTED)
        self.multi_cell(0, 3.8, self.note, align="C", new_x="LMARGIN", new_y="NEXT")
        page = self.page_label.format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(0, 4.5, page, align="C")


class FormPDF(FPDF):
    """A4 pages in one language, with the pieces of a printed form: text, boxes, lines."""

    def __init__(self, *, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.main_font = use_noto(self, lang)
        self.set_line_width(0.25)
        self.alias_nb_pages()

    def paragraph(
        self, text: str, *, size: float = 9.5, bold: bool = False, align: str = "J"
    ) -> None:
        """Text wrapped across the page, then a little space."""
        self.set_font(self.main_font, "B" if bold else "", size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.53, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.2)

    def field(self, label: str, value: str, *, size: float = 9.5) -> None:
        """A bold label and its value, the value wrapped."""
        self.set_font(self.main_font, "B", size)
        self.set_text_color(*INK)
        self.cell(self.get_string_width(label) + 1, size * 0.55, f"{label}:")
        self.set_font(self.main_font, "", size)
        self.multi_cell(0, size * 0.55, f" {value}", new_x="LMARGIN", new_y="NEXT")

    def tick_boxes(self, labels: Sequence[str], ticked: Sequence[bool]) -> None:
        """A row of tick boxes, drawn (the fonts have no ballot-box glyph), wrapped as needed."""
        self.set_font(self.main_font, "", 9.5)
        self.set_text_color(*INK)
        for label, tick in zip(labels, ticked, strict=True):
            width = 5.5 + self.get_string_width(label) + 6
            if self.get_x() + width > self.w - self.r_margin:
                self.ln(6)
            x, y = self.get_x(), self.get_y()
            self.rect(x, y + 1.1, 3.4, 3.4)
            if tick:
                self.line(x + 0.6, y + 2.9, x + 1.5, y + 4.0)
                self.line(x + 1.5, y + 4.0, x + 3.1, y + 1.5)
            self.set_xy(x + 5.5, y)
            self.cell(width - 5.5, 5.6, label)
        self.ln(7)

    def ruled_line(self, label: str, *, until: float, rule: bool = True) -> None:
        """A label and a line to write on by hand, ending `until` mm from the left edge."""
        self.set_font(self.main_font, "", 9.5)
        self.set_text_color(*INK)
        self.ln(3)
        self.cell(self.get_string_width(label) + 2, 6, label)
        if rule:
            self.line(self.get_x(), self.get_y() + 5, until, self.get_y() + 5)
        self.ln(6)


def heading(pdf: ReportPDF, text: str, size: float) -> None:
    """A bold heading of a report, full width."""
    pdf.set_font(pdf.main_font, "B", size)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def note_line(pdf: ReportPDF, text: str) -> None:
    """A small grey line of a report (period, when made, notes)."""
    pdf.set_font(pdf.main_font, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def table(
    pdf: ReportPDF,
    widths: Sequence[int],
    headers: list[str],
    rows: list[list[str | int]],
    total: list[str | int] | None = None,
    align: Sequence[str] | None = None,
) -> None:
    pdf.set_font(pdf.main_font, "", 8.5)
    pdf.set_text_color(*INK)
    align = align or ("LEFT", *["RIGHT"] * (len(widths) - 1))
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align=tuple(align),
        headings_style=HEAD,
        line_height=4.2,
        padding=(0.9, 1.5),
        repeat_headings=1,
    ) as table:
        table.row(headers)
        for row in rows:
            table.row([str(v) for v in row])
        if total is not None:
            table.row([str(v) for v in total], style=TOTAL)
