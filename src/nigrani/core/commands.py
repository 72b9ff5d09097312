"""What every `nigrani` subcommand shares: settings or a clear exit, sessions, a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings, get_settings


def settings_or_exit(console: Console, **overrides: Any) -> Settings:
    """The settings (with these values instead of the environment's), or exit 2 saying
    which value or name was refused."""
    try:
        return Settings(**overrides) if overrides else get_settings()
    except ValueError as exc:
        console.print(f"[red]Configuration refused:[/red] {escape(_reason(exc))}")
        raise typer.Exit(2) from exc


def _reason(exc: ValueError) -> str:
    # Pydantic's own text repeats the input values, which hold the keys: only the reasons.
    if not isinstance(exc, ValidationError):
        return str(exc)
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        reason = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {reason}" if where else reason)
    return "; ".join(parts)


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
