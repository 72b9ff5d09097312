"""Builders for incidents in tests (on the small tree of tests.accounts.factories)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.canvass import service
from nigrani.canvass.models import Incident
from nigrani.canvass.schemas import IncidentCreate
from nigrani.core.db import utcnow

# In station S1, 0.001° of latitude (~111 m) south of the Gupta Sweets shop of make_site.
PLACE = {"lat": 26.469, "lon": 80.25}


def make_incident(db: Session, user: User, **overrides: Any) -> Incident:
    """A theft an hour ago near the test shop, recorded by `user` at their own node."""
    end = utcnow() - timedelta(minutes=30)
    values: dict[str, Any] = {
        "kind": "theft",
        "description": "Mobile phone snatched",
        "address": "Mall Road crossing",
        "window_start": end - timedelta(hours=1),
        "window_end": end,
        "fir_number": "FIR 123/2026",
        **PLACE,
    }
    values.update(overrides)
    assert user.node is not None
    return service.create_incident(
        db, data=IncidentCreate(**values), user=user, scope_path=user.node.path
    )
