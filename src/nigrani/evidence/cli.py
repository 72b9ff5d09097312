"""`nigrani evidence verify`: re-hash every stored evidence file and report problems.

Heavy modules are imported inside the command, so `nigrani --help` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nigrani.core.config import Settings, get_settings

if TYPE_CHECKING:
    from nigrani.evidence.store import Problem

console = Console(stderr=True)
PROBLEMS_SHOWN = 200


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:
        console.print(f"[red]Configuration refused:[/red] {exc}")
        raise typer.Exit(2) from exc


def _problem_table(problems: list[Problem]) -> Table:
    table = Table(title=f"{len(problems)} problems", title_justify="left")
    for column in ("item", "sha256", "problem", "detail"):
        table.add_column(column)
    for p in problems[:PROBLEMS_SHOWN]:
        table.add_row(str(p.item_id), p.sha256[:16] + "…", p.problem, p.detail)
    if len(problems) > PROBLEMS_SHOWN:
        table.caption = f"… and {len(problems) - PROBLEMS_SHOWN} more"
    return table


def _run_verify(settings: Settings) -> list[Problem]:
    from nigrani.core.db import make_engine, make_sessionmaker
    from nigrani.evidence import store

    engine = make_engine(settings.db_url)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with (
            make_sessionmaker(engine)() as session,
            Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar,
        ):
            task = bar.add_task("Re-hashing evidence", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return store.verify_all(session, settings=settings, progress=advance)
    finally:
        engine.dispose()


def verify_evidence() -> None:
    """Re-hash every live evidence file; exit 1 if any is missing or changed."""
    problems = _run_verify(_settings())
    if problems:
        console.print(_problem_table(problems))
        raise typer.Exit(1)
    console.print("[green]Every evidence file matches its SHA-256.[/green]")
