"""The page of a station's analytics rules: what applies (the defaults unless the station
chose otherwise, and in each zone the station's unless the zone chose otherwise), and
saving the station's own thresholds and each zone's (audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Scope, require_staff
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Level, Permission, Role, has_permission
from nigrani.analytics import rule_settings
from nigrani.analytics.evaluation.measured import measured_false_alarms, measured_precision
from nigrani.analytics.rule_config import RULE_KINDS, RuleConfigError, Rules
from nigrani.core.deps import DbSession, Now
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.stations.deps import StationChoice, Watcher

router = APIRouter(include_in_schema=False)
MAX_FIELD = 40  # no rule value is longer; a longer one is refused before parsing

get_rules_keeper = require_staff(
    Permission.MANAGE_ANALYTICS_RULES,
    lambda: _("Your role does not allow changing analytics rules."),
)
RulesKeeper = Annotated[Scope, Depends(get_rules_keeper)]


@dataclass(frozen=True, slots=True)
class Input:
    """One value of one rule on the form."""

    kind: str
    field: str
    type: str  # checkbox, number, time
    label: str
    low: float | None = None
    high: float | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.field}"


def rule_title(kind: str) -> str:
    """A rule's name in the current language."""
    return {
        "crowd_waiting": _("Crowd left waiting"),
        "long_wait": _("One person waiting long"),
        "desk_unattended": _("Desk unattended"),
        "phone_in_hand": _("Phone in hand at a staff place"),
        "raised_voice": _("Raised voice"),
        "camera_tamper": _("Camera covered or moved"),
    }[kind]


def inputs(kind: str) -> list[Input]:
    """What the form offers for a rule (the grace and the time zone are not offered)."""
    hold = Input(kind, "for_s", "number", _("For at least (seconds)"), 1, 8 * 3600)
    on = Input(kind, "enabled", "checkbox", _("On"))
    extra = {
        "crowd_waiting": [Input(kind, "min_people", "number", _("People at least"), 1, 100)],
        "desk_unattended": [
            Input(kind, "duty_start", "time", _("Duty hours from")),
            Input(kind, "duty_end", "time", _("Duty hours until")),
        ],
        "raised_voice": [Input(kind, "over_db", "number", _("Louder than usual by (dB)"), 3, 40)],
    }.get(kind, [])
    return [on, *extra, hold]


def _patch(form: dict[str, str], kinds: tuple[str, ...] = RULE_KINDS) -> dict[str, dict[str, Any]]:
    patch: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        values: dict[str, Any] = {}
        for item in inputs(kind):
            if item.type == "checkbox":
                values[item.field] = form.get(item.name) == "on"
            else:
                values[item.field] = form.get(item.name, "").strip()
        patch[kind] = values
    return patch


def _station(db: DbSession, scope: Scope, station: int | None) -> JurisdictionNode | None:
    if station is None:
        return scope.node if scope.node.level == Level.STATION else None
    return rule_settings.get_station(db, station_id=station, scope_path=scope.node.path)


def _render(
    request: Request,
    db: DbSession,
    scope: Scope,
    station: JurisdictionNode | None,
    *,
    error: str = "",
    status_code: int = 200,
    shown: Rules | None = None,
    zone_error: tuple[str, str] | None = None,  # (zone, what to fix)
) -> HTMLResponse:
    if station is not None and shown is None:
        shown = rule_settings.rule_set(db, station_id=station.id).station
    context: dict[str, Any] = {
        **_zone_context(request, db, station, zone_error),
        "station": station,
        "stations": rule_settings.stations_in(db, scope_node=scope.node),
        "rules": shown,
        "defaults": Rules(),
        "kinds": RULE_KINDS,
        "inputs": inputs,
        "rule_title": rule_title,
        "measured_precision": measured_precision,
        "measured_false_alarms": measured_false_alarms,
        "may_change": has_permission(Role(scope.user.role), Permission.MANAGE_ANALYTICS_RULES),
        "error": error,
        "saved": request.query_params.get("saved") == "1",
    }
    return page(
        request, "analytics/rules.html", user=scope.user, status_code=status_code, **context
    )


