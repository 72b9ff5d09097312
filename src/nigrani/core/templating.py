"""Jinja2 templates from every feature's folder, with gettext, IST and CSRF built in."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from nigrani.core import i18n
from nigrani.core.phones import mask_mobile

PACKAGE = Path(__file__).resolve().parent.parent
FEATURES = (
    "web",
    "accounts",
    "cameras",
    "canvass",
    "grievances",
    "stations",
    "health",
    "analytics",
    "hearings",
    "home",
)


def template_dirs() -> list[str]:
    """The shell's templates first, then each feature's own."""
    return [str(PACKAGE / name / "templates") for name in FEATURES]


def make_environment() -> Environment:
    """A Jinja2 environment whose gettext follows the current request's language."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in template_dirs()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters["ist"] = i18n.format_ist
    env.filters["ist_day"] = i18n.format_ist_day
    env.filters["ist_time"] = i18n.format_ist_time
    env.globals["mask"] = mask_mobile
    env.globals["query_with"] = query_with
    return env


def query_with(request: Request, **changes: str | int | None) -> str:
    """This page's query string with some parameters set ("" or None drops one), so a link
    that changes the language or the page keeps every filter the user chose."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    kept += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return "?" + urlencode(kept)


def make_templates() -> Jinja2Templates:
    """The template renderer the app keeps in its state."""
    return Jinja2Templates(env=make_environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page (or an htmx partial) with the request in its context."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"lang": i18n.current_language.get(), **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    return response


def is_htmx(request: Request) -> bool:
    """Whether htmx asked for a fragment rather than a full page."""
    return request.headers.get("HX-Request") == "true"
