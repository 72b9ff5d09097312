"""Who may work complaints, and load-or-404 for a complaint in the caller's charge."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nigrani.accounts.deps import Scope, require_staff
from nigrani.accounts.roles import Permission
from nigrani.core import audit
from nigrani.core.deps import DbSession
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.core.params import PathId
from nigrani.grievances import service
from nigrani.grievances.models import Complaint

# A staff member whose role works complaints (403 otherwise).
get_grievance_officer = require_staff(
    Permission.GRIEVANCES, lambda: _("Your role does not allow work on complaints.")
)


GrievanceOfficer = Annotated[Scope, Depends(get_grievance_officer)]


def get_scoped_complaint(complaint_id: PathId, scope: GrievanceOfficer, db: DbSession) -> Complaint:
    """A complaint in the caller's charge; outside it, as if it did not exist."""
    complaint = service.get_complaint(db, complaint_id)
    if not scope.covers(complaint.node_path):
        raise NotFound(_("No complaint with this number"))
    return complaint


ScopedComplaint = Annotated[Complaint, Depends(get_scoped_complaint)]


def actor_of(scope: Scope) -> audit.Actor:
    """The audit and timeline label of an officer."""
    user = scope.user
    return audit.Actor(user.id, user.full_name or user.username or f"user-{user.id}")
