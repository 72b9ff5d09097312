"""Every route that names an object by its id, called by staff of another station (and by a
citizen who does not own it): refused (403, or 404 as if absent), and nothing changes.

The route table is read from the app, so a new route is covered without being listed; a
path parameter that OBJECTS, PARTS and UNSCOPED do not name fails the test until one says
what it is. Every object lies in station S1; the outsiders sit in S2, circle C2 and zone Z2
and hold every role's permission between them, so a route is refused by its jurisdiction
check, not only by a role the caller lacks (the test checks that an outsider with the
route's permissions was among the callers). Insiders with the same roles get past.

Query ids (`?camera=`, `?clip=`, `?station=`, `?node=`) the same way: every route taking one
is in QUERIES, with what an outsider gets (a refusal, or their own page without it).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import jurisdiction, otp
from nigrani.accounts.models import User
from nigrani.accounts.roles import STAFF_ROLES, Level, Permission, Role, has_permission
from nigrani.analytics.models import AnalyticsEvent
from nigrani.app import create_app
from nigrani.cameras.models import Site
from nigrani.canvass import footage
from nigrani.canvass.models import FootageRequest, Incident
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.evidence import store
from nigrani.evidence.models import EvidenceItem
from nigrani.health.models import HealthTarget
from tests.accounts.factories import make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.core.test_route_permissions import PARAM, _client, _declared, fingerprint
from tests.grievances.factories import make_complaint
from tests.stations.station_fixtures import make_camera

# Each object id a route path names, and how to make the object (in station S1) to name it
# by, from the users and the objects made before it.
Make = Callable[[Session, Settings, "dict[str, User]", dict[str, Any]], object]


def _site(db: Session, settings: Settings, users: dict[str, User], _made: dict[str, Any]) -> Site:
    site = make_site(db, settings)
    site.owner_user_id = users["owner"].id
    db.flush()
    return site


def _incident(
    db: Session, _settings: Settings, users: dict[str, User], _made: dict[str, Any]
) -> Incident:
    return make_incident(db, users["io-in"])


def _request(
    db: Session, settings: Settings, users: dict[str, User], made: dict[str, Any]
) -> FootageRequest:
    site, incident = made["site_id"], made["incident_id"]
    asked = footage.send_request(
        db,
        settings=settings,
        incident=incident,
        site=site,
        data=FootageRequestCreate(site_id=site.id),
        user=users["io-in"],
    )
    return asked.request


def _item(
    db: Session, settings: Settings, _users: dict[str, User], _made: dict[str, Any]
) -> EvidenceItem:
    return store.receive(
        db,
        settings=settings,
        stream=io.BytesIO(b"\x00" * 4096),
        original_name="gate.jpg",
        media_type="image/jpeg",
        kind="clip",
        actor=audit.SYSTEM,
        node_path=jurisdiction.get_by_code(db, "S1").path,
    )


def _health_target(
    db: Session, _settings: Settings, _users: dict[str, User], made: dict[str, Any]
) -> HealthTarget:
    """A probed camera (the station camera's) in S1."""
    camera, now = made["camera_id"], datetime(2026, 12, 1, tzinfo=UTC)
    target = HealthTarget(
        station_camera_id=camera.id, node_path=camera.node_path, category_code="station",
        team="station", due_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    db.add(target)
    db.flush()
    return target


def _event(
    db: Session, _settings: Settings, _users: dict[str, User], made: dict[str, Any]
) -> AnalyticsEvent:
    """An open analytics alert on the station camera in S1."""
    camera, now = made["camera_id"], datetime(2026, 12, 1, tzinfo=UTC)
    event = AnalyticsEvent(
        uuid="00000000-0000-4000-8000-000000000001", station_camera_id=camera.id,
        station_id=camera.station_id, node_path=camera.node_path, kind="crowd_waiting",
        started_at=now, peak_json="{}", status="open", created_at=now, updated_at=now,
    )  # fmt: skip
    db.add(event)
    db.flush()
    return event


OBJECTS: dict[str, Make] = {
    "site_id": _site,
    "camera_id": lambda db, settings, _users, _made: make_camera(db, settings),
    "incident_id": _incident,
    "request_id": _request,
    "complaint_id": lambda db, settings, _users, _made: make_complaint(db, settings),
    "item_id": _item,
    "code": lambda db, _settings, _users, _made: jurisdiction.get_by_code(db, "S1"),
    # a staff account at S1 that no caller signs in as (a reset ends its sign-ins)
    "user_id": lambda db, _settings, _users, _made: make_staff(db, Role.STATION_STAFF, "S1"),
    "target_id": _health_target,
    "event_id": _event,
}

# Parameters naming a part of the object another parameter names (looked up under it).
PARTS: dict[str, str] = {
    "name": "index.m3u8",  # a file of an incident's export or of a camera's live stream
    "stream": "main",
    "day": "2026-01-01",
    "segment_id": "1",
}

# Parameters that are no object in a jurisdiction, and why.
UNSCOPED: dict[str, str] = {
    "fmt": "the Open311 reply format (json, xml)",
    "service_code": "an Open311 category",
    "service_request_id": "Open311 is the public GeoReport read of complaints, by its number",
    "token": "a link or key that is itself the credential",
    "rest": "the Open311 catch-all for unknown addresses",
    "backend": "the SMS gateway calling back",
    "upload_id": "the camera owner's upload, bound to the owner's link by a cookie",
    "token_id": "API tokens: city-wide, for the key administrator at the root",
    "job_id": "the SMS dead letters: city-wide, for the administrator at the root",
    "number": "the citizen's own complaint, by the signed-in mobile",
    "notification_id": "the signed-in user's own notification (another's answers 404)",
    "secret": "a hearing's waiting-room link: only the citizen who took the place (404)",
    "sitting_id": "a hearing's day: the officers on its panel, wherever they are posted (409)",
    "ticket_id": "a place in a hearing's queue: the officers on that day's panel (409)",
    "recording_id": "a recorded side of a hearing: the officers on that day's panel (409)",
    "window_id": "hearing hours: their owner, or who has the owner in their charge (404)",
}

# A second commissionerate: the only place an administrator (who sits at one) is outside S1.
OTHER_CITY = "C-OTHER"

# Outsiders: every staff role that may sit outside S1 (the control room at zone Z2), and
# a citizen who owns nothing. Insiders: the same roles over S1, and the site's owner.
OUTSIDE = {
    "sho-out": (Role.SHO, "S2"),
    "io-out": (Role.INVESTIGATING_OFFICER, "S2"),
    "staff-out": (Role.STATION_STAFF, "S2"),
    "acp-out": (Role.ACP, "C2"),
    "dcp-out": (Role.DCP, "Z2"),
    "control-out": (Role.CONTROL_ROOM, "Z2"),
    "admin-out": (Role.ADMIN, OTHER_CITY),
}
INSIDE = {
    "sho-in": (Role.SHO, "S1"),
    "io-in": (Role.INVESTIGATING_OFFICER, "S1"),
    "staff-in": (Role.STATION_STAFF, "S1"),
    "acp-in": (Role.ACP, "C1"),
    "dcp-in": (Role.DCP, "Z1"),
    "control-in": (Role.CONTROL_ROOM, "Z1"),
    "admin-in": (Role.ADMIN, "C"),
}

# Routes that check a permission without a `require` dependency, and which.
CHECKED_INSIDE = {
    # live_access: a file of a granted camera needs no database session, so no dependency.
    ("GET", "/stations/live/{camera_id}/{stream}/{name}"): frozenset({Permission.STATION_VIDEO}),
}

# Routes where even an insider gets a 404 here: the part the path names does not exist.
MISSING_PART = {
    ("GET", "/incidents/{incident_id}/exports/{name}"): "no export was made",
    ("GET", "/stations/live/{camera_id}/{stream}/{name}"): "no live stream is running",
    ("GET", "/stations/cameras/{camera_id}/snapshot.jpg"): "no snapshot was taken",
    ("GET", "/stations/playback/{camera_id}/segments/{segment_id}.ts"): "no recording",
    ("GET", "/analytics/events/{event_id}/snapshot"): "the alert came with no snapshot",
    ("GET", "/analytics/events/{event_id}/clip"): "no clip was cut for the alert",
}


@dataclass(frozen=True, slots=True)
class Target:
    """One method of one route that names an object in its path."""

    method: str
    path: str
    permissions: frozenset[Permission]

    def admits(self, role: Role) -> bool:
        return all(has_permission(role, p) for p in self.permissions)

    def fits(self, role: Role) -> bool:
        """Whether the role gets past every check but the jurisdiction (staff pages: staff)."""
        citizens = Permission.CITIZEN_SELF in self.permissions
        return self.admits(role) and (role in STAFF_ROLES) != citizens

    @property
    def outside_status(self) -> int:
        """A node's code is no secret (403, docs/architecture.md); any other object: 404."""
        return 403 if "{code}" in self.path else 404


def targets(app: FastAPI) -> list[Target]:
    """Every method of every route whose path names an object; fails on an unknown name."""
    found, unknown = [], []
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path or ""
        names = [m.group(1) for m in PARAM.finditer(path)]
        unknown += [f"{path}: {{{n}}}" for n in names if n not in OBJECTS | PARTS | UNSCOPED]
        if not any(n in OBJECTS for n in names):
            continue
        assert isinstance(route, APIRoute), f"{path}: not a FastAPI route"
        declared = frozenset(_declared(route.dependant))
        found += [
            Target(m, path, declared | CHECKED_INSIDE.get((m, path), frozenset()))
            for m in sorted(route.methods or ())
        ]
    assert unknown == [], "say in OBJECTS, PARTS or UNSCOPED what these parameters name"
    return found


@dataclass(slots=True)
class World:
    app: FastAPI
    connection: Connection
    roles: dict[str, Role]
    clients: dict[str, TestClient]
    ids: dict[str, str]

    def call(self, target: Target, caller: str) -> int:
        url = PARAM.sub(lambda m: (self.ids | PARTS)[m.group(1)], target.path)
        reply = self.clients[caller].request(target.method, url, follow_redirects=False)
        return int(reply.status_code)

    def try_out(self, target: Target, caller: str) -> int:
        """A call whose changes are rolled back, so the next call finds the same world."""
        savepoint = self.connection.begin_nested()
        try:
            return self.call(target, caller)
        finally:
            savepoint.rollback()


def _users(db: Session, settings: Settings) -> dict[str, User]:
    jurisdiction.create_node(
        db,
        code=OTHER_CITY,
        level=Level.COMMISSIONERATE,
        parent=None,
        name_en="Other",
        name_hi="अन्य",
    )
    users = {
        name: make_staff(db, role, node, f"jx-{name}")
        for name, (role, node) in (OUTSIDE | INSIDE).items()
    }
    for name, mobile in (("owner", "+919876500011"), ("citizen-out", "+919876500012")):
        users[name] = otp.citizen_for(db, settings=settings, e164=mobile)
    users["owner"].role = Role.CAMERA_OWNER.value
    return users


@pytest.fixture(scope="module")
def world(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    media = settings.model_copy(update={"media_dir": Path(tmp_path_factory.mktemp("jx"))})
    with engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app = create_app(media)
        app.state.sessions = sessions
        db = sessions()
        make_tree(db)
        users = _users(db, media)
        made: dict[str, Any] = {}
        for name, make in OBJECTS.items():
            made[name] = make(db, media, users, made)
        ids = {name: str(getattr(obj, "code", None) or obj.id) for name, obj in made.items()}
        ids["station"] = str(made["code"].id)  # the query's station, by its node id
        ids["own-camera:sho-out"] = str(make_camera(db, media, station="S2", name="Desk 2").id)
        ids["own-camera:sho-in"] = ids["camera_id"]
        clients = {name: _client(app, media, db, user) for name, user in users.items()}
        db.commit()
        db.close()
        roles = {name: Role(user.role) for name, user in users.items()}
        yield World(app, connection, roles, clients, ids)
        outer.rollback()


def test_every_id_in_a_route_path_is_named_here(world: World) -> None:
    found = targets(world.app)
    assert len(found) > 30  # the routes were found
    used = {m.group(1) for t in found for m in PARAM.finditer(t.path)}
    assert sorted(set(OBJECTS) - used) == [], "OBJECTS names ids no route takes any more"
    assert sorted(set(MISSING_PART) - {(t.method, t.path) for t in found}) == []


def test_callers_outside_the_jurisdiction_are_refused_and_nothing_changes(world: World) -> None:
    wrong, changed, unguarded = [], [], []
    outsiders = [*OUTSIDE, "citizen-out"]
    before = fingerprint(world.connection)
    for target in targets(world.app):
        if not any(target.fits(world.roles[c]) for c in outsiders):
            unguarded.append((target.method, target.path))
        for caller in outsiders:
            status = world.call(target, caller)
            # An outsider whose role fits is told the object does not exist (a node: 403).
            fits = target.fits(world.roles[caller])
            if status not in ((target.outside_status,) if fits else (403, 404)):
                wrong.append((target.method, target.path, caller, status))
        after = fingerprint(world.connection)
        changed += [(target.method, target.path, t) for t in before if before[t] != after[t]]
        before = after
    assert unguarded == [], "no outsider holds these routes' permissions: add one"
    assert wrong == []
    assert changed == []


def test_callers_inside_get_past_the_check(world: World) -> None:
    """The control: some insider with the route's permissions gets past, so the ids are real
    (a route that declares none may still want staff, or the owner: one is enough)."""
    wrong = []
    for target in targets(world.app):
        missing = (target.method, target.path) in MISSING_PART
        statuses = {
            caller: world.try_out(target, caller)
            for caller in [*INSIDE, "owner"]
            if target.fits(world.roles[caller])
        }
        passed = [
            s for s in statuses.values() if s not in (401, 403, 404) or (missing and s == 404)
        ]
        if not passed or any(s >= 500 for s in statuses.values()):
            wrong.append((target.method, target.path, statuses))
    assert wrong == []


# Query parameters that name an object: each route taking one is listed in QUERIES.
ID_QUERIES = frozenset({"camera", "clip", "station", "node", "site", "incident", "complaint"})


def _query_params(dependant: Dependant) -> Iterator[str]:
    yield from (p.alias for p in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def query_targets(app: FastAPI) -> set[tuple[str, str]]:
    """Every (path, query parameter) where a route takes an object by a query id."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            names = set(_query_params(route.dependant)) & ID_QUERIES
            found |= {(context.path or "", name) for name in names}
    return found


@dataclass(frozen=True, slots=True)
class Asked:
    """A query that names S1's object: what an outsider gets, and what shows it got it."""

    path: str
    param: str
    value: str  # a key of World.ids, or the query itself
    status: int  # the outsider's (the insider's is 200)
    shows: str = ""  # text on a 200 page that means the object was shown
    with_camera: bool = False  # shown only beside a camera of the caller's own
    rest: str = ""  # the other parameters the route needs

    def url(self, ids: dict[str, str], caller: str) -> str:
        own = f"&camera={ids['own-camera:' + caller]}" if self.with_camera else ""
        return f"{self.path}?{self.param}={ids.get(self.value, self.value)}{own}{self.rest}"

    def sign(self, ids: dict[str, str]) -> str:
        return self.shows.replace("{station}", ids["station"])


_NODE_PAGES = ("/cameras/report", "/cameras/report.csv", "/cameras/report.pdf")
_HEALTH_PAGES = ("/health", "/health.csv", "/health.pdf", "/health/cameras", "/health/alerts")
QUERIES = [
    Asked("/stations/playback", "camera", "camera_id", 404),
    Asked("/stations/playback", "clip", "item_id", 200, 'id="exported"', with_camera=True),
    *(Asked(p, "node", "code", 403) for p in _NODE_PAGES),
    *(Asked(p, "node", "code", 403) for p in _HEALTH_PAGES),
    Asked("/stations/compliance", "node", "code", 403),
    Asked("/stations/compliance/report.pdf", "node", "code", 403),
    Asked("/stations/cameras", "station", "station", 200, "Front desk"),
    Asked("/stations/cameras/new", "station", "station", 200, 'value="{station}" selected'),
    Asked("/stations/live", "station", "station", 200, "Front desk"),
    Asked("/analytics/rules", "station", "station", 404, 'name="crowd_waiting.min_people"'),
    Asked("/analytics", "node", "code", 403, 'id="tile-{station}"'),
    Asked(
        "/analytics/digest",
        "station",
        "station",
        404,
        'data-kind="crowd_waiting"',
        rest="&day=2026-12-01",
    ),
    Asked("/cameras", "station", "code", 200, "Gupta Sweets"),
    Asked("/cameras/export.csv", "station", "code", 200, "Gupta Sweets"),
    Asked("/cameras/export.geojson", "station", "code", 200, "Gupta Sweets"),
    Asked("/api/v1/cameras/map", "station", "code", 403, rest="&bbox=80.2,26.4,80.4,26.6&zoom=16"),
    Asked("/grievances", "station", "code", 200, "Two men snatched my phone"),
    Asked("/grievances/export.csv", "station", "code", 200, "Mall Road crossing"),
]


# Routes taking an object by a query id that only change things (no page to GET): each is
# tried from outside in its feature's own tests, named here.
POSTED = {
    ("/analytics/rules/zones", "station"): "tests/analytics/test_rules_web.py::"
    "test_a_zone_no_camera_has_or_another_stations_or_a_watchers_change_is_refused",
}


def test_every_query_id_is_named_here(world: World) -> None:
    assert query_targets(world.app) == {(q.path, q.param) for q in QUERIES} | set(POSTED)


@pytest.mark.parametrize("asked", QUERIES, ids=lambda q: f"{q.path}?{q.param}")
def test_an_object_named_in_the_query_is_refused_or_not_shown(world: World, asked: Asked) -> None:
    inside = world.clients["sho-in"].get(asked.url(world.ids, "sho-in"), follow_redirects=False)
    assert inside.status_code == 200
    assert asked.sign(world.ids) in inside.text
    before = fingerprint(world.connection)
    outside = world.clients["sho-out"].get(asked.url(world.ids, "sho-out"), follow_redirects=False)
    assert outside.status_code == asked.status
    if asked.status == 200:  # a page of the caller's own charge (its view may be audited)
        assert asked.sign(world.ids) not in outside.text
    else:
        assert fingerprint(world.connection) == before


def test_a_route_with_an_id_not_named_here_fails() -> None:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    def thing(thing_id: int) -> int:
        return thing_id

    with pytest.raises(AssertionError, match="OBJECTS, PARTS or UNSCOPED"):
        targets(app)
