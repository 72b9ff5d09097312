"""Complaints: create from any channel (idempotent per channel reference), find, attach, note."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from nigrani.accounts.models import JurisdictionNode
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import NotFound, ValidationFailed
from nigrani.core.i18n import _, to_ist
from nigrani.core.phones import mask_mobile
from nigrani.core.security import FieldCipher, keyed_hash
from nigrani.core.text import mask_name
from nigrani.evidence import store
from nigrani.evidence.models import EvidenceItem
from nigrani.grievances import notices, notify, routing, timeline
from nigrani.grievances.models import (
    CHANNELS,
    Complaint,
    ComplaintAttachment,
    GrievanceCategory,
)
from nigrani.grievances.schemas import ComplaintCreate

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


def categories(session: Session) -> list[GrievanceCategory]:
    """The categories a complaint may take, in display order."""
    stmt = select(GrievanceCategory).where(GrievanceCategory.is_active.is_(True))
    return list(
        session.scalars(stmt.order_by(GrievanceCategory.sort_order, GrievanceCategory.code))
    )


# Statements asked for every new complaint are built once (SQLAlchemy caches only their
# compiled form).
CATEGORY_BY_CODE = select(GrievanceCategory).where(GrievanceCategory.code == bindparam("code"))
_BY_REF = select(Complaint.id).where(
    Complaint.channel == bindparam("channel"), Complaint.external_ref == bindparam("ref")
)


def get_category(session: Session, code: str) -> GrievanceCategory:
    """An active category by code, or a clear error naming the field."""
    found = session.scalar(CATEGORY_BY_CODE, {"code": code})
    if found is None or not found.is_active:
        raise ValidationFailed(_("Choose a category from the list."), field="category")
    return found


def phone_hash(settings: Settings, e164: str) -> str:
    """The keyed hash of a mobile number (the same key as a citizen account's)."""
    return keyed_hash(settings.secret_key, "phone", e164)


def _existing(session: Session, channel: str, external_ref: str | None) -> Complaint | None:
    if external_ref is None:
        return None
    # Almost always nothing: ask for the id alone, and load the complaint only if found.
    found = session.connection().scalar(_BY_REF, {"channel": channel, "ref": external_ref})
    return None if found is None else session.get_one(Complaint, found)


def _number(session: Session, complaint: Complaint, station: JurisdictionNode | None) -> str:
    prefix = routing.root_of(session, station).code.split("-")[0].upper()
    return f"{prefix}-{to_ist(complaint.received_at).year}-{complaint.id:06d}"


def _set_contact(complaint: Complaint, settings: Settings, data: ComplaintCreate) -> None:
    cipher = FieldCipher(settings.encryption_key)
    if data.name:
        complaint.name_enc, complaint.name_masked = cipher.encrypt(data.name), mask_name(data.name)
    if data.mobile:
        complaint.phone_enc = cipher.encrypt(data.mobile)
        complaint.phone_hash = phone_hash(settings, data.mobile)
        complaint.phone_masked = mask_mobile(data.mobile)
        complaint.mobile_verified = data.mobile_verified


def _new(
    session: Session,
    data: ComplaintCreate,
    channel: str,
    category: GrievanceCategory,
    received_at: datetime,
    actor: audit.Actor,
) -> tuple[Complaint, JurisdictionNode | None]:
    station = routing.route(session, lat=data.lat, lon=data.lon, station_code=data.station_code)
    home = station or routing.root_of(session, None)
    complaint = Complaint(
        **data.model_dump(include={"text", "lat", "lon", "address", "language", "external_ref"}),
        number=f"pending-{secrets.token_hex(8)}",
        status="received",
        channel=channel,
        category_code=category.code,
        station_id=station.id if station else None,
        node_path=home.path,
        escalation_level=0,
        reopen_count=0,
        created_by=actor.id,
        received_at=received_at,
        created_at=utcnow(),
        due_at=received_at + timedelta(hours=category.sla_hours),
        mobile_verified=False,
    )
    return complaint, station


_COLUMNS = tuple(column.key for column in Complaint.__table__.columns if column.key != "id")
_INSERT = insert(Complaint)
_SET_NUMBER = (
    update(Complaint)
    .where(Complaint.id == bindparam("complaint_id"))
    .values(number=bindparam("new_number"), status=bindparam("new_status"))
)


def _store(
    session: Session, complaint: Complaint, station: JurisdictionNode | None, actor: audit.Actor
) -> None:
    """Write the new complaint, number it and start its timeline.

    Core statements, not unit-of-work flushes (a third of a complaint's cost): the row goes
    in, gets its number (which needs the id) and status, then the object joins the session
    as if loaded, with nothing left to flush."""
    values = {key: getattr(complaint, key) for key in _COLUMNS}
    conn = session.connection()
    complaint.id = int(conn.execute(_INSERT, values).inserted_primary_key[0])  # type: ignore[index]
    for key, value in values.items():
        if key not in complaint.__dict__:  # never set: make it loaded, not expired
            setattr(complaint, key, value)
    complaint.number = _number(session, complaint, station)
    channel = {"channel": complaint.channel}
    timeline.record(
        session, complaint=complaint, kind="created", actor=actor, public=True, detail=channel
    )
    if station is not None:
        timeline.record(
            session,
            complaint=complaint,
            kind="routed",
            actor=audit.SYSTEM,
            public=True,
            to_status="assigned",
            detail={"station": station.code},
        )
    numbered = {"new_number": complaint.number, "new_status": complaint.status}
    conn.execute(_SET_NUMBER, {"complaint_id": complaint.id, **numbered})
    make_transient_to_detached(complaint)
    session.add(complaint)


def create_complaint(
    session: Session,
    *,
    settings: Settings,
    data: ComplaintCreate,
    channel: str,
    actor: audit.Actor,
    received_at: datetime | None = None,
    category: GrievanceCategory | None = None,
) -> Complaint:
    """Register a complaint and route it; the same (channel, external_ref) twice is one.

    `category` is data.category's row when the caller has already loaded it."""
    if channel not in CHANNELS:
        raise ValidationFailed(_("Unknown channel"), field="channel")
    if (found := _existing(session, channel, data.external_ref)) is not None:
        return found
    if category is None or category.code != data.category or not category.is_active:
        category = get_category(session, data.category)
    received = received_at or utcnow()
    if received > utcnow() + timedelta(minutes=5):
        raise ValidationFailed(
            _("The time of the visit cannot be in the future."), field="received_at"
        )
    complaint, station = _new(session, data, channel, category, received, actor)
    _set_contact(complaint, settings, data)
    _store(session, complaint, station, actor)
    if station is not None:
        notices.station_assigned(session, complaint=complaint, station=station)
    audit.record(
        session,
        actor=actor,
        action="complaint.create",
        object_type="complaint",
        object_id=complaint.id,
        reference=complaint.number,
        detail={"channel": channel, "category": category.code},
    )
    notify.tell(session, settings, complaint=complaint, occasion="received")
    return complaint


def get_by_number(session: Session, number: str) -> Complaint:
    """A complaint by its number (any case), or NotFound."""
    found = session.scalar(select(Complaint).where(Complaint.number == number.strip().upper()))
    if found is None:
        raise NotFound(_("No complaint with this number"))
    return found


def get_complaint(session: Session, complaint_id: int) -> Complaint:
    """A complaint by id, or NotFound."""
    found = session.get(Complaint, complaint_id)
    if found is None:
        raise NotFound(_("No complaint with this number"))
    return found


def add_attachment(
    session: Session,
    *,
    settings: Settings,
    complaint: Complaint,
    stream: store.Readable,
    filename: str,
    media_type: str,
    actor: audit.Actor,
) -> EvidenceItem:
    """Keep a file sent with a complaint in the evidence store, under its jurisdiction."""
    item = store.receive(
        session,
        settings=settings,
        stream=stream,
        original_name=filename,
        media_type=media_type,
        kind="attachment",
        actor=actor,
        source=f"complaint {complaint.number}",
        node_path=complaint.node_path,
        max_bytes=MAX_ATTACHMENT_BYTES,
    )
    session.add(
        ComplaintAttachment(complaint_id=complaint.id, evidence_item_id=item.id, added_at=utcnow())
    )
    timeline.record(
        session,
        complaint=complaint,
        kind="attachment",
        actor=actor,
        body=item.original_name,
        detail={"evidence_item_id": item.id},
    )
    return item


def attachments(session: Session, complaint: Complaint) -> list[EvidenceItem]:
    """The files of a complaint, in the order they came."""
    stmt = (
        select(EvidenceItem)
        .join(ComplaintAttachment, ComplaintAttachment.evidence_item_id == EvidenceItem.id)
        .where(ComplaintAttachment.complaint_id == complaint.id)
        .order_by(ComplaintAttachment.id)
    )
    return list(session.scalars(stmt))


def add_note(
    session: Session, *, complaint: Complaint, actor: audit.Actor, body: str, public: bool = False
) -> None:
    """An internal note on the timeline (public=True: a message the complainant sees)."""
    text = body.strip()
    if not text:
        raise ValidationFailed(_("Write something first."), field="body")
    kind = "message" if public else "note"
    timeline.record(
        session, complaint=complaint, kind=kind, actor=actor, body=text[:5000], public=public
    )
