"""How a hearing ends: every hearing leaves a complaint with a number, an SLA and feedback.

- `complaint`: a new complaint through the grievance workflow, routed to the station the
  officer names (channel `hearing`, one per ticket however often the form is sent);
- `linked`: the complaint the citizen came about gets the hearing's notes on its timeline;
- `resolved`: settled on the call — a complaint is still registered, and closed as
  resolved at once, so the citizen has its number and is asked for feedback.
The citizen is texted the summary and the number; the console's page shows it too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import Conflict, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher
from nigrani.grievances import notify, workflow
from nigrani.grievances import service as grievances
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import CloseCreate, ComplaintCreate
from nigrani.hearings import notices, service
from nigrani.hearings.models import HearingTicket
from nigrani.hearings.queue import State
from nigrani.hearings.schemas import OutcomeCreate


def _actor(officer: User) -> audit.Actor:
    return audit.Actor(officer.id, officer.username or str(officer.id))


def _new_complaint(
    session: Session,
    *,
    settings: Settings,
    ticket: HearingTicket,
    data: OutcomeCreate,
    officer: User,
    category: str,
    station_code: str | None,
) -> Complaint:
    citizen = ticket.citizen
    mobile = (
        FieldCipher(settings.encryption_key).decrypt(citizen.phone_enc)
        if citizen.phone_enc
        else None
    )
    text = f"{ticket.topic}\n\n{_('Heard by video')}: {data.notes}"
    complaint = ComplaintCreate(
        category=category,
        text=text[:5000] if len(text) >= 10 else text.ljust(10),
        mobile=mobile,
        mobile_verified=mobile is not None,
        language="en" if citizen.language == "en" else "hi",
        external_ref=f"hearing-{ticket.id}",
        station_code=station_code,
    )
    return grievances.create_complaint(
        session, settings=settings, data=complaint, channel="hearing", actor=_actor(officer)
    )


def record(
    session: Session,
    *,
    settings: Settings,
    ticket: HearingTicket,
    data: OutcomeCreate,
    officer: User,
    now: datetime,
) -> Complaint:
    """Store the hearing's outcome and the complaint it ends in (the same one if sent again)."""
    if ticket.officer_id != officer.id:
        raise Conflict(_("This call is another officer's."))
    if ticket.state not in (State.IN_CALL, State.DONE, State.CALLED):
        raise Conflict(_("Record an outcome once the call has begun."))
    if ticket.outcome_complaint_id is not None:
        return grievances.get_complaint(session, ticket.outcome_complaint_id)
    if data.outcome == "linked":
        complaint = grievances.get_by_number(session, data.complaint_number or "")
        citizen = ticket.citizen
        if citizen.phone_hash is None or complaint.phone_hash != citizen.phone_hash:
            raise ValidationFailed(
                _("Give the number of one of this citizen's own complaints."),
                field="complaint_number",
            )
        grievances.add_note(
            session,
            complaint=complaint,
            actor=_actor(officer),
            body=f"{_('Heard by video')}: {data.notes}",
            public=True,
        )
    else:
        category = data.category or "other"
        complaint = _new_complaint(
            session,
            settings=settings,
            ticket=ticket,
            data=data,
            officer=officer,
            category=category,
            station_code=data.station_code,
        )
        if data.outcome == "resolved":
            workflow.close(
                session,
                settings=settings,
                complaint=complaint,
                data=CloseCreate(resolution="resolved", message=data.notes[:2000]),
                actor=_actor(officer),
            )
    if ticket.state != State.DONE:
        ticket = service.finish(session, ticket, officer=officer, now=now)
    ticket.outcome, ticket.outcome_notes = data.outcome, data.notes
    ticket.outcome_complaint_id = complaint.id
    audit.record(
        session,
        actor=_actor(officer),
        action="hearing.outcome",
        object_type="hearing_ticket",
        object_id=ticket.id,
        reference=complaint.number,
        detail={"outcome": data.outcome},
    )
    session.flush()
    url = notify.track_url(settings, complaint)
    notices.text_outcome(
        session, settings, ticket, number=complaint.number, url=url, notes=data.notes
    )
    return complaint
