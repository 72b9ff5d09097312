"""JSON API of the registry: sites in the caller's jurisdiction (owners always masked)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import StaffScope, require_scope
from nigrani.cameras import service
from nigrani.cameras.deps import EditableSite, Registrar, StaffSite
from nigrani.cameras.schemas import SiteCreate, SitePage, SiteRead, SiteUpdate
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.params import PageNo

# Systems reach the registry with integration tokens, as they do its import and export.
router = APIRouter(
    prefix="/api/v1/cameras",
    tags=["cameras"],
    dependencies=[Depends(require_scope("integration"))],
)


def _station_code(db: DbSession, site_station_id: int | None) -> str | None:
    from nigrani.accounts.models import JurisdictionNode

    node = db.get(JurisdictionNode, site_station_id) if site_station_id else None
    return node.code if node else None


@router.get("/sites")
def list_sites(
    db: DbSession,
    scope: StaffScope,
    category: str | None = None,
    is_public: bool | None = None,
    linked: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SitePage:
    """Sites in the caller's jurisdiction, filtered."""
    f = service.SiteFilter(category=category, is_public=is_public, linked=linked, q=q)
    sites, total = service.list_sites(
        db, scope_path=scope.node.path, f=f, page=page, per_page=per_page
    )
    items = [service.site_read(s, _station_code(db, s.station_id)) for s in sites]
    return SitePage(items=items, total=total, page=page, per_page=per_page)


@router.post("/sites", status_code=201)
def create_site(
    body: SiteCreate, db: DbSession, settings: SettingsDep, scope: Registrar
) -> SiteRead:
    """Register a site (registry staff); the point decides the station."""
    site = service.create_site(
        db,
        settings=settings,
        data=body,
        actor=accounts_service.actor_of(scope.user),
        scope_path=scope.node.path,
    )
    return service.site_read(site, _station_code(db, site.station_id))


@router.get("/sites/{site_id}")
def get_site(site: StaffSite, db: DbSession) -> SiteRead:
    """One site (owner masked)."""
    return service.site_read(site, _station_code(db, site.station_id))


@router.patch("/sites/{site_id}")
def update_site(site: EditableSite, body: SiteUpdate, db: DbSession, scope: Registrar) -> SiteRead:
    """Change a site's details (registry staff)."""
    service.update_site(db, site=site, data=body, actor=accounts_service.actor_of(scope.user))
    return service.site_read(site, _station_code(db, site.station_id))
