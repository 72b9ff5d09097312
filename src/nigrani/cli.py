"""The `nigrani` command line: every subcommand calls a service."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session

from nigrani.accounts.cli import token_app
from nigrani.analytics.cli import worker_command
from nigrani.analytics.eval_cli import eval_analytics
from nigrani.cameras.cli import export_cameras, import_cameras
from nigrani.core.audit_cli import audit_app
from nigrani.core.commands import (
    demo_recording,
    local_url,
    served_settings,
    sessions,
    settings_or_exit,
)
from nigrani.core.config import Settings
from nigrani.core.sms.cli import sms_app
from nigrani.evidence.cli import verify_evidence
from nigrani.health.cli import prober_command
from nigrani.health.eval_cli import eval_health
from nigrani.stations.cli.cameras import dev_cameras
from nigrani.stations.cli.recordings import recordings_app
from nigrani.stations.recorder.cli import recorder_command

app = typer.Typer(
    help="Nigrani: cameras, station oversight and grievances for city police.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Import operator data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")
app.add_typer(token_app, name="token")
app.add_typer(sms_app, name="sms")
export_app = typer.Typer(help="Export operator data.", no_args_is_help=True)
app.add_typer(export_app, name="export")
import_app.command("cameras")(import_cameras)
export_app.command("cameras")(export_cameras)
evidence_app = typer.Typer(help="The evidence store.", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")
evidence_app.command("verify")(verify_evidence)
app.command("dev-cameras")(dev_cameras)
app.add_typer(recordings_app, name="recordings")
app.command("recorder")(recorder_command)
app.command("prober")(prober_command)
app.command("worker")(worker_command)
eval_app = typer.Typer(help="Measure how well Nigrani's checks work.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
eval_app.command("health")(eval_health)
eval_app.command("analytics")(eval_analytics)
console = Console()


def _settings() -> Settings:
    return settings_or_exit(console)


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    """One committed transaction on a fresh engine."""
    from nigrani.core.db import transaction

    with sessions(settings) as factory, transaction(factory) as session:
        yield session


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database schema to the newest revision."""
    from nigrani.core.migrate import upgrade

    settings = _settings()
    upgrade(settings, revision)
    console.print(f"Database at revision {revision}: {settings.db_url.split('@')[-1]}")


def _serve(settings: Settings, host: str, port: int, scheduler: bool) -> None:
    import uvicorn

    from nigrani.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Objects alive at start-up never need a full collection: freezing them removes the
    # long GC pauses behind the p99 spikes measured in bench/bench_map.py.
    gc.collect()
    gc.freeze()
    # After its graceful shutdown uvicorn raises the SIGTERM again. With the default action
    # the process would end there, skipping every `finally` (the demo's recorder and
    # simulated cameras would be left running); this handler makes it a normal exit.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        create_app(settings, run_scheduler=scheduler), host=host, port=port, log_level="info"
    )


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    scheduler: Annotated[bool, typer.Option(help="Run the outbox loop in this process.")] = True,
) -> None:
    """Serve the web app and API (with the outbox scheduler in-process by default). Links
    sent out start with http://HOST:PORT unless NIGRANI_PUBLIC_URL is set."""
    _serve(served_settings(console, host, port), host, port, scheduler)


@app.command("scheduler")
def run_scheduler(once: Annotated[bool, typer.Option(help="One pass, then exit.")] = False) -> None:
    """Run the outbox and periodic tasks alone (production: one or more of these)."""
    import nigrani.models  # noqa: F401  (registers every feature's job handlers)
    from nigrani import tasks as all_tasks
    from nigrani.core.outbox import Scheduler

    settings = _settings()
    with sessions(settings) as factory:
        loop = Scheduler(factory, settings, periodic=all_tasks.PERIODIC)
        if once:
            console.print(f"Jobs done: {loop.tick()}")
            return
        logging.basicConfig(level=logging.INFO)
        try:
            loop.run()
        except KeyboardInterrupt:
            loop.stop_event.set()


