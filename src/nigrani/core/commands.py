"""What every `nigrani` subcommand shares: settings or a clear exit, sessions, a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings, get_settings


def settings_or_exit(console: Console) -> Settings:
    """The settings, or exit 2 saying which value was refused."""
    try:
        return get_settings()
    except ValueError as exc:
        console.print(f"[red]Configuration refused:[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory whose engine is closed when the command ends."""
    from nigrani.core.db import make_engine, make_sessionmaker

    engine = make_engine(settings.db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def progress_bar(console: Console) -> Progress:
    """The bar long commands show: description, bar, done/total, elapsed."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=console, transient=True)
