"""What every `nigrani` subcommand shares: settings or a clear exit, sessions, a progress bar."""

from __future__ import annotations

import ipaddress
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import validation
from nigrani.core.config import Settings, get_settings

T = TypeVar("T")


def settings_or_exit(console: Console, **overrides: Any) -> Settings:
    """The settings (with these values instead of the environment's), or exit 2 saying
    which value or name was refused."""
    try:
        return Settings(**overrides) if overrides else get_settings()
    except ValueError as exc:
        console.print(f"[red]Configuration refused:[/red] {escape(_reason(exc))}")
        raise typer.Exit(2) from exc


def served_settings(console: Console, host: str, port: int, **overrides: Any) -> Settings:
    """The settings of a server listening on host:port: the links it sends out (SMS,
    Open311 discovery) start with that address, unless NIGRANI_PUBLIC_URL was given."""
    settings = settings_or_exit(console, **overrides)
    if "public_url" in settings.model_fields_set:  # from the environment or .env
        return settings
    return settings.model_copy(update={"public_url": local_url(host, port)})


def demo_recording(settings: Settings, host: str) -> Settings:
    """The demo records the hearings whose citizen agrees, unless the environment says not;
    served on the loopback, its recording peer offers the loopback address too."""
    update: dict[str, Any] = {}
    if "hearings_recording" not in settings.model_fields_set:
        update["hearings_recording"] = True
    if "hearings_recorder_addresses" not in settings.model_fields_set and host in (
        "127.0.0.1",
        "localhost",
    ):
        update["hearings_recorder_addresses"] = "127.0.0.1"
    return settings.model_copy(update=update) if update else settings


def local_url(host: str, port: int) -> str:
    """http://host:port, as a browser on this machine reaches a server bound there (a
    wildcard address is reached on the loopback; an IPv6 address goes in brackets)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}"  # a name
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    shown = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{shown}:{port}"


def _reason(exc: ValueError) -> str:
    # Pydantic's own text repeats the input values, which hold the keys: only the reasons.
    if not isinstance(exc, ValidationError):
        return str(exc)
    return validation.describe_all(exc.errors())


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


def stop_on_signals(stop_event: threading.Event) -> None:
    """SIGTERM and Ctrl-C set `stop_event`, so a long-running service stops cleanly."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def every(seconds: float, show: Callable[[T], None]) -> Callable[[T], None]:
    """A heartbeat callback that calls `show` at most once every `seconds` (never when
    `seconds` is 0): a service's status table, printed now and then."""
    last = [time.monotonic()]

    def tick(item: T) -> None:
        if seconds > 0 and time.monotonic() - last[0] >= seconds:
            show(item)
            last[0] = time.monotonic()

    return tick
