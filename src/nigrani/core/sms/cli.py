"""`nigrani sms templates`: every message to register on the DLT portal, and its id here."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from nigrani.core.sms import templates

sms_app = typer.Typer(help="SMS templates and the gateway.", no_args_is_help=True)


@sms_app.command("templates")
def list_templates(
    file: Annotated[
        Path | None, typer.Option(help="The SMS file whose DLT ids to show (may be incomplete).")
    ] = None,
) -> None:
    """Print each template as the DLT portal wants it, with its DLT id from the file."""
    # Reads no settings: it is what an operator runs while the file still lacks ids.
    ids: dict[str, str] = {}
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            typer.echo(f"{file}: {exc}", err=True)
            raise typer.Exit(2) from exc
        ids = dict(data.get("dlt", {}).get("templates", {}))
    # Plain lines, not a table: the text is copied into the portal as it stands.
    for tpl in templates.TEMPLATES.values():
        kind = "Unicode" if templates.is_unicode(tpl.text) else "Text"
        typer.echo(f"{tpl.name}  ({kind}, DLT id: {ids.get(tpl.name, 'MISSING')})")
        typer.echo(f"{tpl.dlt_text()}\n")
