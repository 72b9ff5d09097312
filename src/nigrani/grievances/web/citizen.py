"""Citizen pages (Hindi first, phone-sized): file a complaint, track it, give feedback.

The citizen signs in with their mobile number and an SMS code (accounts' OTP sign-in), so
a complaint from here carries a verified number, and only that number can track it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from nigrani.accounts.deps import Citizen
from nigrani.accounts.models import User
from nigrani.accounts.pages import page, see_other
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError, NotFound
from nigrani.core.i18n import _, current_language
from nigrani.core.params import Flag
from nigrani.core.security import FieldCipher
from nigrani.grievances import labels, service, timeline, workflow
from nigrani.grievances.forms import complaint_from_form
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import FeedbackCreate

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=400)]


def _actor(user: User) -> audit.Actor:
    return audit.Actor(user.id, user.phone_masked or f"citizen-{user.id}")


def _mobile(settings: Settings, user: User) -> str | None:
    return FieldCipher(settings.encryption_key).decrypt(user.phone_enc) if user.phone_enc else None


def _own(db: DbSession, user: User, number: str) -> Complaint:
    complaint = service.get_by_number(db, number)
    if user.phone_hash is None or complaint.phone_hash != user.phone_hash:
        raise NotFound(_("No complaint with this number"))
    return complaint


def _form(
    request: Request,
    db: DbSession,
    user: User,
    values: dict[str, str],
    error: NigraniError | None = None,
) -> HTMLResponse:
    return page(
        request,
        "grievances/citizen_new.html",
        user=user,
        values=values,
        categories=service.categories(db),
        error=error.message if error else None,
        error_field=error.field if error else None,
        status_code=error.status if error else 200,
    )


@router.get("/citizen/complaints")
def my_complaints(request: Request, db: DbSession, user: Citizen) -> HTMLResponse:
    """The citizen's own complaints, newest first."""
    rows = (
        db.scalars(
            select(Complaint)
            .where(Complaint.phone_hash == user.phone_hash)
            .order_by(Complaint.received_at.desc())
        ).all()
        if user.phone_hash
        else []
    )
    return page(request, "grievances/citizen_list.html", user=user, complaints=rows, labels=labels)


@router.get("/citizen/complaints/new")
def new_complaint(request: Request, db: DbSession, user: Citizen) -> HTMLResponse:
    """The complaint form."""
    return _form(request, db, user, {"category": ""})


@router.post("/citizen/complaints", response_model=None)
def file_complaint(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: Citizen,
    category: Annotated[str, Form(max_length=40)] = "",
    text: Text = "",
    address: Short = "",
    name: Annotated[str, Form(max_length=120)] = "",
    lat: Annotated[str, Form(max_length=30)] = "",
    lon: Annotated[str, Form(max_length=30)] = "",
    attachment: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Register the complaint from the signed-in number; a bad form says why."""
    values = {
        "category": category,
        "text": text,
        "address": address,
        "name": name,
        "lat": lat,
        "lon": lon,
    }
    try:
        data = complaint_from_form(
            values, mobile=_mobile(settings, user), verified=True, language=current_language.get()
        )
        complaint = service.create_complaint(
            db, settings=settings, data=data, channel="web", actor=_actor(user)
        )
        if attachment is not None and attachment.filename:
            service.add_attachment(
                db,
                settings=settings,
                complaint=complaint,
                stream=attachment.file,
                filename=attachment.filename,
                media_type=attachment.content_type or "application/octet-stream",
                actor=_actor(user),
            )
    except NigraniError as exc:
        db.rollback()
        return _form(request, db, user, values, exc)
    return see_other(f"/citizen/complaints/{complaint.number}?filed=1")


@router.get("/citizen/complaints/track")
def track(
    request: Request,
    db: DbSession,
    user: Citizen,
    number: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """Find a complaint by its number (only the number that filed it may see it); a number
    that is not theirs, or a typing mistake, is said on the form, which keeps what was typed."""
    wanted = number.strip().upper()[:40]
    if not wanted:
        return page(request, "grievances/citizen_track.html", user=user, number="")
    try:
        complaint = _own(db, user, wanted)
    except NotFound:
        return page(
            request,
            "grievances/citizen_track.html",
            user=user,
            number=wanted,
            error=_(
                "No complaint {number} was filed from your mobile number. Check the number "
                "in the SMS you received."
            ).format(number=wanted),
        )
    return see_other(f"/citizen/complaints/{complaint.number}")


@router.get("/citizen/complaints/{number}")
def complaint_status(
    request: Request, db: DbSession, user: Citizen, number: str, filed: Flag = 0
) -> HTMLResponse:
    """Where the complaint stands, what was given (place, files), its public timeline, and
    feedback once closed; right after filing (?filed=1) it confirms the number."""
    complaint = _own(db, user, number)
    return page(
        request,
        "grievances/citizen_status.html",
        user=user,
        c=complaint,
        filed=bool(filed),
        files=service.attachments(db, complaint),
        labels=labels,
        events=timeline.events(db, complaint, public_only=True),
        feedback=workflow.feedback_on_closure(db, complaint),
    )


@router.post("/citizen/complaints/{number}/feedback")
def feedback(
    db: DbSession,
    settings: SettingsDep,
    user: Citizen,
    number: str,
    satisfied: Annotated[bool, Form()],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Satisfied, or not (which reopens the complaint)."""
    complaint = _own(db, user, number)
    data = FeedbackCreate(satisfied=satisfied, comment=comment)
    workflow.give_feedback(
        db, settings=settings, complaint=complaint, data=data, actor=_actor(user)
    )
    return see_other(f"/citizen/complaints/{complaint.number}")
