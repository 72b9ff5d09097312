"""Rendering helpers every feature's pages use: the user, their permissions, demo mode."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session, object_session

from nigrani.accounts import labels, notifications
from nigrani.accounts.models import User
from nigrani.accounts.roles import (
    CITIZEN_ROLES,
    PERMISSIONS,
    Role,
    level_label,
    level_plural,
    role_label,
)
from nigrani.core.errors import NigraniError
from nigrani.core.security import Network, client_address, parse_networks
from nigrani.core.templating import is_htmx, render


def unread_badge(user: User | None) -> int:
    """The nav's badge: a staff user's unread notifications, one indexed COUNT in the
    request's own session (an error page's user has none, and shows no badge)."""
    if user is None or Role(user.role) in CITIZEN_ROLES:
        return 0
    session = object_session(user)
    if session is None or not session.is_active:
        return 0
    return notifications.unread_count(session, user.id)


def recent_notices(user: User | None) -> Callable[[int], list[notifications.Notification]]:
    """The user's newest notifications, asked only when a page shows them (a home page)."""

    def recent(limit: int = 5) -> list[notifications.Notification]:
        session = object_session(user) if user is not None else None
        if user is None or session is None or not session.is_active:
            return []
        return notifications.recent_for(session, user, limit)

    return recent


def page(
    request: Request,
    template: str,
    *,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the shell's context filled in."""
    permissions = sorted(PERMISSIONS[Role(user.role)]) if user else []
    settings = request.app.state.settings
    base = {
        "current_user": user,
        "permissions": permissions,
        "demo_mode": settings.demo,
        "role_label": role_label,
        "level_label": level_label,
        "level_plural": level_plural,
        "audit_action_label": labels.audit_action_label,
        "audit_actor_label": labels.audit_actor_label,
        "unread_notifications": unread_badge(user),
        "recent_notifications": recent_notices(user),
        "notification_text": notifications.text,
    }
    return render(request, template, {**base, **context}, status_code=status_code)


def form_error(error: NigraniError | None, *, key: str = "error") -> dict[str, Any]:
    """What a form's page shows of a refusal, for `page(..., **form_error(exc))`: the
    reason (under `key`), the field it is about and the refusal's status; with none, no
    reason and 200. The caller rolls back first, so nothing of the request is kept."""
    if error is None:
        return {key: None, "error_field": None, "status_code": 200}
    return {key: error.message, "error_field": error.field, "status_code": error.status}


def htmx_refusal(
    request: Request,
    session: Session,
    error: NigraniError,
    template: str,
    *,
    user: User | None,
    key: str = "error",
    **context: Any,
) -> HTMLResponse:
    """An htmx form's refusal shown in its partial (the reason under `key`), the request's
    transaction rolled back; a full-page post leaves the error to the error handlers."""
    if not is_htmx(request):
        raise error
    session.rollback()
    return page(request, template, user=user, **(context | {key: error.message}))


def safe_next(value: str | None, default: str) -> str:
    """A post-login target on this site only (no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def see_other(url: str) -> RedirectResponse:
    """Redirect after a successful form post."""
    return RedirectResponse(url, status_code=303)


@cache
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def client_of(request: Request) -> str:
    """The client's address: the socket peer, or what a trusted proxy says it forwarded."""
    peer = request.client.host if request.client else ""
    trusted = _networks(request.app.state.settings.trusted_proxies)
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted)[:45]
