"""`nigrani recorder`: record the station cameras this process can lease, until stopped."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import every, sessions, settings_or_exit, stop_on_signals

if TYPE_CHECKING:
    from nigrani.stations.recorder.camera import TransportChoice
    from nigrani.stations.recorder.process import Recorder

console = Console(stderr=True)


class TransportOption(StrEnum):
    AUTO = "auto"
    TCP = "tcp"
    UDP = "udp"


TRANSPORTS: dict[TransportOption, TransportChoice] = {
    TransportOption.AUTO: "auto",
    TransportOption.TCP: "tcp",
    TransportOption.UDP: "udp",
}


def status_table(recorder: Recorder) -> Table:
    """One row per leased camera: state, packets, segments, sessions, last error."""
    table = Table(title=f"Recorder {recorder.id}", title_justify="left")
    for column in ("camera", "name", "state", "packets", "segments", "connects", "error"):
        table.add_column(column)
    for row in recorder.status():
        table.add_row(
            str(row.camera_id), row.name, row.state, str(row.packets),
            str(row.segments), str(row.sessions), row.error[:60],
        )  # fmt: skip
    return table


def recorder_command(
    cameras: Annotated[int, typer.Option(min=1, help="Most cameras this process records.")] = 100,
    station: Annotated[
        str | None, typer.Option(help="Only cameras under this node code (station, circle…).")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds without packets = lost.")] = 5.0,
    transport: Annotated[
        TransportOption, typer.Option(help="RTSP transport: auto is TCP, else UDP.")
    ] = TransportOption.AUTO,
    status_every: Annotated[
        float, typer.Option(help="Print the status table every this many seconds (0: never).")
    ] = 60.0,
    name: Annotated[str | None, typer.Option(help="Lease holder name (default host:pid).")] = None,
) -> None:
    """Record station cameras (leased from the database) and feed their live view."""
    from nigrani.stations.recorder.process import Recorder

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_or_exit(console)
    with sessions(settings) as factory:
        recorder = Recorder(
            factory, settings, max_cameras=cameras, station=station, name=name,
            timeout_s=timeout, transport=TRANSPORTS[transport],
        )  # fmt: skip
        stop_on_signals(recorder.stop_event)

        def status(r: Recorder) -> None:
            console.print(status_table(r))

        show = every(status_every, status)
        console.print(f"Recorder {recorder.id}: up to {cameras} cameras; Ctrl-C stops cleanly.")
        began = time.monotonic()
        recorder.run(on_heartbeat=show)
        seconds = time.monotonic() - began
        console.print(
            f"Recorder {recorder.id} stopped after {seconds:.0f} s and {recorder.packets_done} "
            f"packets ({recorder.packets_done / seconds:.0f}/s); leases released.",
            soft_wrap=True,
        )
