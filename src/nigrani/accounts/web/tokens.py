"""Administrator pages for API keys: the list, issuing (the secret shown once), revoking."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import service
from nigrani.accounts.deps import KeyAdmin, ManagedToken
from nigrani.accounts.pages import page, see_other
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession
from nigrani.core.errors import NigraniError
from nigrani.core.i18n import _
from nigrani.core.params import QueryId

router = APIRouter(include_in_schema=False)
# The secret is on this page once: no browser or proxy may keep a copy.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
EXPIRY_DAYS = (30, 90, 365)


def scope_choices() -> list[tuple[str, str]]:
    """Each scope a key may carry, with what it lets a system do, civic apps first."""
    return [
        ("open311", _("Open311: civic apps file and follow complaints")),
        ("jurisdiction:read", _("Read the jurisdiction tree and locate a point")),
        ("integration", _("Camera registry: sites, import and export")),
        ("canvass", _("Incidents and the camera canvass")),
        ("worker", _("Station workers")),
        ("admin", _("Administration: staff accounts, boundaries, keys")),
    ]


@router.get("/admin/tokens")
def tokens_page(
    request: Request,
    db: DbSession,
    admin: KeyAdmin,
    error: str | None = None,
    revoked: QueryId = None,
) -> HTMLResponse:
    """Every API key (never its secret), and the form to issue one."""
    return page(
        request,
        "accounts/admin_tokens.html",
        user=admin,
        tokens=service.list_tokens(db),
        scopes=scope_choices(),
        expiry_days=EXPIRY_DAYS,
        now=utcnow(),
        error=error,
        revoked=revoked,
    )


@router.post("/admin/tokens", response_model=None)
def tokens_issue(
    request: Request,
    db: DbSession,
    admin: KeyAdmin,
    name: Annotated[str, Form(max_length=120)],
    scope: Annotated[list[str] | None, Form(max_length=10)] = None,
    expires_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> Response:
    """Issue a key acting as the administrator; the page shows its secret this once."""
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    try:
        issued = service.issue_token(
            db,
            user=admin,
            name=name,
            scopes=scope or [],
            expires_at=expires,
            actor=service.actor_of(admin),
        )
    except NigraniError as exc:
        db.rollback()
        response = tokens_page(request, db, admin, error=exc.message)
        response.status_code = exc.status
        return response
    response = page(
        request, "accounts/token_issued.html", user=admin, token=issued.token, secret=issued.secret
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/admin/tokens/{token_id}/revoke")
def revoke_page(
    request: Request, admin: KeyAdmin, token: ManagedToken, error: str | None = None
) -> HTMLResponse:
    """Ask for a reason before a key stops working."""
    return page(request, "accounts/token_revoke.html", user=admin, token=token, error=error)


@router.post("/admin/tokens/{token_id}/revoke", response_model=None)
def revoke(
    request: Request,
    db: DbSession,
    admin: KeyAdmin,
    token: ManagedToken,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Revoke a key at once, with the reason in the audit log."""
    try:
        service.revoke_token(db, token_id=token.id, reason=reason, actor=service.actor_of(admin))
    except NigraniError as exc:
        db.rollback()
        response = revoke_page(request, admin, token, error=exc.message)
        response.status_code = exc.status
        return response
    return see_other(f"/admin/tokens?revoked={token.id}")
