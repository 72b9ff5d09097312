"""What the incident page shows: the canvass as rows and map points, requests, evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.cameras import service as camera_service
from nigrani.canvass import fov, reveals, service
from nigrani.canvass.kinds import kind_label
from nigrani.canvass.models import FootageRequest, Incident
from nigrani.canvass.service import Footage, Hit
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.i18n import _, current_language
from nigrani.core.sms import SmsMessage, sent_texts
from nigrani.evidence import bundle
from nigrani.evidence.models import EvidenceItem

RADII = (100, 200, 300, 500, 1000)


def view_label(view: fov.View) -> str:
    """How the page names a field-of-view verdict."""
    return {
        fov.View.IN_VIEW: _("Place in view"),
        fov.View.UNKNOWN: _("View not known"),
        fov.View.AWAY: _("Faces away"),
    }[view]


def footage_label(hit: Hit) -> str:
    """Whether footage of the window should still exist, in words."""
    if hit.footage is Footage.KEPT:
        return _("Kept {n} days: still there").format(n=hit.site.retention_days)
    if hit.footage is Footage.GONE:
        return _("Kept {n} days: probably overwritten").format(n=hit.site.retention_days)
    return _("Retention not known")


def status_label(status: str) -> str:
    """A footage request's state, translated."""
    return {
        "sent": _("Sent"),
        "opened": _("Opened by owner"),
        "uploaded": _("Footage received"),
        "declined": _("Declined"),
        "expired": _("Expired"),
        "cancelled": _("Cancelled"),
    }.get(status, status)


def map_points(hits: list[Hit]) -> list[dict[str, Any]]:
    """The canvass for canvass.js: one point per site, with its rank and colour class."""
    return [
        {
            "rank": i,
            "id": h.site.id,
            "lat": h.site.lat,
            "lon": h.site.lon,
            "name": h.site.name,
            "cls": "gone" if h.footage is Footage.GONE else h.view.value,
        }
        for i, h in enumerate(hits, start=1)
    ]


def evidence_for(session: Session, incident: Incident) -> list[EvidenceItem]:
    """The incident's live evidence, oldest first."""
    rows = session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.incident_id == incident.id, EvidenceItem.deleted_at.is_(None))
        .order_by(EvidenceItem.id)
    ).all()
    return list(rows)


@dataclass(frozen=True, slots=True)
class Export:
    """A bundle exported for the incident: its file name, SHA-256 and time."""

    name: str
    sha256: str
    at: datetime


def exports_for(session: Session, incident: Incident) -> list[Export]:
    """The incident's exported bundles, newest first (from the audit chain)."""
    rows = session.scalars(
        select(audit.AuditEntry)
        .where(audit.AuditEntry.action == bundle.EXPORTED)
        .where(
            or_(
                audit.AuditEntry.reference == incident.number,
                audit.AuditEntry.reference.startswith(f"{incident.number} / "),
            )
        )
        .order_by(audit.AuditEntry.id.desc())
    ).all()
    return [Export(r.object_id, json.loads(r.detail).get("sha256", ""), r.at) for r in rows]


def demo_messages(
    session: Session, settings: Settings, requests: list[FootageRequest]
) -> dict[int, str]:
    """Demo mode only: the SMS each request's last message was, as the log backend sent it."""
    if not settings.demo:
        return {}
    jobs = {r.last_job_id: r.id for r in requests if r.last_job_id}
    # Only messages the backend has taken; sms_log keeps them masked, so the text (link
    # included) comes from the outbox job.
    sent = session.scalars(select(SmsMessage.job_id).where(SmsMessage.job_id.in_(list(jobs))))
    return {jobs[job_id]: body for job_id, body in sent_texts(session, list(sent)).items()}


def incident_context(
    session: Session, *, settings: Settings, incident: Incident, radius_m: float
) -> dict[str, Any]:
    """Everything the incident page and its printable list render."""
    hits = service.canvass(session, incident=incident, radius_m=radius_m)
    requests = list(incident.requests)
    categories = {c.code: c for c in camera_service.categories(session)}
    return {
        "category_name": lambda code: categories[code].name(current_language.get()),
        "incident": incident,
        "kind_label": kind_label,
        "station": service.station_of(session, incident),
        "officer": session.get(User, incident.officer_id),
        "hits": hits,
        "radius": int(radius_m),
        "radii": RADII,
        "view_label": view_label,
        "footage_label": footage_label,
        "status_label": status_label,
        "requests": requests,
        "demo_sms": demo_messages(session, settings, requests),
        "reveals": reveals.reveals_for(session, incident=incident),
        "evidence": evidence_for(session, incident),
        "exports": exports_for(session, incident),
        "points": map_points(hits),
    }
