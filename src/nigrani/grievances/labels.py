"""Names of statuses, resolutions and channels in both languages (like roles.py)."""

from __future__ import annotations

from nigrani.core.i18n import pick

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Received", "प्राप्त"),
    "assigned": ("Assigned to station", "थाने को सौंपी गई"),
    "acknowledged": ("Acknowledged", "स्वीकार की गई"),
    "investigating": ("Under investigation", "जाँच जारी"),
    "action_taken": ("Action taken", "कार्रवाई की गई"),
    "closed": ("Closed", "बंद"),
}
RESOLUTION_LABELS: dict[str, tuple[str, str]] = {
    "resolved": ("Resolved", "निस्तारित"),
    "no_action": ("No action needed", "कार्रवाई आवश्यक नहीं"),
    "not_ours": ("Not for the police", "पुलिस से संबंधित नहीं"),
    "duplicate": ("Duplicate", "दोहराई गई शिकायत"),
}
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "web": ("Web", "वेब"),
    "whatsapp": ("WhatsApp", "व्हाट्सऐप"),
    "open311": ("Open311", "Open311"),
    "walk_in": ("At the station", "थाने पर"),
}


def status_label(status: str, lang: str | None = None) -> str:
    """A status in the current language."""
    return pick(STATUS_LABELS[status], lang)


def resolution_label(resolution: str | None, lang: str | None = None) -> str:
    """How a complaint ended, in the current language ('' while open)."""
    return pick(RESOLUTION_LABELS[resolution], lang) if resolution else ""


def channel_label(channel: str, lang: str | None = None) -> str:
    """Where a complaint came from, in the current language."""
    return pick(CHANNEL_LABELS[channel], lang)


ESCALATION_LABELS: dict[int, tuple[str, str]] = {
    1: ("Overdue: raised with the SHO", "समय-सीमा पार: थाना प्रभारी को सूचना"),
    2: ("Overdue: raised with the ACP", "समय-सीमा पार: ACP को सूचना"),
    3: ("Overdue: raised with the DCP", "समय-सीमा पार: DCP को सूचना"),
}
