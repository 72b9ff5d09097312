"""Builders for complaints in tests (on the small tree of tests.accounts.factories)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.grievances import service
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import ComplaintCreate

MOBILE = "+919876543210"
# Inside station S1 of make_tree (and outside its post P1).
PLACE = {"lat": 26.47, "lon": 80.27}
TEXT = "Two men snatched my phone near the crossing and ran towards the market."


def make_complaint(
    db: Session, settings: Settings, *, channel: str = "web", **overrides: Any
) -> Complaint:
    """A theft complaint from a verified mobile, placed in station S1."""
    values: dict[str, Any] = {
        "category": "theft",
        "text": TEXT,
        "mobile": MOBILE,
        "mobile_verified": True,
        "name": "Ramesh Kumar",
        "address": "Mall Road crossing",
        "language": "en",
        **PLACE,
    }
    values.update(overrides)
    return service.create_complaint(
        db, settings=settings, data=ComplaintCreate(**values), channel=channel, actor=audit.SYSTEM
    )
