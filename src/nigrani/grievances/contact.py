"""Showing a complainant's number to the station, to call them back: with a reason, rationed.

The number is stored encrypted and shown masked everywhere; an officer who works the
complaint may see it in clear once they say why. Each showing is an audit row (the
reason kept with it), and those rows are also the ration: an officer sees at most
`complainant_reveals_per_day` numbers in any 24 hours, counted under a lock on the
officer's own row (accounts.throttle.check_ration), as an owner's contact is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nigrani.accounts import throttle
from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher
from nigrani.grievances.models import Complaint

WINDOW = timedelta(days=1)
ACTION = "complaint.complainant_revealed"
MIN_REASON = 10


@dataclass(frozen=True, slots=True)
class Complainant:
    """The complainant's name and mobile in clear (either may be empty)."""

    name: str
    mobile: str


def _refusal(count: int, wait_s: int) -> str:
    return _(
        "You have seen {n} complainants' numbers in the last 24 hours, the most "
        "allowed. Try again in {hours} hours, or ask your supervisor."
    ).format(n=count, hours=math.ceil(wait_s / 3600))


RATION = throttle.Ration(ACTION, WINDOW, _refusal, min_wait_s=60)


def reveal_complainant(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    user: User,
    reason: str,
    now: datetime | None = None,
) -> Complainant:
    """The complainant's name and number in clear, for a reason; audited and rationed."""
    now = now or utcnow()
    if len(reason.strip()) < MIN_REASON:
        raise ValidationFailed(
            _("Say why you need the number, in at least 10 characters."), field="reason"
        )
    if not complaint.phone_enc:
        raise ValidationFailed(
            _("This complaint came without a mobile number; there is none to show."),
            field="reason",
        )
    throttle.check_ration(
        session, RATION, user=user, limit=settings.complainant_reveals_per_day, now=now
    )
    cipher = FieldCipher(settings.encryption_key)
    shown = Complainant(
        name=cipher.decrypt(complaint.name_enc) if complaint.name_enc else "",
        mobile=cipher.decrypt(complaint.phone_enc),
    )
    audit.record(
        session,
        actor=audit.Actor(user.id, user.full_name or user.username or f"user-{user.id}"),
        action=ACTION,
        object_type="complaint",
        object_id=complaint.id,
        reason=reason.strip(),
        reference=complaint.number,
    )
    return shown
