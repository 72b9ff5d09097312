"""JSON API of the control-room map: sites in view and jurisdiction boundaries, as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from nigrani.accounts.deps import StaffScope, require_scope
from nigrani.accounts.roles import Level
from nigrani.cameras import mapdata
from nigrani.core.deps import DbSession
from nigrani.core.i18n import current_language

router = APIRouter(prefix="/api/v1", tags=["map"])

GEOJSON = "application/geo+json"
_GEOJSON_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}}, "description": "A GeoJSON FeatureCollection"}
}


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def get_bbox(
    bbox: Annotated[str, Query(max_length=120, description="west,south,east,north (degrees)")],
) -> mapdata.BBox:
    """The view rectangle of the request (422 when it is not one)."""
    return mapdata.parse_bbox(bbox)


ViewBox = Annotated[mapdata.BBox, Depends(get_bbox)]


@router.get("/cameras/map", response_class=GeoJSONResponse, responses=_GEOJSON_DOC)
def camera_map(
    db: DbSession,
    scope: StaffScope,
    bbox: ViewBox,
    zoom: Annotated[int, Query(ge=1, le=20)],
    category: Annotated[str | None, Query(max_length=40)] = None,
    is_public: bool | None = None,
    linked: bool | None = None,
    station: Annotated[str | None, Query(max_length=40)] = None,
) -> GeoJSONResponse:
    """Sites in view: points, or grid clusters {cluster, count, cameras, linked} when many."""
    query = mapdata.MapQuery(
        bbox=bbox,
        zoom=zoom,
        category=category or None,
        is_public=is_public,
        linked=linked,
        station=station or None,
    )
    data = mapdata.map_data(db, scope_path=scope.node.path, query=query)
    return GeoJSONResponse(mapdata.to_geojson(data))


@router.get(
    "/jurisdiction/boundaries.geojson",
    response_class=GeoJSONResponse,
    responses=_GEOJSON_DOC,
    dependencies=[Depends(require_scope("jurisdiction:read"))],
)
def boundaries(
    db: DbSession,
    scope: StaffScope,
    level: Literal["station", "circle", "zone"] = "station",
) -> GeoJSONResponse:
    """Boundaries of one level inside the caller's jurisdiction, simplified for display."""
    collection = mapdata.boundaries(
        db, scope_path=scope.node.path, level=Level(level), lang=current_language.get()
    )
    return GeoJSONResponse(collection)
