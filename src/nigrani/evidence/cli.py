"""`nigrani evidence verify`: re-hash every stored evidence file and report problems.

Heavy modules are imported inside the command, so `nigrani --help` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import progress_bar, sessions, settings_or_exit
from nigrani.core.config import Settings

if TYPE_CHECKING:
    from nigrani.evidence.store import Problem

console = Console(stderr=True)
PROBLEMS_SHOWN = 200


def _settings() -> Settings:
    return settings_or_exit(console)


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
    from nigrani.evidence import store

    with sessions(settings) as factory, factory() as session, progress_bar(console) as bar:
        task = bar.add_task("Re-hashing evidence", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return store.verify_all(session, settings=settings, progress=advance)


def verify_evidence() -> None:
    """Re-hash every live evidence file; exit 1 if any is missing or changed."""
    problems = _run_verify(_settings())
    if problems:
        console.print(_problem_table(problems))
        raise typer.Exit(1)
    console.print("[green]Every evidence file matches its SHA-256.[/green]")
