"""`nigrani recordings cleanup`: one cleanup pass over recorded footage, with a summary.

Heavy modules are imported inside the command, so `nigrani --help` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import progress_bar, sessions, settings_or_exit

if TYPE_CHECKING:
    from nigrani.stations.retention import CleanupResult

console = Console(stderr=True)
recordings_app = typer.Typer(help="Recorded station footage.", no_args_is_help=True)


def _summary(result: CleanupResult) -> Table:
    table = Table(title="Recordings cleanup", title_justify="left", show_header=False)
    free = "unknown" if result.free_percent is None else f"{result.free_percent:.1f}%"
    rows = [
        ("past retention, deleted", str(result.expired)),
        ("deleted early for disk space", str(result.cut)),
        ("past retention, kept on hold", str(result.held_kept)),
        ("freed", f"{result.bytes_freed / 1e9:.2f} GB"),
        ("free space now", free),
    ]
    rows += [(f"station {path}: footage now reaches", f"{days} days") for path, days in
             result.cut_stations.items()]  # fmt: skip
    for label, value in rows:
        table.add_row(label, value)
    return table


@recordings_app.command("cleanup")
def cleanup_recordings() -> None:
    """Delete footage past retention (never held footage); exit 1 if the disk is full of holds."""
    from nigrani.core.db import utcnow
    from nigrani.stations import retention

    settings = settings_or_exit(console)
    with sessions(settings) as factory, progress_bar(console) as bar:
        task = bar.add_task("Deleting old footage", total=None)

        def advance(phase: str, deleted: int) -> None:
            bar.update(task, description=f"Deleting old footage ({phase})", completed=deleted)

        result = retention.cleanup(factory, settings=settings, now=utcnow(), progress=advance)
    console.print(_summary(result))
    if result.disk_full_held:
        console.print("[red]Disk still low and only footage on hold is left: add storage.[/red]")
        raise typer.Exit(1)
