"""Which station a complaint belongs to: its place, a named station, or the triage queue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _


def station_by_code(session: Session, code: str) -> JurisdictionNode:
    """A station by its code (a post stands for its station), or a clear 422 (not a 404:
    the code is what the user typed or picked, not the page they asked for)."""
    node = session.scalar(select(JurisdictionNode).where(JurisdictionNode.code == code.strip()))
    while node is not None and node.level == Level.POST:
        node = node.parent
    if node is None or node.level != Level.STATION:
        raise ValidationFailed(
            _("There is no police station “{code}”. Choose one from the list.").format(
                code=code.strip()[:60]
            ),
            field="station_code",
        )
    return node


def station_choices(
    session: Session, *, under: str | None = None
) -> list[tuple[JurisdictionNode | None, list[JurisdictionNode]]]:
    """Every station (or those under one node), grouped under its circle (by name), for a
    picker by name."""
    where = [JurisdictionNode.level == Level.STATION]
    if under is not None:
        where.append(jurisdiction.under(JurisdictionNode.path, under))
    stations = session.scalars(
        select(JurisdictionNode).where(*where).order_by(JurisdictionNode.name_en)
    ).all()
    groups: dict[int | None, list[JurisdictionNode]] = {}
    for station in stations:
        groups.setdefault(station.parent_id, []).append(station)
    circles = {
        c.id: c
        for c in session.scalars(
            select(JurisdictionNode).where(JurisdictionNode.id.in_([k for k in groups if k]))
        )
    }
    rows = [(circles.get(k) if k else None, v) for k, v in groups.items()]
    return sorted(rows, key=lambda row: row[0].name_en if row[0] else "")


def root_of(session: Session, node: JurisdictionNode | None) -> JurisdictionNode:
    """The commissionerate above a node (or the first one): where triage lives."""
    if node is not None:
        # The path starts with the root's id; get() finds it in the session when it is loaded.
        return session.get_one(JurisdictionNode, jurisdiction.path_ids(node.path)[0])
    roots = jurisdiction.roots(session)
    if not roots:
        raise ValidationFailed(_("No jurisdiction is set up yet."), field="station_code")
    return roots[0]


def route(
    session: Session, *, lat: float | None, lon: float | None, station_code: str | None
) -> JurisdictionNode | None:
    """The station for a complaint, or None for the control room's triage queue.

    The place decides; without one, the station the complainant names."""
    if lat is not None and lon is not None:
        station = jurisdiction.station_for_point(session, lat=lat, lon=lon)
        if station is not None:
            return station
    if station_code:
        return station_by_code(session, station_code)
    return None
