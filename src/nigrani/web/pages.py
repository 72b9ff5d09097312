"""Shell pages that belong to no feature: the start page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nigrani.accounts.deps import OptionalUser
from nigrani.accounts.pages import page
from nigrani.accounts.roles import CITIZEN_ROLES, Role

router = APIRouter(include_in_schema=False)


@router.get("/", response_model=None)
def home(request: Request, user: OptionalUser) -> HTMLResponse | Response:
    """Start page; signed-in users go straight to their own home."""
    if user is not None:
        target = "/citizen" if Role(user.role) in CITIZEN_ROLES else "/dashboard"
        return RedirectResponse(target, status_code=303)
    return page(request, "home.html", user=None)
