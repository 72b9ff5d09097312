"""The demo's video hearings: the DCP Central hears citizens with the ACP Kotwali, Monday to
Saturday 12:00-14:00 IST (Prayagraj's hours in the seed report), in 10-minute slots."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.core.db import utcnow
from nigrani.hearings import hours
from nigrani.hearings.models import HearingWindow
from nigrani.hearings.schemas import WindowCreate

OWNER, PANEL = "dcp.central", "acp.kotwali"


def seed_hearings(session: Session) -> int:
    """Publish the demo window unless the DCP has one; returns how many were added."""
    owner = session.scalar(select(User).where(User.username == OWNER))
    panel = session.scalar(select(User).where(User.username == PANEL))
    if owner is None or panel is None:
        return 0  # the demo users come first
    if session.scalar(select(HearingWindow.id).where(HearingWindow.owner_id == owner.id)):
        return 0
    data = WindowCreate(
        weekdays=[0, 1, 2, 3, 4, 5], starts=time(12), ends=time(14), slot_minutes=10,
        panel=[panel.id],
    )  # fmt: skip
    hours.publish_window(session, data=data, owner=owner, actor=owner, now=utcnow())
    return 1
