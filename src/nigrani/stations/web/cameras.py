"""Station cameras admin: the list per station, the add/edit form, zones on a snapshot."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts.pages import form_error, page, see_other
from nigrani.accounts.service import actor_of
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.stations import forms, service, views
from nigrani.stations.deps import (
    CameraKeeper,
    CurrentStationCamera,
    StationChoice,
    Watcher,
    may_set_up,
)
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraUpdate

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=500)]


@router.get("/stations/cameras")
def cameras_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Watcher,
    station: StationChoice,
    stopped: bool = False,
) -> HTMLResponse:
    """The stations in the caller's charge with their camera counts, or one station's cameras;
    `stopped`: only cameras switched on that recorded nothing in the working window."""
    stations = views.stations_under(db, scope.node.path)
    if station is None and len(stations) == 1:
        station = stations[0].id
    since = utcnow() - timedelta(minutes=settings.compliance_working_minutes)
    cameras = service.list_cameras(
        db, scope_path=scope.node.path, station_id=station, stopped_since=since if stopped else None
    )
    groups = views.by_station(stations, cameras)
    # With `stopped`, a station whose cameras all record drops out (the page says so).
    shown = [g for g in groups if (g[0].id == station or not station) and (g[1] or not stopped)]
    shown = shown if station or stopped else []
    return page(
        request,
        "stations/cameras.html",
        user=scope.user,
        groups=shown,
        stopped=stopped,
        summary=[] if station or stopped else views.camera_summary(groups, settings, utcnow()),
        stations=stations,
        station=station,
        may_set_up=may_set_up(scope.user),
        **views.HELPERS,
    )


def _form(
    request: Request,
    db: DbSession,
    scope: Watcher,
    *,
    values: dict[str, Any],
    camera: StationCamera | None = None,
    error: NigraniError | None = None,
) -> HTMLResponse:
    return page(
        request,
        "stations/camera_form.html",
        user=scope.user,
        camera=camera,
        values=values,
        may_set_up=may_set_up(scope.user),
        stations=views.stations_under(db, scope.node.path),
        roles=views.role_choices(),
        zones=views.zones_of(camera) if camera else [],
        **form_error(error),
    )


@router.get("/stations/cameras/new")
def new_camera_page(
    request: Request,
    db: DbSession,
    scope: CameraKeeper,
    station: StationChoice,
) -> HTMLResponse:
    """The form for a new camera, for a station picked on the list."""
    values = {"station_id": station, "role": "reception", "has_audio": True, "night_vision": True}
    return _form(request, db, scope, values={**values, "retention_days": 548})


@router.post("/stations/cameras", response_model=None)
def create_camera(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: CameraKeeper,
    station_id: Field = "",
    name: Field = "",
    role: Field = "",
    main_url: Field = "",
    sub_url: Field = "",
    has_audio: Field = "",
    night_vision: Field = "",
    retention_days: Field = "",
    make: Field = "",
    model: Field = "",
    serial: Field = "",
    mac: Field = "",
) -> Response:
    """Add a camera; a bad form comes back with the reason and nothing stored."""
    values = {"station_id": station_id, "name": name, "role": role, "main_url": main_url}
    values.update(sub_url=sub_url, has_audio=has_audio, night_vision=night_vision)
    values.update(retention_days=retention_days, make=make, model=model, serial=serial, mac=mac)
    try:
        camera = service.create_camera(
            db,
            settings=settings,
            actor=actor_of(scope.user),
            scope_path=scope.node.path,
            data=forms.camera_create(values),
        )
    except NigraniError as exc:
        db.rollback()
        shown = {k: v for k, v in values.items() if k not in ("main_url", "sub_url")}
        flags = {k: values[k] == "true" for k in ("has_audio", "night_vision")}
        return _form(request, db, scope, values={**shown, **flags}, error=exc)
    return see_other(f"/stations/cameras/{camera.id}?saved=1")


@router.get("/stations/cameras/{camera_id}")
def camera_page(
    request: Request, db: DbSession, scope: Watcher, camera: CurrentStationCamera
) -> HTMLResponse:
    """The edit form of a camera, with its zones drawn on a snapshot."""
    return _form(request, db, scope, values=views.camera_values(camera), camera=camera)


@router.post("/stations/cameras/{camera_id}", response_model=None)
def update_camera(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: CameraKeeper,
    camera: CurrentStationCamera,
    name: Field = "",
    role: Field = "",
    main_url: Field = "",
    sub_url: Field = "",
    clear_sub: Field = "",
    has_audio: Field = "",
    night_vision: Field = "",
    enabled: Field = "",
    retention_days: Field = "",
    make: Field = "",
    model: Field = "",
    serial: Field = "",
    mac: Field = "",
) -> Response:
    """Change a camera; empty URL fields keep the stored URLs."""
    values = {
        "name": name,
        "role": role,
        "main_url": main_url,
        "sub_url": sub_url,
        "clear_sub": clear_sub,
    }
    values.update(has_audio=has_audio, night_vision=night_vision, enabled=enabled)
    values.update(retention_days=retention_days, make=make, model=model, serial=serial, mac=mac)
    try:
        data = forms.camera_update(values)
        service.update_camera(
            db, settings=settings, actor=actor_of(scope.user), camera=camera, data=data
        )
    except NigraniError as exc:
        db.rollback()
        shown = {k: v for k, v in values.items() if k not in ("main_url", "sub_url")}
        flags = {k: values[k] == "true" for k in forms.FLAGS}
        return _form(request, db, scope, values={**shown, **flags}, camera=camera, error=exc)
    return see_other(f"/stations/cameras/{camera.id}?saved=1")


@router.post("/stations/cameras/{camera_id}/zones", response_model=None)
def save_zones(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: CameraKeeper,
    camera: CurrentStationCamera,
    zones_json: Annotated[str, Form(max_length=20_000)] = "[]",
) -> Response:
    """Store the zones drawn on the snapshot."""
    try:
        data = StationCameraUpdate(zones=forms.zones_from_json(zones_json))
        service.update_camera(
            db, settings=settings, actor=actor_of(scope.user), camera=camera, data=data
        )
    except NigraniError as exc:
        db.rollback()
        return _form(
            request, db, scope, values=views.camera_values(camera), camera=camera, error=exc
        )
    return see_other(f"/stations/cameras/{camera.id}?saved=1#zones")


@router.get("/stations/cameras/{camera_id}/snapshot.jpg")
def camera_snapshot(
    db: DbSession, settings: SettingsDep, scope: Watcher, camera: CurrentStationCamera
) -> Response:
    """One picture from the newest recording (decoded here); audited as a view of footage."""
    body = service.camera_snapshot(db, settings=settings, actor=actor_of(scope.user), camera=camera)
    return Response(body, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