@app.command()
def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after seeding.")
    ] = True,
    live: Annotated[
        bool, typer.Option("--live/--no-live", help="Simulated station cameras, recorded.")
    ] = True,
) -> None:
    """Migrate, load the Kanpur demo (clearly marked demo data), print the logins, serve."""
    from nigrani.core.db import utcnow
    from nigrani.core.errors import NigraniError
    from nigrani.core.migrate import upgrade
    from nigrani.demo.cameras import seed_cameras
    from nigrani.demo.grievances import seed_grievances
    from nigrani.demo.health import seed_health
    from nigrani.demo.hearings import seed_hearings
    from nigrani.demo.incidents import seed_incidents
    from nigrani.demo.seed import seed_tree, seed_users
    from nigrani.demo.stations import seed_station_cameras

    served = served_settings(console, host, port, demo=True, cookie_secure=False)
    settings = demo_recording(served, host)
    upgrade(settings)
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Loading the Kanpur demo", total=8)
            with _unit_of_work(settings) as session:
                added = seed_tree(session)
                progress.advance(task)
                logins = seed_users(session)
                progress.advance(task)
                sites = seed_cameras(session, settings)
                progress.advance(task)
                incidents = seed_incidents(session, settings)
                progress.advance(task)
                complaints = seed_grievances(session, settings)
                progress.advance(task)
                station_cameras = seed_station_cameras(session, settings)
                progress.advance(task)
                seed_health(session, settings)  # probe targets; the registry's history
                progress.advance(task)
                seed_hearings(session, settings, now=utcnow())  # and its last sittings
                progress.advance(task)
    except NigraniError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"Kanpur demo ready ({added} jurisdiction nodes, {sites} camera sites, "
        f"{incidents} incidents, {complaints} complaints, "
        f"{station_cameras} station cameras added). "
        "[bold]Demo data.[/bold]"
    )
    url = local_url(host, port)
    if not serve_after:
        _print_logins(logins, url)
        return
    from nigrani.demo.live import live_cameras

    # Live video starts first, so that the sign-in table can say whether it is on.
    cameras = live_cameras(settings, console, server_url=url)
    with cameras if live else contextlib.nullcontext() as video_off:
        _print_logins(logins, url, video_off=video_off)
        _serve(settings, host, port, scheduler=True)


def _print_logins(logins: list, url: str, *, video_off: str | None = None) -> None:  # type: ignore[type-arg]
    """The demo's sign-ins, and right under them, loudly, why live video is off if it is."""
    table = Table(title=f"Demo sign-ins at {url}/login (passwords change on every start)")
    for column in ("username", "password", "role", "jurisdiction"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.username, login.password, login.role.value, login.jurisdiction)
    console.print(table)
    if video_off:
        console.print(_video_off_banner(video_off))
    console.print(
        f"Citizens: {url}/citizen/login with any Indian mobile number; "
        "the demo shows the SMS code on the page."
    )
    console.print(
        f"Complaints: {url}/grievances as sho.kotwali or staff.kotwali (Kotwali's queue), "
        "control (the triage queue), dcp.central (escalations); citizens file at "
        f"{url}/citizen/complaints/new."
    )
    console.print(
        f"Video hearings: citizens book or join at {url}/hearings (Mon-Sat 12:00-14:00 IST); "
        f"dcp.central and acp.kotwali hear them at {url}/hearings/console."
    )


def _video_off_banner(reason: str) -> Panel:
    return Panel(
        f"[bold]{escape(reason)}[/bold]\n"
        "The demo serves without it: the live wall and playback show every station camera "
        "as not recording.",
        title="[bold]LIVE STATION VIDEO IS OFF[/bold]",
        border_style="bold red",
        style="yellow",
    )


@user_app.command("create")
def user_create(
    username: str,
    role: str,
    node: Annotated[str, typer.Option(help="Jurisdiction code, e.g. KNP-S-KOTWALI")],
    full_name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a staff account attached to a jurisdiction node."""
    from nigrani.accounts import service
    from nigrani.core import audit
    from nigrani.core.errors import NigraniError

    settings = _settings()
    try:
        with _unit_of_work(settings) as session:
            user = service.create_staff(
                session,
                username=username,
                full_name=full_name,
                role=service.parse_role(role),
                node_code=node,
                password=password,
                actor=audit.SYSTEM,
            )
    except NigraniError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Created {user.username} ({user.role}) at {node}")


@import_app.command("boundaries")
def import_boundaries(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    level: Annotated[str | None, typer.Option(help="Level for features without one.")] = None,
) -> None:
    """Import jurisdiction boundaries from a GeoJSON FeatureCollection (all or nothing)."""
    from nigrani.accounts import boundaries
    from nigrani.accounts.roles import Level
    from nigrani.core import audit
    from nigrani.core.errors import NigraniError

    settings = _settings()
    try:
        features = boundaries.parse(
            file.read_bytes(),
            default_level=Level(level) if level else None,
            max_bytes=settings.max_geojson_bytes,
        )
        with _unit_of_work(settings) as session:
            result = boundaries.apply(session, features, actor=audit.SYSTEM)
    except (NigraniError, ValueError) as exc:
        console.print(f"[red]Nothing imported:[/red] {getattr(exc, 'message', exc)}")
        raise typer.Exit(1) from exc
    console.print(f"Imported {result.created} new and {result.updated} updated jurisdictions")


@app.command()
def keygen() -> None:
    """Print a new field-encryption key, a secret key and an audit key for the settings."""
    from nigrani.core.security import generate_key, new_token

    console.print(f"NIGRANI_ENCRYPTION_KEY={generate_key()}")
    console.print(f"NIGRANI_SECRET_KEY={new_token(32)}")
    console.print(f"NIGRANI_AUDIT_KEY={new_token(32)}")
