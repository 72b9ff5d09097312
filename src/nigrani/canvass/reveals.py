"""Showing a camera owner's contact to an officer: for an incident, with a reason, rationed."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import throttle
from nigrani.accounts.models import User
from nigrani.cameras import owners
from nigrani.cameras.models import Site
from nigrani.canvass.models import Incident, OwnerReveal
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.i18n import _

WINDOW = timedelta(hours=1)
# The audit row owners.reveal writes for each look; the officer's rows of it are the ration.
REVEALED = "site.owner_revealed"


def _refuse_unlisted(site: Site) -> None:
    # A paused or withdrawn listing is the owner saying "do not contact me": no reveal.
    if site.status == "paused":
        raise Conflict(
            _(
                "The owner has paused this listing, so their contact cannot be shown. "
                "Choose another camera nearby."
            )
        )
    if site.status != "active":
        raise Conflict(_("The owner has withdrawn this listing; there is no contact to show."))


def _refusal(count: int, wait_s: int) -> str:
    return _(
        "You have seen {n} owners' contacts in the last hour, the most allowed. "
        "Try again in {minutes} minutes, or ask your supervisor."
    ).format(n=count, minutes=math.ceil(wait_s / 60))


RATION = throttle.Ration(REVEALED, WINDOW, _refusal)


def reveal_owner(
    session: Session,
    *,
    settings: Settings,
    incident: Incident,
    site: Site,
    user: User,
    reason: str,
    now: datetime | None = None,
) -> owners.OwnerContact:
    """The owner's contact for this incident; audited (the owner sees it) and rationed."""
    now = now or utcnow()
    _refuse_unlisted(site)
    if not (site.owner_phone_enc or site.owner_name_enc):
        raise ValidationFailed(_("This site has no owner's contact on record."), field="site")
    throttle.check_ration(session, RATION, user=user, limit=settings.reveals_per_hour, now=now)
    contact = owners.reveal(
        session,
        site=site,
        settings=settings,
        actor=audit.Actor(user.id, user.username or f"user-{user.id}"),
        reference=incident.number,
        reason=reason,
    )
    session.add(
        OwnerReveal(
            incident_id=incident.id,
            site_id=site.id,
            officer_id=user.id,
            reason=reason.strip(),
            at=now,
        )
    )
    session.flush()
    return contact


def reveals_for(session: Session, *, incident: Incident) -> list[OwnerReveal]:
    """Every reveal made for an incident, oldest first."""
    rows = session.scalars(
        select(OwnerReveal).where(OwnerReveal.incident_id == incident.id).order_by(OwnerReveal.id)
    ).all()
    return list(rows)
