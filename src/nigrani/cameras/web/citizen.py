"""Citizen-Eye: a citizen lists their own cameras, sees who looked, pauses or withdraws."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from nigrani.accounts.deps import Citizen
from nigrani.accounts.pages import page, see_other
from nigrani.cameras import access_log, owners, places, service
from nigrani.cameras.deps import OwnSite
from nigrani.cameras.schemas import CITIZEN_CATEGORIES, FACINGS, CitizenSiteCreate, is_facing
from nigrani.core import audit
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.params import QueryId
from nigrani.core.templating import render

router = APIRouter(include_in_schema=False)
RETENTION_CHOICES = (3, 7, 15, 30, 60, 90)


def _actor(user: Citizen) -> audit.Actor:
    return audit.Actor(user.id, user.phone_masked or "")


def _form(
    request: Request,
    db: DbSession,
    user: Citizen,
    *,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cats = [c for c in service.categories(db) if c.code in CITIZEN_CATEGORIES]
    return page(
        request,
        "cameras/register.html",
        user=user,
        values=values,
        error=error,
        categories=cats,
        retention_choices=RETENTION_CHOICES,
        facings=FACINGS[:-1],
        facing_label=facing_label,
        status_code=status_code,
    )


def facing_label(code: str) -> str:
    """Where cameras point, in words."""
    labels = {
        "road": _("Towards the road"),
        "inside": _("Inside the premises"),
        "N": _("North"),
        "NE": _("North-east"),
        "E": _("East"),
        "SE": _("South-east"),
        "S": _("South"),
        "SW": _("South-west"),
        "W": _("West"),
        "NW": _("North-west"),
    }
    return labels.get(code, code)


@router.get("/citizen/cameras")
def my_cameras(
    request: Request, db: DbSession, user: Citizen, done: QueryId = None
) -> HTMLResponse:
    """The citizen's own listings."""
    return page(
        request, "cameras/my_sites.html", user=user, sites=service.owned_by(db, user), done=done
    )


@router.get("/citizen/cameras/new")
def register_form(request: Request, db: DbSession, user: Citizen) -> HTMLResponse:
    """Step through: place, cameras, notice and consent."""
    return _form(
        request,
        db,
        user,
        values={"retention_days": "30", "camera_count": "1", "category": "residence"},
    )


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err.get("loc") else ""
    labels = {
        "lat": _("Place"),
        "lon": _("Place"),
        "camera_count": _("Number of cameras"),
        "retention_days": _("Days footage is kept"),
        "name": _("Name of the place"),
        "owner_name": _("Your name"),
        "category": _("What kind of place is it?"),
        "facing": _("Which way do they face?"),
    }
    return _("Check this field: {field}").format(field=labels.get(field, field))


@router.post("/citizen/cameras", response_model=None)
async def register(
    request: Request, db: DbSession, settings: SettingsDep, user: Citizen
) -> Response:
    """Save the listing, or show the form again with what to fix."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        data = CitizenSiteCreate(
            name=values.get("name", ""),
            owner_name=values.get("owner_name", ""),
            address=values.get("address", ""),
            lat=values.get("lat") or "nan",
            lon=values.get("lon") or "nan",
            category=values.get("category", "residence"),
            camera_count=values.get("camera_count") or 0,
            facing=values.get("facing", ""),
            retention_days=values.get("retention_days") or -1,
            consent=values.get("consent") == "yes",
            keep_point_on_withdrawal=values.get("keep_point") == "yes",
            health_sms=values.get("health_sms") == "yes",
        )
        site = service.register_own_site(db, settings=settings, user=user, data=data)
    except ValidationError as exc:
        return _form(request, db, user, values=values, error=_first_error(exc), status_code=422)
    except NigraniError as exc:
        db.rollback()
        return _form(request, db, user, values=values, error=exc.message, status_code=exc.status)
    return see_other(f"/citizen/cameras?done={site.id}")


@router.get("/citizen/places")
def place_search(request: Request, settings: SettingsDep, q: str = "") -> HTMLResponse:
    """Localities matching what the citizen typed (htmx list)."""
    found = places.search(q[:60], settings=settings)
    return render(request, "cameras/partials/places.html", {"places": found, "q": q})


@router.get("/citizen/places/check")
def place_check(
    request: Request,
    db: DbSession,
    user: Citizen,  # noqa: ARG001 - signed-in citizens only (the check is the dependency)
    lat: float,
    lon: float,
) -> HTMLResponse:
    """Which police station the chosen point falls in, or why it cannot be used."""
    try:
        station = service.station_at(db, lat=lat, lon=lon)
        return render(request, "cameras/partials/place_ok.html", {"station": station})
    except NigraniError as exc:
        return render(request, "cameras/partials/place_bad.html", {"message": exc.message})


@router.get("/citizen/cameras/{site_id}")
def my_site(
    request: Request, db: DbSession, settings: SettingsDep, user: Citizen, site: OwnSite
) -> HTMLResponse:
    """One listing: its details (the owner's own name in clear: it is theirs), who accessed
    it and when, and the controls."""
    return page(
        request,
        "cameras/my_site.html",
        user=user,
        site=site,
        owner_name=owners.name_for_owner(site, settings=settings),
        log=access_log.for_site(db, site=site),
        facings=FACINGS[:-1],
        facing_label=facing_label,
    )


@router.post("/citizen/cameras/{site_id}/edit")
def edit_site(
    db: DbSession,
    user: Citizen,
    site: OwnSite,
    camera_count: Annotated[int, Form(ge=1, le=100)],
    retention_days: Annotated[int, Form(ge=0, le=3650)],
    facing: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Change the number of cameras, how long footage is kept, or where they face."""
    from nigrani.cameras.schemas import SiteUpdate

    if not is_facing(facing):
        raise ValidationFailed(
            _("Choose which way the cameras face from the list."), field="facing"
        )
    data = SiteUpdate(camera_count=camera_count, retention_days=retention_days, facing=facing)
    service.update_site(db, site=site, data=data, actor=_actor(user))
    return see_other(f"/citizen/cameras/{site.id}")


@router.post("/citizen/cameras/{site_id}/health-sms")
def health_sms(
    db: DbSession, user: Citizen, site: OwnSite, on: Annotated[str, Form()] = ""
) -> Response:
    """Turn on or off the SMS when a camera of the listing seems offline."""
    if on not in ("yes", "no"):
        raise ValidationFailed(_("Choose whether to get these SMS."), field="on")
    service.set_health_sms(db, site=site, on=on == "yes", actor=_actor(user))
    return see_other(f"/citizen/cameras/{site.id}")


@router.post("/citizen/cameras/{site_id}/pause")
def pause_site(
    db: DbSession, user: Citizen, site: OwnSite, paused: Annotated[str, Form()] = "yes"
) -> Response:
    """Hide the listing from police searches for now (or show it again)."""
    service.set_paused(db, site=site, paused=paused == "yes", actor=_actor(user))
    return see_other(f"/citizen/cameras/{site.id}")


@router.post("/citizen/cameras/{site_id}/withdraw")
def withdraw_site(db: DbSession, user: Citizen, site: OwnSite) -> Response:
    """Withdraw consent: the personal data is erased at once."""
    service.withdraw(db, site=site, actor=_actor(user))
    return see_other("/citizen/cameras?withdrawn=1")
