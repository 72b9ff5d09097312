"""Names of a hearing place's states, outcomes and recorded sides in the current language."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core.i18n import lazy_gettext

STATE_LABELS: dict[str, LazyProxy] = {
    "booked": lazy_gettext("Booked"),
    "waiting": lazy_gettext("Waiting"),
    "called": lazy_gettext("Being called"),
    "in_call": lazy_gettext("In the call"),
    "done": lazy_gettext("Heard"),
    "no_show": lazy_gettext("Missed the call"),
    "cancelled": lazy_gettext("Cancelled"),
}
OUTCOME_LABELS: dict[str, LazyProxy] = {
    "complaint": lazy_gettext("New complaint"),
    "linked": lazy_gettext("Added to an existing complaint"),
    "resolved": lazy_gettext("Resolved on the call"),
}


def state_label(state: str) -> str:
    """A state's name."""
    return str(STATE_LABELS.get(state, state))


def outcome_label(outcome: str | None) -> str:
    """An outcome's name (— when none yet)."""
    return str(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else "—"


SIDE_LABELS: dict[str, LazyProxy] = {
    "citizen": lazy_gettext("the citizen's side"),
    "officer": lazy_gettext("the officer's side"),
}


def side_label(side: str) -> str:
    """Whose camera a recording is."""
    return str(SIDE_LABELS.get(side, side))
