"""Who may watch station CCTV, and load-or-404 for a camera in the caller's jurisdiction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from nigrani.accounts.deps import Scope, require_staff
from nigrani.accounts.models import User
from nigrani.accounts.roles import Permission, Role, has_permission
from nigrani.core.deps import DbSession
from nigrani.core.errors import PermissionDenied, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.stations import service
from nigrani.stations.models import StationCamera


def watcher_scope(scope: Scope) -> Scope:
    """The scope, if its role may see station cameras and their footage (403 otherwise)."""
    if not has_permission(Role(scope.user.role), Permission.STATION_VIDEO):
        raise PermissionDenied(_("Your role does not allow station CCTV."))
    return scope


# A staff member whose role may see station cameras and their footage (403 otherwise).
get_watcher = require_staff(
    Permission.STATION_VIDEO, lambda: _("Your role does not allow station CCTV.")
)


Watcher = Annotated[Scope, Depends(get_watcher)]

# A watcher who may also add and change cameras (403 otherwise).
get_camera_keeper = require_staff(
    Permission.MANAGE_STATION_CAMERAS,
    lambda: _("Your role does not allow setting up station cameras."),
)
CameraKeeper = Annotated[Scope, Depends(get_camera_keeper)]


def may_set_up(user: User) -> bool:
    """Whether the user's role may add and change station cameras (for what pages offer)."""
    return has_permission(Role(user.role), Permission.MANAGE_STATION_CAMERAS)


def get_current_station_camera(camera_id: PathId, scope: Watcher, db: DbSession) -> StationCamera:
    """The camera in the path, if it lies under the caller's node (404 as if absent)."""
    return service.get_camera(db, camera_id=camera_id, scope_path=scope.node.path)


CurrentStationCamera = Annotated[StationCamera, Depends(get_current_station_camera)]


def get_station_choice(station: Annotated[str, Query(max_length=12)] = "") -> int | None:
    """The station picked in a select: its id, or None for the empty "all in my charge"."""
    if not station:
        return None
    if not station.isdigit():
        raise ValidationFailed(_("Choose a police station from the list."))
    return int(station)


StationChoice = Annotated[int | None, Depends(get_station_choice)]
