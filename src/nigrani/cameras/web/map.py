"""The control room's camera map page and a site's side panel (htmx)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from nigrani.accounts.deps import Scope, StaffScope
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page
from nigrani.cameras import mapdata, service
from nigrani.cameras.deps import StaffSite
from nigrani.cameras.models import Site
from nigrani.core.config import Settings
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.i18n import _, current_language
from nigrani.core.templating import is_htmx

router = APIRouter(include_in_schema=False)

FILTERS = ("category", "is_public", "linked", "station")
SITE_ZOOM = 17
FALLBACK_VIEW = mapdata.BBox(68.0, 6.0, 98.0, 37.5)  # India, when nothing else is known


def _labels() -> dict[str, str]:
    """The words map.js shows, in the page's language."""
    return {
        "points": _("{n} sites in view"),
        "clusters": _("{n} sites in view, grouped by area — zoom in to see each site"),
        "cluster": _("{count} sites · {cameras} cameras · {linked} linked"),
        "point": _("{category} · {cameras} cameras · {linked} linked"),
        "offline": _("{n} offline"),
        "loading": _("Loading…"),
        "failed": _("The map data could not be loaded."),
        "cameras": _("Camera sites"),
        "tiles": _("Street map"),
        "station": _("Police stations"),
        "circle": _("Circles"),
        "zone": _("Zones"),
    }


def _tiles(settings: Settings) -> dict[str, str] | None:
    url = settings.map_tiles_url
    if not url:
        return None
    fallback = _("Map tiles: {host}").format(host=urlsplit(url).netloc)
    return {"url": url, "attribution": settings.map_tiles_attribution or fallback}


def _config(db: Session, settings: Settings, scope: Scope, selected: Site | None) -> dict[str, Any]:
    view = mapdata.initial_view(db, scope.node) or FALLBACK_VIEW
    lang = current_language.get()
    return {
        "dataUrl": "/api/v1/cameras/map",
        "boundariesUrl": "/api/v1/jurisdiction/boundaries.geojson",
        "panelUrl": "/cameras/map/site/",
        "tiles": _tiles(settings),
        "bounds": [[view.south, view.west], [view.north, view.east]],
        "focus": [selected.lat, selected.lon, SITE_ZOOM] if selected else None,
        "selected": selected.id if selected else None,
        "levels": ["zone", "circle", "station"],
        "categories": {c.code: c.name(lang) for c in service.categories(db)},
        "labels": _labels(),
    }


def _map_page(
    request: Request, db: Session, settings: Settings, scope: Scope, selected: Site | None
) -> HTMLResponse:
    chosen = {key: request.query_params.get(key, "") for key in FILTERS}
    return page(
        request,
        "cameras/map.html",
        user=scope.user,
        scope_node=scope.node,
        config=_config(db, settings, scope, selected),
        categories=service.categories(db),
        stations=mapdata.stations(db, scope.node),
        chosen=chosen,
        tiles=bool(settings.map_tiles_url),
        **(_panel(db, selected) if selected else {}),
    )


def _panel(db: Session, site: Site) -> dict[str, Any]:
    station = db.get(JurisdictionNode, site.station_id) if site.station_id else None
    return {"site": site, "station": station, "category": site.category}


@router.get("/cameras/map")
def map_page(
    request: Request, db: DbSession, settings: SettingsDep, scope: StaffScope
) -> HTMLResponse:
    """The control-room map of camera sites in the caller's jurisdiction."""
    return _map_page(request, db, settings, scope, None)


@router.get("/cameras/map/site/{site_id}")
def site_panel(
    request: Request, db: DbSession, settings: SettingsDep, scope: StaffScope, site: StaffSite
) -> HTMLResponse:
    """A site's panel for the map (htmx), or the map opened on that site."""
    if is_htmx(request):
        return page(
            request, "cameras/partials/site_panel.html", user=scope.user, **_panel(db, site)
        )
    return _map_page(request, db, settings, scope, site)
