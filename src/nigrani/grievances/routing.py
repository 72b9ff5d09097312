"""Which station a complaint belongs to: its place, a named station, or the triage queue."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _


def station_by_code(session: Session, code: str) -> JurisdictionNode:
    """A station by its code (a post stands for its station), or a clear error."""
    node: JurisdictionNode | None = jurisdiction.get_by_code(session, code)
    while node is not None and node.level == Level.POST:
        node = node.parent
    if node is None or node.level != Level.STATION:
        raise ValidationFailed(_("Choose a police station."), field="station_code")
    return node


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
