"""What officers do with an analytics alert: acknowledge it, record the instruction given,
resolve it, or mark it a false positive (which feeds the rule's measured precision).

Each step is a conditional UPDATE on the status the step starts from: when two officers
click at once, one step wins and the other is told what the alert has become (409)."""

from __future__ import annotations

from dataclasses import dataclass

from babel.support import LazyProxy
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import under, within
from nigrani.analytics import alert_feed
from nigrani.analytics.models import AnalyticsEvent, AnalyticsEventStep
from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, ValidationFailed
from nigrani.core.i18n import _, lazy_gettext


@dataclass(frozen=True, slots=True)
class Transition:
    start: tuple[str, ...]  # the statuses the step may start from
    to: str
    needs_note: bool


TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition(("open",), "acknowledged", needs_note=False),
    "instruct": Transition(("acknowledged",), "instructed", needs_note=True),
    "resolve": Transition(("acknowledged", "instructed"), "resolved", needs_note=True),
    "false_positive": Transition(
        ("open", "acknowledged", "instructed"), "false_positive", needs_note=True
    ),
}

STATUS_LABELS: dict[str, LazyProxy] = {
    "open": lazy_gettext("open"),
    "acknowledged": lazy_gettext("acknowledged"),
    "instructed": lazy_gettext("instruction given"),
    "resolved": lazy_gettext("resolved"),
    "false_positive": lazy_gettext("false positive"),
}


def status_label(status: str) -> str:
    """An alert's status in the current language."""
    return str(STATUS_LABELS[status])


def get_event(session: Session, *, event_id: int, scope_path: str) -> AnalyticsEvent:
    """An event under the officer's node, or NotFound (also for one outside it)."""
    event = session.get(AnalyticsEvent, event_id)
    if event is None or not within(event.node_path, scope_path):
        raise NotFound(_("No such alert in your jurisdiction"))
    return event


def take_step(
    session: Session,
    *,
    event: AnalyticsEvent,
    step: str,
    note: str,
    actor: audit.Actor,
) -> AnalyticsEvent:
    """Move the alert on by one step, with its note, audited; 409 if it has moved since."""
    rule = TRANSITIONS[step]
    note = note.strip()
    if rule.needs_note and not note:
        raise ValidationFailed(_("Write a note for this step"), field="note")
    now = utcnow()
    moved = session.execute(
        update(AnalyticsEvent)
        .where(AnalyticsEvent.id == event.id, AnalyticsEvent.status.in_(rule.start))
        .values(status=rule.to, updated_at=now)
        .returning(AnalyticsEvent.id)
    ).first()
    session.refresh(event)
    if moved is None:
        message = _("The alert is {status} now, so this step cannot be taken; reload it.")
        raise Conflict(message.format(status=status_label(event.status)), field="step")
    session.add(
        AnalyticsEventStep(
            event_id=event.id,
            at=now,
            actor_id=actor.id,
            actor_label=actor.label,
            step=step,
            status=rule.to,
            note=note,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=f"analytics.event.{step}",
        object_type="analytics_event",
        object_id=event.id,
        reason=note or None,
        detail={"uuid": event.uuid, "status": rule.to},
    )
    session.flush()
    alert_feed.announce(session, event_id=event.id)
    return event


def timeline(session: Session, *, event: AnalyticsEvent) -> list[AnalyticsEventStep]:
    """An event's steps, oldest first."""
    stmt = (
        select(AnalyticsEventStep)
        .where(AnalyticsEventStep.event_id == event.id)
        .order_by(AnalyticsEventStep.at, AnalyticsEventStep.id)
    )
    return list(session.scalars(stmt))


# How officers' steps judge an alert: instructed or resolved means it was real; an alert
# still open or only acknowledged is not judged yet.
CONFIRMED = frozenset({"instructed", "resolved"})


@dataclass(frozen=True, slots=True)
class RuleFigures:
    """One rule's alerts in a jurisdiction, and how officers judged them."""

    kind: str
    raised: int = 0
    confirmed: int = 0
    false_positive: int = 0

    @property
    def precision(self) -> float | None:
        """The share of judged alerts that were real (None before any was judged)."""
        judged = self.confirmed + self.false_positive
        return self.confirmed / judged if judged else None


def rule_figures(session: Session, *, scope_path: str) -> dict[str, RuleFigures]:
    """Per rule kind, the alerts raised under the node and how they were judged."""
    stmt = (
        select(AnalyticsEvent.kind, AnalyticsEvent.status, func.count())
        .where(under(AnalyticsEvent.node_path, scope_path))
        .group_by(AnalyticsEvent.kind, AnalyticsEvent.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for kind, status, n in session.execute(stmt):
        counts.setdefault(kind, {})[status] = int(n)
    return {
        kind: RuleFigures(
            kind=kind,
            raised=sum(by_status.values()),
            confirmed=sum(n for status, n in by_status.items() if status in CONFIRMED),
            false_positive=by_status.get("false_positive", 0),
        )
        for kind, by_status in sorted(counts.items())
    }
