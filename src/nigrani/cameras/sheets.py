"""Spreadsheet files in and out: CSV and XLSX read into numbered rows, cells made formula-safe."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import openpyxl  # type: ignore[import-untyped]

from nigrani.core.i18n import _

MAX_UNPACKED = 512 * 1024 * 1024
"""An XLSX larger than this once unpacked is refused (a small zip can unpack to gigabytes)."""

Rows = list[tuple[int, list[str]]]


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """One problem of a file: its line (spreadsheet row), column and reason."""

    line: int
    column: str
    reason: str


class FileProblem(Exception):
    """The file as a whole cannot be used; every problem found is listed."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors[0].reason)
        self.errors = list(errors)


def _problem(line: int, reason: str) -> FileProblem:
    return FileProblem(RowError(line, "", reason))


def read_table(data: bytes, *, max_rows: int) -> tuple[list[str], Rows]:
    """Header and non-blank rows (line, cells) of a CSV or XLSX file, told apart by content."""
    if data.startswith(b"PK\x03\x04"):
        rows: Iterable[tuple[int, list[str]]] = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _problem(1, _("Old Excel files (.xls) cannot be read; save as .xlsx or CSV."))
    else:
        rows = _csv_rows(data)
    table = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not table:
        raise _problem(1, _("The file is empty."))
    if len(table) - 1 > max_rows:
        raise _problem(1, _("More than {n} rows; split the file.").format(n=max_rows))
    return [c.strip().lower().replace(" ", "_") for c in table[0][1]], table[1:]


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = _("Line {line} is not UTF-8 text. Save the file as “CSV UTF-8” and try again.")
        raise _problem(line, reason.format(line=line)) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        for cells in reader:
            yield end + 1, cells  # the line the row starts on (a quoted cell may span lines)
            end = reader.line_num
    except csv.Error as exc:
        line = reader.line_num
        reason = _("Line {line} is not valid CSV: {error}").format(line=line, error=exc)
        raise _problem(line, reason) from exc


def _xlsx_rows(data: bytes) -> Rows:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED:
            raise ValueError("too large once unpacked")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        table = [(n, [cell_text(v) for v in values]) for n, values in enumerate(rows, start=1)]
        book.close()
    except Exception as exc:  # openpyxl raises many kinds of error on a malformed workbook
        reason = _("This XLSX file cannot be read ({error}).")
        raise _problem(1, reason.format(error=str(exc) or type(exc).__name__)) from exc
    return table


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV would hold (whole numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def columns(
    header: list[str], *, known: tuple[str, ...], required: tuple[str, ...], ignored: frozenset[str]
) -> dict[str, int]:
    """Where each known column is; unknown, repeated or missing columns are line-1 errors."""
    errors: list[RowError] = []
    found: dict[str, int] = {}
    width = max((i + 1 for i, name in enumerate(header) if name), default=0)
    for i, name in enumerate(header[:width]):
        if name in found:
            errors.append(RowError(1, name, _("this column appears twice")))
        elif name not in known and name not in ignored:
            reason = _("unknown column; the columns are: {names}").format(names=", ".join(known))
            errors.append(RowError(1, name or f"#{i + 1}", reason))
        found.setdefault(name, i)
    errors += [RowError(1, c, _("required column is missing")) for c in required if c not in found]
    if errors:
        raise FileProblem(*errors)
    return {name: i for name, i in found.items() if name in known}
