"""The staff home page, /dashboard: what needs the caller's attention now, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nigrani.accounts.deps import StaffScope
from nigrani.accounts.pages import page
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.home import charts, service

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(
    request: Request, db: DbSession, settings: SettingsDep, scope: StaffScope, now: Now
) -> HTMLResponse:
    """A staff user's home: the figures of their role, each a link to its list."""
    home = service.home_for(db, scope=scope, settings=settings, now=now)
    return page(
        request,
        "home/home.html",
        user=scope.user,
        home=home,
        trend=charts.trend(home.trend) if home.trend else None,
        scores=charts.scores(home.areas),
    )