def _zone_context(
    request: Request,
    db: DbSession,
    station: JurisdictionNode | None,
    zone_error: tuple[str, str] | None,
) -> dict[str, Any]:
    """The zones of the station's cameras, each with its effective rules and its own values."""
    if station is None:
        return {"zones": []}
    rules = rule_settings.rule_set(db, station_id=station.id)
    zones = rule_settings.station_zones(db, station_id=station.id)
    return {
        "zones": zones,
        "zone_rules": {z.name: rules.for_zone(z.name) for z in zones},
        "zone_own": rule_settings.stored(db, station_id=station.id)["zones"],
        "zone_kind_label": zone_kind_label,
        "zone_error": zone_error,
        "zone_saved": request.query_params.get("zone_saved", ""),
    }


def zone_kind_label(kind: str) -> str:
    """What a zone is for, as the camera's zone editor names it."""
    return {
        "waiting": _("Waiting area (crowds, long waits)"),
        "desk": _("Desk that must be attended"),
        "staff": _("Staff area (phones in hand)"),
        "other": _("Other"),
    }[kind]


@router.get("/analytics/rules")
def rules_page(
    request: Request, db: DbSession, scope: Watcher, station: StationChoice = None
) -> HTMLResponse:
    """A station's effective analytics rules, beside the defaults."""
    return _render(request, db, scope, _station(db, scope, station))


@router.post("/analytics/rules", response_model=None)
async def save_rules(
    request: Request, db: DbSession, keeper: RulesKeeper, now: Now, station: StationChoice = None
) -> Response:
    """Save the station's own thresholds over the defaults (audited), or say what to fix."""
    node = _station(db, keeper, station)
    if node is None:
        return _render(
            request, db, keeper, None, error=_("Choose a police station."), status_code=422
        )
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    if any(len(v) > MAX_FIELD for v in form.values()):
        return _render(request, db, keeper, node, error=_("A value is too long."), status_code=422)
    try:
        rule_settings.save_station_rules(
            db,
            station=node,
            patch=_patch(form),
            actor=accounts_service.actor_of(keeper.user),
            now=now,
        )
    except RuleConfigError as exc:
        error = _("Not saved; check: {problem}").format(problem=str(exc).removeprefix("station: "))
        return _render(request, db, keeper, node, error=error, status_code=422)
    return see_other(f"/analytics/rules?station={node.id}&saved=1")


@router.post("/analytics/rules/zones", response_model=None)
async def save_zone_rules(
    request: Request,
    db: DbSession,
    keeper: RulesKeeper,
    now: Now,
    station: StationChoice = None,
    zone: Annotated[str, Query(max_length=60)] = "",
) -> Response:
    """Save one zone's own values of the rules that read it (only what differs from the
    station's is kept; "the station's values" clears them), audited; or say what to fix."""
    node = _station(db, keeper, station)
    if node is None:
        return _render(
            request, db, keeper, None, error=_("Choose a police station."), status_code=422
        )
    found = next(
        (z for z in rule_settings.station_zones(db, station_id=node.id) if z.name == zone), None
    )
    if found is None:
        raise NotFound(_("No camera of this station has a zone of that name."))
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    if any(len(v) > MAX_FIELD for v in form.values()):
        problem = (found.name, _("A value is too long."))
        return _render(request, db, keeper, node, zone_error=problem, status_code=422)
    patch = {} if form.get("action") == "reset" else _patch(form, found.rules)
    try:
        rule_settings.save_zone_rules(
            db,
            station=node,
            zone=found,
            patch=patch,
            actor=accounts_service.actor_of(keeper.user),
            now=now,
        )
    except RuleConfigError as exc:
        what = str(exc).split(": ", 1)[-1]
        problem = (found.name, _("Not saved; check: {problem}").format(problem=what))
        return _render(request, db, keeper, node, zone_error=problem, status_code=422)
    return see_other(f"/analytics/rules?station={node.id}&zone_saved={quote(found.name)}#zones")
