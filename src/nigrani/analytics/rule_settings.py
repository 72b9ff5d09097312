"""Each station's analytics rules as stored: its override of the defaults (its own and its
zones'), read back as the effective RuleSet, and changed with an audit entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.analytics.models import AnalyticsRuleOverride
from nigrani.analytics.rule_config import (
    RULE_KINDS,
    Patch,
    RuleConfigError,
    RuleKind,
    Rules,
    RuleSet,
    ZoneKind,
)
from nigrani.core import audit
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import Zone


def get_station(db: Session, *, station_id: int, scope_path: str) -> JurisdictionNode:
    """The police station with this id, if it lies under the caller's node (404 as if absent)."""
    node = db.get(JurisdictionNode, station_id)
    if (
        node is None
        or node.level != Level.STATION
        or not jurisdiction.within(node.path, scope_path)
    ):
        raise NotFound(_("No such police station in your charge."))
    return node


def stations_in(db: Session, *, scope_node: JurisdictionNode) -> list[JurisdictionNode]:
    """The police stations under a node, in tree order (for the page's picker)."""
    return [n for n in jurisdiction.subtree(db, scope_node) if n.level == Level.STATION]


def _row(db: Session, station_id: int) -> AnalyticsRuleOverride | None:
    stmt = select(AnalyticsRuleOverride).where(AnalyticsRuleOverride.station_id == station_id)
    return db.scalars(stmt).first()


def stored(db: Session, *, station_id: int) -> dict[str, Any]:
    """The station's override as saved: {"station": patch, "zones": {name: patch}}."""
    row = _row(db, station_id)
    data: dict[str, Any] = json.loads(row.rules_json) if row else {}
    return {"station": data.get("station", {}), "zones": data.get("zones", {})}


def rule_set(db: Session, *, station_id: int) -> RuleSet:
    """The station's effective rules: defaults <- its override <- each zone's."""
    data = stored(db, station_id=station_id)
    return RuleSet.build(station=data["station"], zones=data["zones"])


def changes_from_defaults(rules: Rules) -> dict[str, dict[str, Any]]:
    """Only what differs from the defaults, so that a later change of a default reaches
    every station that never chose otherwise."""
    return changes_from(Rules(), rules)


def _store(
    db: Session,
    *,
    station: JurisdictionNode,
    data: dict[str, Any],
    actor: audit.Actor,
    now: datetime,
) -> None:
    row = _row(db, station.id) or AnalyticsRuleOverride(station_id=station.id)
    row.rules_json = json.dumps(data, sort_keys=True, ensure_ascii=False)
    row.updated_at, row.updated_by_id = now, actor.id
    db.add(row)
    db.flush()


def save_station_rules(
    db: Session, *, station: JurisdictionNode, patch: Patch, actor: audit.Actor, now: datetime
) -> RuleSet:
    """Lay `patch` over the defaults as the station's own rules (zones' overrides kept),
    validated (RuleConfigError), stored and audited."""
    before = stored(db, station_id=station.id)
    rules = RuleSet.build(station=patch, zones=before["zones"])
    after = {"station": changes_from_defaults(rules.station), "zones": before["zones"]}
    _store(db, station=station, data=after, actor=actor, now=now)
    audit.record(
        db,
        actor=actor,
        action="analytics.rules",
        object_type="jurisdiction_node",
        object_id=station.id,
        detail={"before": before["station"], "after": after["station"]},
    )
    return rules


# The rules that read a zone of each kind (analytics/rules.py); an "other" zone has none.
ZONE_RULES: dict[ZoneKind, tuple[RuleKind, ...]] = {
    "waiting": ("crowd_waiting", "long_wait"),
    "desk": ("desk_unattended",),
    "staff": ("phone_in_hand",),
    "other": (),
}


@dataclass(frozen=True, slots=True)
class StationZone:
    """A zone name drawn on the station's cameras, what it is for, and the rules reading it."""

    name: str
    kinds: tuple[ZoneKind, ...]
    rules: tuple[RuleKind, ...]


def station_zones(db: Session, *, station_id: int) -> list[StationZone]:
    """The zones drawn on the station's cameras, by name (a name on several cameras is one
    zone to the rules), each with the rules that read it."""
    stmt = select(StationCamera.zones_json).where(StationCamera.station_id == station_id)
    kinds: dict[str, set[ZoneKind]] = {}
    for raw in db.scalars(stmt):
        for zone in (Zone.model_validate(z) for z in json.loads(raw or "[]")):
            kinds.setdefault(zone.name, set()).add(zone.kind)
    found = []
    for name in sorted(kinds, key=str.casefold):
        rules = tuple(k for k in RULE_KINDS if any(k in ZONE_RULES[z] for z in kinds[name]))
        found.append(StationZone(name, tuple(sorted(kinds[name])), rules))
    return found


def changes_from(base: Rules, rules: Rules) -> dict[str, dict[str, Any]]:
    """Only what differs from `base`, rule by rule."""
    before, chosen = base.model_dump(), rules.model_dump()
    patch: dict[str, dict[str, Any]] = {}
    for kind in RULE_KINDS:
        diff = {k: v for k, v in chosen[kind].items() if before[kind].get(k) != v}
        if diff:
            patch[kind] = diff
    return patch


def save_zone_rules(
    db: Session,
    *,
    station: JurisdictionNode,
    zone: StationZone,
    patch: Patch,
    actor: audit.Actor,
    now: datetime,
) -> RuleSet:
    """Lay `patch` (values of the zone's rules) over the station's rules as the zone's own,
    validated (RuleConfigError), storing only what differs from the station's; an empty
    patch gives the zone the station's values again. Audited."""
    before = stored(db, station_id=station.id)
    unknown = sorted(set(patch) - set(zone.rules))
    if unknown:
        raise RuleConfigError(f"zone {zone.name!r}: {', '.join(unknown)} does not read it")
    zones = {**before["zones"], zone.name: patch}
    rules = RuleSet.build(station=before["station"], zones=zones)
    own = changes_from(rules.station, rules.for_zone(zone.name))
    after_zones = {k: v for k, v in zones.items() if k != zone.name}
    if own:
        after_zones[zone.name] = own
    _store(
        db,
        station=station,
        data={"station": before["station"], "zones": after_zones},
        actor=actor,
        now=now,
    )
    audit.record(
        db,
        actor=actor,
        action="analytics.rules.zone",
        object_type="jurisdiction_node",
        object_id=station.id,
        detail={
            "zone": zone.name,
            "before": before["zones"].get(zone.name, {}),
            "after": own,
        },
    )
    return RuleSet.build(station=before["station"], zones=after_zones)
