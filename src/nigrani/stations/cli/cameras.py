"""`nigrani dev-cameras`: demo footage served as live RTSP cameras on loopback.

A development tool: point station cameras at the printed URLs to record, watch and
analyse without a camera on the desk. Needs `make media-tools`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import progress_bar

console = Console(stderr=True)


def _table(cameras: list[tuple[str, str, str | None]]) -> Table:
    table = Table(title="Simulated cameras (RTSP over UDP)", title_justify="left")
    for column in ("camera", "main stream", "sub-stream"):
        table.add_column(column)
    for name, main, sub in cameras:
        table.add_row(name, main, sub or "-")
    return table


def dev_cameras(
    count: Annotated[int, typer.Option(min=1, max=200, help="How many cameras.")] = 4,
    variant: Annotated[str, typer.Option(help="Main stream: sd (768×576) or hd (720p).")] = "sd",
    sub: Annotated[bool, typer.Option("--sub/--no-sub", help="Also a 384×288 sub-stream.")] = True,
    client_port: Annotated[int, typer.Option(help="Readers pull from this port.")] = 8554,
    source_port: Annotated[int, typer.Option(help="Publishers push to this port.")] = 8555,
    rtp_port: Annotated[int, typer.Option(help="First RTP/UDP port of the server.")] = 2000,
    media_dir: Annotated[Path, typer.Option(help="Prepared footage (cached).")] = Path(
        "var/simulator"
    ),
    seconds: Annotated[float, typer.Option(help="Stop after this long (0: until Ctrl-C).")] = 0,
) -> None:
    """Serve demo footage with Hindi speech as live RTSP cameras on 127.0.0.1 (development)."""
    from nigrani.stations.simulator import Ports, Simulator
    from nigrani.stations.simulator_media import SimulatorError, media_steps, prepare_media

    variants = [variant, "sub"] if sub else [variant]
    try:
        with progress_bar(console) as bar:
            task = bar.add_task("Preparing demo footage", total=media_steps(variants))
            media = prepare_media(
                directory=media_dir,
                variants=variants,
                on_step=lambda step: bar.update(task, advance=1, description=f"Prepared {step}"),
            )
        ports = Ports(client=client_port, source=source_port, rtp=rtp_port)
        simulator = Simulator(
            main=media[variant], sub=media["sub"] if sub else (), count=count, ports=ports,
            log_dir=media_dir / "logs",
        )  # fmt: skip
        simulator.start()
    except SimulatorError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(_table([(c.name, c.main_url, c.sub_url) for c in simulator.cameras]))
    console.print("Readers: stations.streams.open_stream(url, transport='udp'). Ctrl-C stops.")
    try:
        _wait(seconds)
    finally:
        simulator.stop()


def _wait(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    try:
        while not seconds or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        console.print("Stopping the cameras.")
