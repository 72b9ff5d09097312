"""Who may change the registry, and load-or-404 with jurisdiction checks for camera sites."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nigrani.accounts.deps import Citizen, Scope, StaffScope, require_staff
from nigrani.accounts.roles import Permission
from nigrani.cameras import service
from nigrani.cameras.models import Site
from nigrani.core.deps import DbSession
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.core.params import PathId


def _not_a_registrar() -> str:
    return _("Your role may look at the camera registry but not change it.")


# Staff who add and edit sites inside their charge (403 for every other role).
get_registrar = require_staff(Permission.REGISTER_CAMERAS, _not_a_registrar)
# Staff who import sites in bulk from CSV/XLSX.
get_importer = require_staff(Permission.IMPORT_CAMERAS, _not_a_registrar)
Registrar = Annotated[Scope, Depends(get_registrar)]
Importer = Annotated[Scope, Depends(get_importer)]


def _in_scope(site_id: int, scope: Scope, db: DbSession) -> Site:
    site = service.get_site(db, site_id)
    if not scope.covers(site.node_path):
        # The same answer as for no site at all: a 403 would tell which ids exist elsewhere.
        raise NotFound(_("No such camera site"))
    return site


def get_staff_site(site_id: PathId, scope: StaffScope, db: DbSession) -> Site:
    """A site in the caller's jurisdiction; outside it, as if it did not exist."""
    return _in_scope(site_id, scope, db)


def get_editable_site(site_id: PathId, scope: Registrar, db: DbSession) -> Site:
    """A site the caller may change: their role edits the registry, the site is in charge."""
    return _in_scope(site_id, scope, db)


def get_own_site(site_id: PathId, user: Citizen, db: DbSession) -> Site:
    """A site the signed-in citizen owns (404 for anyone else's, so ids reveal nothing)."""
    site = service.get_site(db, site_id)
    if site.owner_user_id != user.id:
        raise NotFound(_("No such camera site"))
    return site


StaffSite = Annotated[Site, Depends(get_staff_site)]
EditableSite = Annotated[Site, Depends(get_editable_site)]
OwnSite = Annotated[Site, Depends(get_own_site)]
