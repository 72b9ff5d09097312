"""`nigrani worker`: station analytics on the cameras this process can lease, until stopped."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import every, sessions, settings_or_exit, stop_on_signals

if TYPE_CHECKING:
    from nigrani.analytics.worker import Worker

console = Console(stderr=True)


def status_table(worker: Worker) -> Table:
    """One row per watched camera: state, frames kept and detected, drops, connects, error."""
    done = worker.analyser
    title = (
        f"Worker {worker.id}: {done.frames} frames, {done.detected} detected in "
        f"{done.batches} batches ({done.detect_s:.1f} s), {done.changes} event changes, "
        f"{len(worker.spool.pending())} to send, {worker.sender.sent} sent"
    )
    table = Table(title=title, title_justify="left")
    for column in ("camera", "name", "state", "kept", "detected", "dropped", "connects", "error"):
        table.add_column(column)
    for row in worker.status():
        table.add_row(
            str(row.camera_id), row.name, row.state, str(row.kept), str(row.detected),
            str(row.dropped), str(row.connects), row.error[:60],
        )  # fmt: skip
    return table


def worker_command(
    cameras: Annotated[int, typer.Option(min=1, help="Most cameras this process watches.")] = 16,
    station: Annotated[
        str | None, typer.Option(help="Only cameras under this node code (station, circle…).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds without packets = lost.")] = 5.0,
    status_every: Annotated[
        float, typer.Option(help="Print the status table every this many seconds (0: never).")
    ] = 60.0,
    name: Annotated[str | None, typer.Option(help="Lease holder name (default host:pid).")] = None,
    camera: Annotated[
        list[int] | None, typer.Option(help="Only this station camera id (repeatable).")
    ] = None,
) -> None:
    """Watch station cameras (leased from the database) and post their rules' events."""
    from nigrani.analytics.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_or_exit(console)
    if not settings.analytics_token.get_secret_value():
        console.print(
            "[red]NIGRANI_ANALYTICS_TOKEN is not set:[/red] a worker's API key posts events."
        )
        raise typer.Exit(2)
    with sessions(settings) as factory:
        worker = Worker(
            factory,
            settings,
            max_cameras=cameras,
            station=station,
            name=name,
            timeout_s=timeout,
            camera_ids=camera or (),
        )
        stop_on_signals(worker.stop_event)

        def status(w: Worker) -> None:
            console.print(status_table(w))

        show = every(status_every, status)
        console.print(f"Worker {worker.id}: up to {cameras} cameras; Ctrl-C stops cleanly.")
        began = time.monotonic()
        worker.run(on_heartbeat=show)
        console.print(
            f"Worker {worker.id} stopped after {time.monotonic() - began:.0f} s: "
            f"{worker.analyser.frames} frames, {worker.sender.sent} event changes sent, "
            f"{len(worker.spool.pending())} left in the spool; leases released.",
            soft_wrap=True,
        )
