"""Shell pages that belong to no feature: the start page, the site's icon."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from nigrani.accounts.deps import OptionalUser
from nigrani.accounts.pages import page
from nigrani.accounts.roles import CITIZEN_ROLES, Role

router = APIRouter(include_in_schema=False)
ICON = Path(__file__).resolve().parent / "static" / "favicon.ico"


@router.get("/", response_model=None)
def home(request: Request, user: OptionalUser) -> HTMLResponse | Response:
    """Start page; signed-in users go straight to their own home."""
    if user is not None:
        target = "/citizen" if Role(user.role) in CITIZEN_ROLES else "/dashboard"
        return RedirectResponse(target, status_code=303)
    return page(request, "home.html", user=None)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The icon browsers ask for at this address on every page (pages also link the SVG)."""
    return FileResponse(
        ICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )
