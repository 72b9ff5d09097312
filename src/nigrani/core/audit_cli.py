"""`nigrani audit`: verify the chain against its signed checkpoints, or write one now."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from nigrani.core.commands import progress_bar, sessions, settings_or_exit

if TYPE_CHECKING:
    from nigrani.core.audit_check import Report

audit_app = typer.Typer(
    help="The hash-chained audit log and its signed checkpoints.", no_args_is_help=True
)
console = Console()
CheckpointFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoints",
        help="A checkpoint file to check against (a copy of the off-box file, or lines from "
        "syslog); repeat for several. Default: NIGRANI_AUDIT_CHECKPOINT_FILE.",
    ),
]


@audit_app.command("verify")
def audit_verify(checkpoints: CheckpointFiles = None) -> None:
    """Re-hash the whole chain and hold it against every signed checkpoint (exit 1 on a
    broken chain, a truncation, a rewrite or a forged checkpoint)."""
    from nigrani.core import audit
    from nigrani.core.audit_anchor import AnchorError, anchor_of
    from nigrani.core.audit_check import verify_anchored

    settings = settings_or_exit(console)
    try:
        anchor = anchor_of(settings)
    except AnchorError as exc:
        console.print(f"[red]Cannot verify:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    files = checkpoints or ([anchor.file] if anchor.file else [])
    with sessions(settings) as factory, factory() as session, progress_bar(console) as bar:
        head = session.get(audit.AuditHead, 1)
        task = bar.add_task("Re-hashing the audit chain", total=head.seq if head else 0)
        report = verify_anchored(
            session,
            keys=anchor.keys,
            files=files,
            on_progress=lambda done: bar.update(task, completed=done),
        )
    _print_report(report, files)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: Report, files: list[Path]) -> None:
    from nigrani.core.audit_check import when

    chain = report.chain
    if chain.ok:
        console.print(f"[green]Audit chain intact[/green]: {chain.checked} rows re-hashed")
    elif chain.broken_id is None:
        console.print(f"[red]Audit chain broken[/red]: {chain.problem} ({chain.checked} rows)")
    else:
        console.print(
            f"[red]Audit chain broken[/red] at row {chain.broken_id}: {chain.problem} "
            f"({chain.checked} rows before it are intact)"
        )
    if files:
        sources = ", ".join(escape(str(f)) for f in files)
        console.print(
            f"Checkpoints: {report.lines} in {sources}, {len(report.signed)} with a valid MAC"
        )
    for finding in report.findings:
        console.print(f"[red]{escape(finding)}[/red]")
    if report.proven is not None:
        cp = report.proven.checkpoint
        rows = f"rows 1–{cp.row_id}" if cp.row_id else "the empty chain"
        console.print(
            f"[green]Proven[/green]: {rows} as signed at {when(cp)} ({escape(report.proven.where)})"
        )
    for note in report.notes:
        console.print(f"[yellow]Not proven[/yellow]: {escape(note)}")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head now and append it to the checkpoint file and/or syslog."""
    from nigrani.core.audit_anchor import AnchorError, anchor_of, take, write

    settings = settings_or_exit(console)
    try:
        anchor = anchor_of(settings, create=True)
        if not anchor.keys:
            raise AnchorError(
                "no audit key: set NIGRANI_AUDIT_KEY or NIGRANI_AUDIT_KEY_FILE "
                "(generate one with: nigrani keygen)"
            )
        with sessions(settings) as factory, factory() as session:
            checkpoint = take(session, anchor.keys[0])
        where = write(anchor, checkpoint)
    except AnchorError as exc:
        console.print(f"[red]No checkpoint written:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    console.print(
        f"Checkpoint of row {checkpoint.row_id} ({checkpoint.count} rows), key "
        f"{checkpoint.kid}, written to {escape(', '.join(where))}:"
    )
    typer.echo(checkpoint.line())  # whole, never wrapped: it can be copied off the machine
