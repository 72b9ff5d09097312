"""What an owner may see of the audit log about their listing: when, what, which office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.accounts.roles import CITIZEN_ROLES, Role
from nigrani.cameras.models import Site
from nigrani.core import audit
from nigrani.core.i18n import _, current_language


def _action_label(action: str) -> str:
    labels = {
        "site.register": _("You listed your cameras"),
        "site.create": _("The listing was created"),
        "site.update": _("The listing was changed"),
        "site.pause": _("The listing was paused"),
        "site.resume": _("The listing was resumed"),
        "site.owner_revealed": _("Police viewed your contact details for an investigation"),
        "site.footage_requested": _("Police asked you for footage"),
        "site.owner_sms": _("Your number was used to text you that a camera seems offline"),
        "site.health_sms_on": _("SMS when a camera seems offline: turned on"),
        "site.health_sms_off": _("SMS when a camera seems offline: turned off"),
    }
    return labels.get(action, action)


@dataclass(frozen=True, slots=True)
class AccessRow:
    at: datetime
    what: str
    by: str
    reference: str | None


def _who(session: Session, entry: audit.AuditEntry, owner_id: int | None) -> str:
    if entry.actor_id is None:
        return _("System")
    if entry.actor_id == owner_id:
        return _("You")
    user = session.get(User, entry.actor_id)
    if user is None or Role(user.role) in CITIZEN_ROLES:
        return _("Someone else")
    office = user.node.name(current_language.get()) if user.node else ""
    # The office, never the officer: owners see which police unit, not whose account.
    return _("Police — {office}").format(office=office) if office else _("Police")


def for_site(session: Session, *, site: Site) -> list[AccessRow]:
    """Every audited act about the listing, newest first, without officers' details."""
    rows = audit.entries_for(session, object_type="site", object_id=str(site.id))
    return [
        AccessRow(
            at=e.at,
            what=_action_label(e.action),
            by=_who(session, e, site.owner_user_id),
            reference=e.reference,
        )
        for e in rows
    ]
