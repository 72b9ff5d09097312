"""A demo incident in Colonelganj with its canvass, camera details and one footage request."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode, User
from nigrani.cameras.models import Camera, Site
from nigrani.canvass import footage, service
from nigrani.canvass.models import Incident
from nigrani.canvass.schemas import FootageRequestCreate, IncidentCreate
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.i18n import to_ist

STATION, OFFICER = "KNP-S-COLONELGANJ", "io.colonelganj"
OFFSET_M = 60.0  # the incident lies this far east of the first private shop


def _anchor(session: Session, station: JurisdictionNode) -> Site | None:
    """The station's first private site with an owner's mobile: the shop next to the crime."""
    return session.scalar(
        select(Site)
        .where(Site.station_id == station.id, Site.owner_phone_enc.is_not(None))
        .where(Site.is_public.is_(False), Site.status == "active")
        .order_by(Site.id)
        .limit(1)
    )


def _describe_cameras(site: Site, heading: float) -> None:
    """Give the anchor shop a camera facing the road with known angle and range."""
    now = utcnow()
    site.cameras.append(
        Camera(
            label="Road",
            heading_deg=heading,
            fov_deg=90,
            range_m=80,
            retention_days=15,
            make="CP Plus",
            model="CP-UNC-TA21PL3",
            serial="DEMO0001",
            created_at=now,
        )
    )


def seed_incidents(session: Session, settings: Settings) -> int:
    """Add the demo incident once; returns how many were added (0 or 1)."""
    if session.scalar(select(Incident.id).limit(1)) is not None:
        return 0
    station = session.scalar(select(JurisdictionNode).where(JurisdictionNode.code == STATION))
    officer = session.scalar(select(User).where(User.username == OFFICER))
    site = _anchor(session, station) if station else None
    if station is None or officer is None or site is None:
        return 0
    _describe_cameras(site, heading=90.0)
    lon = site.lon + math.degrees(OFFSET_M / (6371008.8 * math.cos(math.radians(site.lat))))
    evening = to_ist(utcnow()).replace(hour=19, minute=30, second=0, microsecond=0) - timedelta(
        days=1
    )
    incident = service.create_incident(
        session,
        data=IncidentCreate(
            kind="chain_snatching",
            description="Demo: a gold chain snatched by two men on a motorcycle, who rode east.",
            lat=site.lat,
            lon=lon,
            address=f"Near {site.name}",
            window_start=evening,
            window_end=evening + timedelta(minutes=45),
            fir_number="DEMO-FIR 101/2026",
        ),
        user=officer,
        scope_path=station.path,
    )
    footage.send_request(
        session,
        settings=settings,
        incident=incident,
        site=site,
        data=FootageRequestCreate(site_id=site.id, note="Demo: 19:30–20:15, the road in front."),
        user=officer,
    )
    return 1
