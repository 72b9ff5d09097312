"""A camera's extra health signals: the form for its HTTP snapshot URL and ONVIF endpoint
(write-only secrets: the page shows only their masked copies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Scope, StaffScope, require_staff
from nigrani.accounts.models import User
from nigrani.accounts.pages import form_error, page, see_other
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.core import validation
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import NigraniError, NotFound, PermissionDenied
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.health import extras, figures
from nigrani.health.models import HealthTarget
from nigrani.health.schemas import SignalsUpdate

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=1000)]

get_signals_keeper = require_staff(
    Permission.MANAGE_CAMERA_HEALTH,
    lambda: _("Your role does not allow changing camera health."),
)
SignalsKeeper = Annotated[Scope, Depends(get_signals_keeper)]


def stream_permission(target: HealthTarget) -> Permission:
    """Who may set a camera's snapshot and ONVIF secrets: whoever may set its stream URL."""
    if target.station_camera_id is not None:
        return Permission.MANAGE_STATION_CAMERAS
    return Permission.REGISTER_CAMERAS


def may_edit(user: User, target: HealthTarget) -> bool:
    """Whether the user may change this camera's extra signals (for what the page offers)."""
    role = Role(user.role)
    return has_permission(role, Permission.MANAGE_CAMERA_HEALTH) and has_permission(
        role, stream_permission(target)
    )


def _form(
    request: Request, user: User, target: HealthTarget, error: NigraniError | None = None
) -> HTMLResponse:
    return page(
        request,
        "health/signals.html",
        user=user,
        target=target,
        may_edit=may_edit(user, target),
        **form_error(error),
    )


def _update(values: dict[str, str]) -> SignalsUpdate:
    data = {k: v for k, v in values.items() if not k.startswith("clear_")}
    flags = {k: values[k] == "true" for k in ("clear_snapshot", "clear_onvif")}
    try:
        return SignalsUpdate(**data, **flags)
    except ValidationError as exc:
        raise validation.failure(exc) from exc


@router.get("/health/cameras/{target_id}/signals")
def signals_page(
    request: Request, db: DbSession, scope: StaffScope, target_id: PathId
) -> HTMLResponse:
    """The camera's snapshot URL and ONVIF endpoint (masked), with the form to change them."""
    target = figures.get_target(db, target_id=target_id, scope_path=scope.node.path)
    return _form(request, scope.user, target)


@router.get("/health/station-cameras/{camera_id}/signals")
def station_signals(db: DbSession, scope: StaffScope, camera_id: PathId) -> Response:
    """From a station camera's own form to its health signals (once the prober knows it)."""
    found = extras.target_of_station_camera(db, camera_id=camera_id, scope_path=scope.node.path)
    if found is None:
        raise NotFound(_("The prober has not taken up this camera yet: try again in a minute."))
    return see_other(f"/health/cameras/{found.id}/signals")


@router.post("/health/cameras/{target_id}/signals", response_model=None)
def save_signals(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    keeper: SignalsKeeper,
    target_id: PathId,
    now: Now,
    snapshot_url: Field = "",
    clear_snapshot: Field = "",
    onvif_host: Field = "",
    onvif_port: Field = "",
    onvif_user: Field = "",
    onvif_password: Field = "",
    clear_onvif: Field = "",
) -> Response:
    """Set or clear the camera's snapshot URL and ONVIF endpoint (audited); a bad form
    comes back with the reason and nothing stored."""
    target = figures.get_target(db, target_id=target_id, scope_path=keeper.node.path)
    if not may_edit(keeper.user, target):
        raise PermissionDenied(_("Your role does not allow changing this camera's addresses."))
    values = {"snapshot_url": snapshot_url, "clear_snapshot": clear_snapshot}
    values |= {"onvif_host": onvif_host, "onvif_port": onvif_port, "onvif_user": onvif_user}
    values |= {"onvif_password": onvif_password, "clear_onvif": clear_onvif}
    try:
        extras.update_signals(
            db, keys=settings.encryption_key, actor=accounts_service.actor_of(keeper.user),
            target=target, data=_update(values), now=now,
        )  # fmt: skip
    except NigraniError as exc:
        db.rollback()
        return _form(request, keeper.user, target, error=exc)
    return see_other(f"/health/cameras/{target.id}?signals_saved=1")
