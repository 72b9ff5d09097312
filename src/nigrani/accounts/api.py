"""JSON API for accounts and the jurisdiction tree (cookie session or bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from nigrani.accounts import boundaries, jurisdiction, service
from nigrani.accounts.deps import (
    Admin,
    CurrentUser,
    KeyAdmin,
    StaffScope,
    accept_any_token,
    require_scope,
)
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Level
from nigrani.accounts.schemas import (
    BoundaryImportRead,
    LocateRead,
    NodePage,
    NodeRead,
    TokenCreate,
    TokenRead,
    UserCreate,
    UserRead,
)
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import PermissionDenied
from nigrani.core.i18n import _

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def node_read(node: JurisdictionNode) -> NodeRead:
    """The public view of a node."""
    return NodeRead(
        code=node.code,
        level=node.level,
        name_en=node.name_en,
        name_hi=node.name_hi,
        parent_code=node.parent.code if node.parent else None,
        has_boundary=bool(node.boundary),
    )


def user_read(user: User) -> UserRead:
    """The public view of a user; a citizen's number only masked."""
    read = UserRead.model_validate(user)
    read.node_code = user.node.code if user.node else None
    return read


@router.get("/me", dependencies=[Depends(accept_any_token)])
def me(user: CurrentUser) -> UserRead:
    """Who the caller is."""
    return user_read(user)


@router.get("/jurisdiction/nodes", dependencies=[Depends(require_scope("jurisdiction:read"))])
def nodes(
    db: DbSession, scope: StaffScope, level: Annotated[Level | None, Query()] = None
) -> NodePage:
    """The nodes in the caller's jurisdiction, optionally of one level."""
    items = [n for n in jurisdiction.subtree(db, scope.node) if level is None or n.level == level]
    return NodePage(items=[node_read(n) for n in items], total=len(items))


@router.get("/jurisdiction/locate", dependencies=[Depends(require_scope("jurisdiction:read"))])
def locate(
    db: DbSession,
    _scope: StaffScope,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> LocateRead:
    """The police station whose area covers a point (422 outside the commissionerate)."""
    station = jurisdiction.station_for_point(db, lat=lat, lon=lon)
    chain = jurisdiction.ancestors(db, station) if station else []
    return LocateRead(
        lat=lat,
        lon=lon,
        station=node_read(station) if station else None,
        chain=[node_read(n) for n in chain],
    )


@router.post("/users", status_code=201, dependencies=[Depends(require_scope("admin"))])
def create_user(body: UserCreate, db: DbSession, admin: Admin, scope: StaffScope) -> UserRead:
    """Create a staff account in the administrator's jurisdiction."""
    if not scope.contains(jurisdiction.get_by_code(db, body.node_code)):
        raise PermissionDenied(_("That jurisdiction is outside your charge"))
    user = service.create_staff(
        db,
        username=body.username,
        full_name=body.full_name,
        role=service.parse_role(body.role),
        node_code=body.node_code,
        password=body.password,
        actor=service.actor_of(admin),
    )
    return user_read(user)


@router.post("/jurisdiction/boundaries", dependencies=[Depends(require_scope("admin"))])
async def import_boundaries(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    admin: Admin,
    level: Annotated[Level | None, Query()] = None,
) -> BoundaryImportRead:
    """Create or update nodes from a GeoJSON FeatureCollection (all or nothing)."""
    data = await request.body()
    features = boundaries.parse(data, default_level=level, max_bytes=settings.max_geojson_bytes)
    result = boundaries.apply(db, features, actor=service.actor_of(admin))
    return BoundaryImportRead(created=result.created, updated=result.updated)


@router.post("/tokens", status_code=201, dependencies=[Depends(require_scope("admin"))])
def issue_token(body: TokenCreate, db: DbSession, admin: KeyAdmin) -> TokenRead:
    """Issue an API token for a worker or integration; the secret is shown once."""
    issued = service.issue_token(
        db, user=admin, name=body.name, scopes=body.scopes, actor=service.actor_of(admin)
    )
    return TokenRead(
        id=issued.token.id,
        name=issued.token.name,
        scopes=issued.token.scopes.split(),
        token=issued.secret,
    )
