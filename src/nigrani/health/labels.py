"""Words for camera health in the Babel catalogue (lazy): states, reasons, teams, groupings."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core.i18n import lazy_gettext

STATE_LABELS: dict[str, LazyProxy] = {
    "working": lazy_gettext("Working"),
    "degraded": lazy_gettext("Degraded"),
    "offline": lazy_gettext("Offline"),
    "unknown": lazy_gettext("Not checked yet"),
}
REASON_LABELS: dict[str, LazyProxy] = {
    "unreachable": lazy_gettext("Unreachable"),
    "refused": lazy_gettext("Connection refused"),
    "no_frames": lazy_gettext("Connects, sends no picture"),
    "stopped": lazy_gettext("Stream stopped"),
    "black": lazy_gettext("Black picture"),
    "dark": lazy_gettext("Too dark"),
    "covered": lazy_gettext("Covered"),
    "defocused": lazy_gettext("Blurred"),
    "frozen": lazy_gettext("Frozen picture"),
    "moved": lazy_gettext("View moved"),
    "silent": lazy_gettext("No sound"),
    "slow": lazy_gettext("Too few frames"),
    "tampered": lazy_gettext("Tampered (the camera's own alarm)"),
}
SNAPSHOT_PROBLEMS: dict[str, LazyProxy] = {
    "unreachable": lazy_gettext("does not answer"),
    "timeout": lazy_gettext("too slow to answer"),
    "http_status": lazy_gettext("refused (HTTP error)"),
    "wrong_type": lazy_gettext("not a JPEG or PNG picture"),
    "too_big": lazy_gettext("picture too large"),
    "not_image": lazy_gettext("not a readable picture"),
}
ONVIF_PROBLEMS: dict[str, LazyProxy] = {
    "unreachable": lazy_gettext("does not answer"),
    "auth": lazy_gettext("user or password refused"),
    "timeout": lazy_gettext("too slow to answer"),
    "fault": lazy_gettext("answered with an error"),
}
TAMPER_LABELS: dict[str, LazyProxy] = {
    "VideoSource/GlobalSceneChange": lazy_gettext("view changed (moved or covered)"),
    "VideoSource/ImageTooBlurry": lazy_gettext("picture too blurred"),
    "VideoSource/ImageTooDark": lazy_gettext("picture too dark"),
    "VideoSource/ImageTooBright": lazy_gettext("picture too bright (glare)"),
    "VideoSource/SignalLoss": lazy_gettext("video signal lost"),
}
TEAM_LABELS: dict[str, LazyProxy] = {
    "smart_city": lazy_gettext("Smart City"),
    "nagar_nigam": lazy_gettext("Nagar Nigam"),
    "station": lazy_gettext("Police station"),
    "owner": lazy_gettext("The owner"),
    "control_room": lazy_gettext("Control room"),
}
GROUP_LABELS: dict[str, LazyProxy] = {
    "category": lazy_gettext("Category"),
    "station": lazy_gettext("Police station"),
    "zone": lazy_gettext("Zone"),
    "crossing": lazy_gettext("Crossing or site"),
}


def _label(labels: dict[str, LazyProxy], key: str) -> str:
    found = labels.get(key)
    return str(found) if found is not None else key


def state_label(state: str) -> str:
    """A health state in the current language."""
    return _label(STATE_LABELS, state)


def reason_label(reason: str) -> str:
    """Why a camera is not working, in the current language ("" when there is no reason)."""
    return _label(REASON_LABELS, reason) if reason else ""


def team_label(team: str) -> str:
    """Who repairs a camera, in the current language."""
    return _label(TEAM_LABELS, team)


def group_label(group: str) -> str:
    """A grouping of the review report, in the current language."""
    return _label(GROUP_LABELS, group)


def snapshot_problem_label(problem: str) -> str:
    """Why a camera's HTTP snapshot failed, in the current language."""
    return _label(SNAPSHOT_PROBLEMS, problem)


def onvif_problem_label(problem: str) -> str:
    """Why a camera's ONVIF device did not answer, in the current language."""
    return _label(ONVIF_PROBLEMS, problem)


def tamper_label(topic: str) -> str:
    """An ONVIF tamper topic in words, in the current language."""
    return _label(TAMPER_LABELS, topic)
