"""Names of statuses, resolutions, channels and escalations, in the Babel catalogue
(lazy, so each shows in the language of the page or of the SMS's recipient)."""

from __future__ import annotations

import json

from babel.support import LazyProxy

from nigrani.core import audit
from nigrani.core.i18n import in_language, lazy_gettext
from nigrani.grievances.models import Complaint, ComplaintEvent

STATUS_LABELS: dict[str, LazyProxy] = {
    "received": lazy_gettext("Received"),
    "assigned": lazy_gettext("Assigned to station"),
    "acknowledged": lazy_gettext("Acknowledged"),
    "investigating": lazy_gettext("Under investigation"),
    "action_taken": lazy_gettext("Action taken"),
    "closed": lazy_gettext("Closed"),
}
REOPENED = lazy_gettext("Reopened")
RESOLUTION_LABELS: dict[str, LazyProxy] = {
    "resolved": lazy_gettext("Resolved"),
    "no_action": lazy_gettext("No action needed"),
    "not_ours": lazy_gettext("Not for the police"),
    "duplicate": lazy_gettext("Duplicate"),
}
CHANNEL_LABELS: dict[str, LazyProxy] = {
    "web": lazy_gettext("Web"),
    "whatsapp": lazy_gettext("WhatsApp"),
    "open311": lazy_gettext("Open311"),
    "walk_in": lazy_gettext("At the station"),
    "hearing": lazy_gettext("Video hearing"),
}
ESCALATION_LABELS: dict[int, LazyProxy] = {
    1: lazy_gettext("Overdue: raised with the SHO"),
    2: lazy_gettext("Overdue: raised with the ACP"),
    3: lazy_gettext("Overdue: raised with the DCP"),
}


def status_label(status: str, lang: str | None = None) -> str:
    """A status in the current language (or `lang`)."""
    return in_language(STATUS_LABELS[status], lang)


def complaint_status(complaint: Complaint, lang: str | None = None) -> str:
    """Where a complaint stands: a reopened one waiting for its second round says so
    (reopening puts it back at "acknowledged" or "received" without anyone acting)."""
    if complaint.reopen_count and complaint.status in ("received", "acknowledged"):
        return in_language(REOPENED, lang)
    return status_label(complaint.status, lang)


def resolution_label(resolution: str | None, lang: str | None = None) -> str:
    """How a complaint ended, in the current language ('' while open)."""
    return in_language(RESOLUTION_LABELS[resolution], lang) if resolution else ""


def channel_label(channel: str, lang: str | None = None) -> str:
    """Where a complaint came from, in the current language."""
    return in_language(CHANNEL_LABELS[channel], lang)


def escalation_label(level: int, lang: str | None = None) -> str:
    """Who an overdue complaint was raised with, in the current language."""
    return in_language(ESCALATION_LABELS[level], lang)


SYSTEM = lazy_gettext("Nigrani (automatic)")
COMPLAINANT = lazy_gettext("Complainant")


def event_actor(event: ComplaintEvent) -> str:
    """Who made a timeline line: a person's name, or, for the product itself and a
    complainant without a masked number, a word in the current language."""
    if event.actor_id is None and event.actor_label == audit.SYSTEM.label:
        return str(SYSTEM)
    if event.actor_id is None and event.actor_label == "citizen":
        return str(COMPLAINANT)
    return event.actor_label


def event_body(event: ComplaintEvent) -> str:
    """What a timeline line says: what people wrote, or for an escalation (whose stored
    body is English) who it was raised with, in the current language."""
    if event.kind == "escalated":
        level = json.loads(event.detail or "{}").get("level")
        if level in ESCALATION_LABELS:
            return escalation_label(level)
    return event.body
