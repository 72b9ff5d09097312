"""Load-or-404 and jurisdiction checks for camera sites."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nigrani.accounts.deps import Citizen, StaffScope
from nigrani.cameras import service
from nigrani.cameras.models import Site
from nigrani.core.deps import DbSession
from nigrani.core.errors import NotFound, PermissionDenied
from nigrani.core.i18n import _


def get_staff_site(site_id: int, scope: StaffScope, db: DbSession) -> Site:
    """A site in the caller's jurisdiction (403 outside it)."""
    site = service.get_site(db, site_id)
    if not site.node_path.startswith(scope.node.path):
        raise PermissionDenied(_("This site is outside your charge."))
    return site


def get_own_site(site_id: int, user: Citizen, db: DbSession) -> Site:
    """A site the signed-in citizen owns (404 for anyone else's, so ids reveal nothing)."""
    site = service.get_site(db, site_id)
    if site.owner_user_id != user.id:
        raise NotFound(_("No such camera site"))
    return site


StaffSite = Annotated[Site, Depends(get_staff_site)]
OwnSite = Annotated[Site, Depends(get_own_site)]
