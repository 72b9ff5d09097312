"""Staff pages of the registry: the list of sites and a site's page (owner always masked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from nigrani.accounts import jurisdiction
from nigrani.accounts.deps import StaffScope
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.cameras import labels, service
from nigrani.cameras.deps import StaffSite
from nigrani.cameras.models import Site
from nigrani.core import audit
from nigrani.core.deps import DbSession
from nigrani.core.params import PageNo
from nigrani.core.templating import is_htmx

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.get("/cameras")
def sites_page(
    request: Request,
    db: DbSession,
    scope: StaffScope,
    category: str | None = None,
    public: str | None = None,
    linked: str | None = None,
    station: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page_no: PageNo = 1,
) -> HTMLResponse:
    """Sites in the caller's jurisdiction with filters; htmx swaps just the table."""
    station_node = jurisdiction.get_by_code(db, station) if station else None
    f = service.SiteFilter(
        category=category or None,
        is_public=_flag(public),
        linked=_flag(linked),
        q=q or None,
        station_path=station_node.path if station_node else None,
    )
    sites, total = service.list_sites(
        db, scope_path=scope.node.path, f=f, page=page_no, per_page=PER_PAGE
    )
    stations = [n for n in jurisdiction.subtree(db, scope.node) if n.level == "station"]
    template = "cameras/partials/site_rows.html" if is_htmx(request) else "cameras/sites.html"
    return page(
        request,
        template,
        user=scope.user,
        sites=sites,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total // PER_PAGE)),
        categories=service.categories(db),
        stations=stations,
        station_names=_station_names(db, sites),
        filters=request.query_params,
        can_import=has_permission(Role(scope.user.role), Permission.IMPORT_CAMERAS),
        labels=labels,
    )


def _station_names(db: DbSession, sites: list[Site]) -> dict[int, JurisdictionNode]:
    ids = {s.station_id for s in sites if s.station_id}
    return {i: n for i in ids if (n := db.get(JurisdictionNode, i)) is not None}


@router.get("/cameras/sites/{site_id}")
def site_page(request: Request, db: DbSession, scope: StaffScope, site: StaffSite) -> HTMLResponse:
    """One site: its cameras and its audit trail; the owner's contact stays masked here."""
    station = db.get(JurisdictionNode, site.station_id) if site.station_id else None
    trail = audit.entries_for(db, object_type="site", object_id=str(site.id), limit=50)
    return page(
        request,
        "cameras/site.html",
        user=scope.user,
        site=site,
        station=station,
        trail=trail,
        labels=labels,
    )
