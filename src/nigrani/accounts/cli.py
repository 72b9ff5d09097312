"""`nigrani token create|list|revoke`: API keys for civic apps, workers and integrations.

Heavy modules are imported inside the commands, so `nigrani --help` stays quick.
"""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from nigrani.core.commands import sessions, settings_or_exit

if TYPE_CHECKING:
    from nigrani.accounts.models import ApiToken
    from nigrani.core.audit import Actor

token_app = typer.Typer(help="API keys (Open311 civic apps, workers).", no_args_is_help=True)
console = Console()


def _actor() -> Actor:
    """The audit identity of whoever runs the command: the operating-system account."""
    from nigrani.core.audit import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        who = "unknown"
    return Actor(None, f"cli:{who}"[:120])


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(1)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who uses the key and for what.")],
    user: Annotated[str, typer.Option(help="The staff account the key acts as, e.g. admin.")],
    scope: Annotated[
        list[str] | None, typer.Option(help="A scope; repeat for more. Default: open311.")
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Stop working after this many days.")
    ] = None,
) -> None:
    """Issue a key and print its secret once."""
    from nigrani.accounts import service
    from nigrani.core.db import transaction, utcnow
    from nigrani.core.errors import NigraniError

    settings = settings_or_exit(console)
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    try:
        with sessions(settings) as factory, transaction(factory) as session:
            issued = service.issue_token(
                session,
                user=service.get_staff(session, user),
                name=name,
                scopes=scope or ["open311"],
                expires_at=expires,
                actor=_actor(),
            )
            token_id, scopes = issued.token.id, issued.token.scopes
    except NigraniError as exc:
        raise _fail(exc.message) from exc
    console.print(f"Issued key #{token_id} ({scopes}) acting as {user}:")
    # One unwrapped, unstyled line: a script may capture it.
    console.print(issued.secret, soft_wrap=True, markup=False, highlight=False)
    console.print(
        "[bold yellow]Store it now: it cannot be shown again.[/bold yellow] "
        "Nigrani keeps only a hash; if it is lost, revoke it and issue a new one."
    )


def _when(value: datetime | None) -> str:
    """A compact IST date."""
    from nigrani.core.i18n import to_ist

    return to_ist(value).strftime("%Y-%m-%d") if value else "—"


def _state(token: ApiToken) -> str:
    from nigrani.core.db import utcnow

    if token.revoked_at is not None:
        return f"[red]revoked[/red]\n{_when(token.revoked_at)}"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "[red]expired[/red]"
    return "[green]active[/green]"


@token_app.command("list")
def token_list() -> None:
    """Every key: id, name, scopes, dates and state (never the secret)."""
    from nigrani.accounts import service

    settings = settings_or_exit(console)
    # No vertical rules and unwrapped dates: the table fits an 80-column terminal.
    table = Table(title="API keys (dates in IST)", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("name (user)", overflow="fold")
    table.add_column("scopes", overflow="fold", min_width=11)
    for column in ("created", "last used", "expires", "state"):
        table.add_column(column, no_wrap=True)
    with sessions(settings) as factory, factory() as session:
        for t in service.list_tokens(session):
            name = f"{t.name} ({t.user.username or '—'})"
            when = (_when(t.created_at), _when(t.last_used_at), _when(t.expires_at))
            table.add_row(str(t.id), name, t.scopes, *when, _state(t))
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The key's id (see `nigrani token list`).")],
    reason: Annotated[str, typer.Option(help="Why; recorded in the audit log.")],
) -> None:
    """Stop a key from working at once."""
    from nigrani.accounts import service
    from nigrani.core.db import transaction
    from nigrani.core.errors import NigraniError

    settings = settings_or_exit(console)
    try:
        with sessions(settings) as factory, transaction(factory) as session:
            service.revoke_token(session, token_id=token_id, reason=reason, actor=_actor())
    except NigraniError as exc:
        raise _fail(exc.message) from exc
    console.print(f"Key #{token_id} revoked.")
