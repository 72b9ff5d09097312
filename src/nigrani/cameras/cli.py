"""`nigrani import cameras` and `nigrani export cameras`: the registry from and to files.

Heavy modules are imported inside the commands, so `nigrani --help` stays quick.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import progress_bar, sessions, settings_or_exit
from nigrani.core.config import Settings

if TYPE_CHECKING:
    from nigrani.cameras.importer import ImportReport
    from nigrani.cameras.sheets import RowError
    from nigrani.core.audit import Actor

cameras_app = typer.Typer(help="Camera sites: import and export.", no_args_is_help=True)
console = Console(stderr=True)
ERRORS_SHOWN = 200


class Format(StrEnum):
    CSV = "csv"
    GEOJSON = "geojson"


def _settings() -> Settings:
    return settings_or_exit(console)


def _actor() -> Actor:
    from nigrani.core.audit import Actor

    return Actor(None, "cli")


def _error_table(errors: list[RowError]) -> Table:
    table = Table(title=f"{len(errors)} problems", title_justify="left")
    for column in ("line", "column", "problem"):
        table.add_column(column)
    for e in errors[:ERRORS_SHOWN]:
        table.add_row(str(e.line), e.column or "—", e.reason)
    if len(errors) > ERRORS_SHOWN:
        table.caption = f"… and {len(errors) - ERRORS_SHOWN} more"
    return table


def _run_import(settings: Settings, file: Path, dry_run: bool) -> ImportReport:
    from nigrani.cameras import importer
    from nigrani.core.db import transaction

    with progress_bar(console) as bar:
        task = bar.add_task("Checking" if dry_run else "Importing", total=None)
        with sessions(settings) as factory, transaction(factory) as session:
            return importer.import_sites(
                session,
                settings=settings,
                data=file.read_bytes(),
                file_name=file.name,
                actor=_actor(),
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )


@cameras_app.command("import")
def import_cameras(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
) -> None:
    """Import sites from CSV or XLSX: all rows or none; the same file again updates them."""
    from nigrani.cameras.importer import ImportFailed
    from nigrani.core.errors import NigraniError

    settings = _settings()
    try:
        report = _run_import(settings, file, dry_run)
    except ImportFailed as exc:
        console.print(_error_table(exc.report.errors))
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    except NigraniError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if report.errors:
        console.print(_error_table(report.errors))
    verb = "Would create" if dry_run else "Created"
    console.print(
        f"{report.rows} rows. {verb} {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}; owner contacts written as given {report.contacts}."
        + (" Nothing written (dry run)." if dry_run else "")
    )
    if report.errors:
        raise typer.Exit(1)


@cameras_app.command("export")
def export_cameras(
    fmt: Annotated[Format, typer.Option("--format", help="csv or geojson.")] = Format.CSV,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
) -> None:
    """Export every site (owners masked) as CSV or GeoJSON."""
    from nigrani.cameras import export, service
    from nigrani.core.db import transaction

    settings = _settings()
    f = service.SiteFilter()
    with sessions(settings) as factory:
        with transaction(factory) as session:
            export.record_export(session, actor=_actor(), fmt=fmt.value, scope_path="/", f=f)
        chunks = export.csv_chunks if fmt == Format.CSV else export.geojson_chunks
        with out.open("wb") if out else nullcontext(sys.stdout.buffer) as sink:
            for chunk in chunks(factory, scope_path="/", f=f):
                sink.write(chunk)
    if out:
        console.print(f"Written to {out}")
