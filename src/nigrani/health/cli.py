"""`nigrani prober`: probe the city's cameras (leased from the database) until stopped, or
once with --once."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from nigrani.core.commands import every, progress_bar, sessions, settings_or_exit, stop_on_signals

if TYPE_CHECKING:
    from nigrani.health.prober import Prober

console = Console(stderr=True)


def _logging() -> None:
    """Rich log lines on a terminal, plain ones in a service's journal or a pipe."""
    if sys.stderr.isatty():
        handler: logging.Handler = RichHandler(console=console, show_path=False)
        logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[handler])
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def status_table(prober: Prober, seconds: float) -> Table:
    """What the prober did so far: checks by kind, state changes, leases lost."""
    table = Table(title=f"Prober {prober.id} after {seconds:.0f} s", title_justify="left")
    status = prober.status()
    for column in status:
        table.add_column(column, justify="right")
    table.add_row(*(str(v) for v in status.values()))
    return table


def prober_command(
    scope: Annotated[
        str | None, typer.Option(help="Only cameras under this node code (station, circle…).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=512, help="Checks at once (default NIGRANI_HEALTH_CONCURRENCY)."),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Probe every camera in scope once, then exit.")
    ] = False,
    status_every: Annotated[
        float, typer.Option(help="Print the status table every this many seconds (0: never).")
    ] = 60.0,
    name: Annotated[str | None, typer.Option(help="Lease holder name (default host:pid).")] = None,
) -> None:
    """Probe camera health: reachability, picture and sound, K results before a change."""
    from nigrani.health.prober import Prober

    _logging()
    settings = settings_or_exit(console)
    with sessions(settings) as factory:
        prober = Prober(factory, settings, scope=scope, concurrency=concurrency, name=name)
        began = time.monotonic()
        if once:
            with progress_bar(console) as bar:
                task = bar.add_task("Probing cameras", total=None)
                prober.run_once(
                    on_progress=lambda done, total: bar.update(task, completed=done, total=total)
                )
            prober.shutdown()
            console.print(status_table(prober, time.monotonic() - began))
            return

        stop_on_signals(prober.stop_event)

        def status(p: Prober) -> None:
            console.print(status_table(p, time.monotonic() - began))

        show = every(status_every, status)
        console.print(
            f"Prober {prober.id}: {prober.concurrency} checks at once, a full probe every "
            f"{settings.health_interval_s} s and a connect check every "
            f"{settings.health_socket_interval_s} s; Ctrl-C stops cleanly."
        )
        prober.run(on_tick=show)
        console.print(status_table(prober, time.monotonic() - began))
