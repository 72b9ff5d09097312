"""Every state-changing route × every role. Each route names the permission it needs, read
from its own dependencies (`require` / `require_staff`), so a new route is covered without
being listed; one that names none fails unless OPEN says why it needs none. Every role
without the permission gets a 403 (a caller not signed in a 401) that changes nothing in
the database; every role with it gets past the check.

One app, one user per role and one object of each kind for the whole module: the calls
name real ids (an id that exists nowhere where no cheap factory exists: the check runs
before any object is loaded, so a refusal is a 403 either way)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker

import nigrani.models  # noqa: F401  (every table, for the fingerprint)
from nigrani.accounts import otp
from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import SESSION_COOKIE, declared_permission
from nigrani.accounts.models import User
from nigrani.accounts.roles import CITIZEN_ROLES, Permission, Role, has_permission
from nigrani.app import create_app
from nigrani.canvass import footage
from nigrani.canvass.schemas import FootageRequestCreate
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import Base
from nigrani.core.web_context import CSRF_COOKIE, CSRF_HEADER, csrf_token_for
from tests.accounts.factories import make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.grievances.factories import make_complaint
from tests.stations.station_fixtures import make_camera

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PARAM = re.compile(r"\{(\w+)(:\w+)?\}")
NOWHERE = 2**31 - 1  # an id no row has

# Routes that change state without a role permission, and why each needs none.
OPEN: dict[tuple[str, str], str] = {
    ("POST", "/login"): "staff sign-in: the password (then the TOTP code) is the credential",
    ("POST", "/login/totp"): "the second step of sign-in, for the pending session only",
    ("POST", "/logout"): "ends the caller's own session and nothing else",
    ("POST", "/account/totp"): "the signed-in user's own second factor, whatever the role",
    ("POST", "/account/totp/confirm"): "confirms the signed-in user's own new second factor",
    ("POST", "/account/password"): "the signed-in user's own new password, whatever the role",
    ("POST", "/citizen/login"): "citizen sign-in: a code to the mobile (rate-limited)",
    ("POST", "/citizen/login/code"): "citizen sign-in: the code sent to the mobile",
    ("POST", "/citizen/login/demo-sms"): "demo mode only: shows the code that was sent",
    ("POST", "/open311/v2/requests.{fmt}"): "Open311 intake: anyone may report; a key says who",
    ("POST", "/open311/v2/{rest:path}"): "GeoReport's error for an unknown address",
    ("POST", "/webhooks/whatsapp"): "WhatsApp's servers, proved by the payload signature",
    ("POST", "/webhooks/sms/{backend}"): "the SMS gateway's delivery reports, by its secret",
    ("POST", "/f/{token}"): "a camera owner opens a footage request: the link is the credential",
    ("POST", "/footage/decline"): "the owner's browser, bound to the link by its cookie",
    ("POST", "/footage/uploads"): "the owner's browser, bound to the link by its cookie",
    ("PATCH", "/footage/uploads/{upload_id}"): "the owner's upload, bound to the link",
}

# Who may do what, pinned here: widening a permission in roles.py fails this test until the
# table says so too.
_POLICE = {Role.SHO, Role.CONTROL_ROOM, Role.ACP, Role.DCP, Role.COMMISSIONER}
MAY: dict[Permission, frozenset[Role]] = {
    Permission.VIEW_DASHBOARD: frozenset(set(Role) - CITIZEN_ROLES),
    Permission.CITIZEN_SELF: frozenset(CITIZEN_ROLES),
    Permission.CANVASS: frozenset(_POLICE | {Role.INVESTIGATING_OFFICER}),
    Permission.GRIEVANCES: frozenset(_POLICE | {Role.INVESTIGATING_OFFICER, Role.STATION_STAFF}),
    Permission.STATION_VIDEO: frozenset(_POLICE),
    Permission.REGISTER_CAMERAS: frozenset({Role.SHO, Role.CONTROL_ROOM, Role.ADMIN}),
    Permission.IMPORT_CAMERAS: frozenset({Role.CONTROL_ROOM, Role.ADMIN}),
    Permission.MANAGE_STATION_CAMERAS: frozenset({Role.SHO, Role.CONTROL_ROOM}),
    Permission.MANAGE_CAMERA_HEALTH: frozenset({Role.SHO, Role.CONTROL_ROOM, Role.ADMIN}),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    Permission.MANAGE_JURISDICTION: frozenset({Role.ADMIN}),
    Permission.MANAGE_API_KEYS: frozenset({Role.ADMIN}),
    Permission.POST_ANALYTICS_EVENTS: frozenset({Role.CONTROL_ROOM, Role.ADMIN}),
    Permission.HANDLE_ANALYTICS_ALERTS: frozenset(_POLICE),
    Permission.MANAGE_ANALYTICS_RULES: frozenset({Role.SHO, Role.ACP, Role.DCP, Role.COMMISSIONER}),
    Permission.HOLD_HEARINGS: frozenset({Role.SHO, Role.ACP, Role.DCP, Role.COMMISSIONER}),
    Permission.PUBLISH_HEARING_WINDOWS: frozenset(
        {Role.SHO, Role.ACP, Role.DCP, Role.COMMISSIONER, Role.ADMIN}
    ),
}

# Where each staff role sits: all of them above or at S1, where every object lies.
NODES = {
    Role.STATION_STAFF: "S1",
    Role.SHO: "S1",
    Role.INVESTIGATING_OFFICER: "S1",
    Role.ACP: "C1",
    Role.DCP: "Z1",
    Role.CONTROL_ROOM: "C",
    Role.COMMISSIONER: "C",
    Role.AUDITOR: "C",
    Role.ADMIN: "C",
}
Caller = Role | None  # None: nobody signed in


@dataclass(frozen=True, slots=True)
class Gate:
    """One method of one route, and the permissions its dependencies check."""

    method: str
    path: str
    permissions: frozenset[Permission]

    def admits(self, caller: Caller) -> bool:
        return caller is not None and all(has_permission(caller, p) for p in self.permissions)


def _declared(dependant: Dependant) -> Iterator[Permission]:
    if (permission := declared_permission(dependant.call)) is not None:
        yield permission
    for sub in dependant.dependencies:
        yield from _declared(sub)


def gates(app: FastAPI) -> list[Gate]:
    """Every state-changing method of every route, with what it declares."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        methods = set(getattr(route, "methods", None) or ()) & STATE_CHANGING
        if not methods:
            continue
        path = context.path or ""
        assert isinstance(route, APIRoute), f"{path}: not a FastAPI route"
        declared = frozenset(_declared(route.dependant))
        found += [Gate(m, path, declared) for m in sorted(methods)]
    return found


@dataclass(slots=True)
class World:
    app: FastAPI
    connection: Connection
    clients: dict[Caller, TestClient]
    ids: dict[str, str]

    def url(self, gate: Gate) -> str:
        return PARAM.sub(lambda m: self.ids[m.group(1)], gate.path)

    def call(self, gate: Gate, caller: Caller) -> int:
        client = self.clients[caller]
        reply = client.request(gate.method, self.url(gate), follow_redirects=False)
        return int(reply.status_code)


def fingerprint(connection: Connection) -> dict[str, str]:
    """A hash of every row of every table."""
    sums = {}
    for table in Base.metadata.sorted_tables:
        rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
        sums[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return sums


def _users(db: Session, settings: Settings) -> dict[Role, User]:
    users = {role: make_staff(db, role, node, f"perm-{role.value}") for role, node in NODES.items()}
    for role, mobile in ((Role.CITIZEN, "+919876500001"), (Role.CAMERA_OWNER, "+919876500002")):
        users[role] = otp.citizen_for(db, settings=settings, e164=mobile)
        users[role].role = role.value
    return users


def _objects(db: Session, settings: Settings, users: dict[Role, User]) -> dict[str, str]:
    """One object of each kind, in station S1; their ids by the names routes give them."""
    site = make_site(db, settings)
    site.owner_user_id = users[Role.CAMERA_OWNER].id
    incident = make_incident(db, users[Role.INVESTIGATING_OFFICER])
    asked = footage.send_request(
        db,
        settings=settings,
        incident=incident,
        site=site,
        data=FootageRequestCreate(site_id=site.id),
        user=users[Role.INVESTIGATING_OFFICER],
    )
    complaint = make_complaint(db, settings)
    camera = make_camera(db, settings)
    token = accounts_service.issue_token(
        db, user=users[Role.ADMIN], name="gis", scopes=["integration"], actor=audit.SYSTEM
    )
    db.flush()
    ids = {
        "site_id": site.id,
        "incident_id": incident.id,
        "request_id": asked.request.id,
        "complaint_id": complaint.id,
        "number": complaint.number,
        "camera_id": camera.id,
        "token_id": token.token.id,
        "item_id": NOWHERE,  # evidence: the store needs files; the check comes first
        "job_id": NOWHERE,  # an SMS dead letter
        # a staff account at S1 that no caller signs in as (a reset ends its sign-ins)
        "user_id": make_staff(db, Role.STATION_STAFF, "S1", "perm-account").id,
        "notification_id": NOWHERE,  # the caller's own notification: none is someone else's
        "target_id": NOWHERE,  # a probed camera: the permission is checked before it is loaded
        "event_id": NOWHERE,  # an analytics alert: the permission is checked before it is loaded
        "secret": "0" * 40,  # a hearing's waiting room: no such link (the citizen is checked first)
        "sitting_id": NOWHERE,  # a hearing's day: the permission is checked before it is loaded
        "ticket_id": NOWHERE,
        "recording_id": NOWHERE,
        "window_id": NOWHERE,
    }
    return {name: str(value) for name, value in ids.items()}


def _client(app: FastAPI, settings: Settings, db: Session, user: User | None) -> TestClient:
    client = TestClient(app)
    client.cookies.set(CSRF_COOKIE, "perm-csrf")
    client.headers[CSRF_HEADER] = csrf_token_for(settings.secret_key, "perm-csrf")
    if user is not None:
        cookie = accounts_service.start_session(db, user=user, settings=settings)
        client.cookies.set(SESSION_COOKIE, cookie)
    return client


@pytest.fixture(scope="module")
def world(engine: Engine, settings: Settings) -> Iterator[World]:
    with engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app = create_app(settings)
        app.state.sessions = sessions
        db = sessions()
        make_tree(db)
        users = _users(db, settings)
        ids = _objects(db, settings, users)
        callers: list[Caller] = [*Role, None]
        clients = {c: _client(app, settings, db, users[c] if c else None) for c in callers}
        db.commit()
        db.close()
        yield World(app, connection, clients, ids)
        outer.rollback()


def test_every_state_changing_route_names_a_permission_or_says_why_not(world: World) -> None:
    found = gates(world.app)
    keys = {(g.method, g.path) for g in found}
    unguarded = [
        f"{g.method} {g.path}"
        for g in found
        if not g.permissions and (g.method, g.path) not in OPEN
    ]
    guarded_open = [
        f"{g.method} {g.path}" for g in found if g.permissions and (g.method, g.path) in OPEN
    ]
    assert unguarded == [], "name a permission (require/require_staff) or list the route in OPEN"
    assert guarded_open == [], "these declare a permission now: take them out of OPEN"
    assert sorted(set(OPEN) - keys) == [], "OPEN names routes that no longer exist"


def test_the_table_of_who_may_do_what_is_the_roles(world: World) -> None:
    used = {p for g in gates(world.app) for p in g.permissions}
    assert used <= set(MAY), "a new permission guards a route: say in MAY who holds it"
    holders = {p: frozenset(r for r in Role if has_permission(r, p)) for p in MAY}
    assert holders == MAY


def test_every_role_without_the_permission_is_refused_and_nothing_changes(world: World) -> None:
    guarded = [g for g in gates(world.app) if g.permissions]
    assert len(guarded) > 30  # the routes were found
    wrong, changed, calls = [], [], 0
    before = fingerprint(world.connection)
    for gate in guarded:
        for caller in world.clients:
            if gate.admits(caller):
                continue
            status, calls = world.call(gate, caller), calls + 1
            if status != (401 if caller is None else 403):
                wrong.append((gate.method, gate.path, caller, status))
        after = fingerprint(world.connection)
        changed += [(gate.method, gate.path, t) for t in before if before[t] != after[t]]
        before = after
    assert wrong == []
    assert changed == []
    assert calls > 300


def test_every_role_with_the_permission_gets_past_the_check(world: World) -> None:
    wrong = []
    for gate in (g for g in gates(world.app) if g.permissions):
        for caller in world.clients:
            if gate.admits(caller):
                status = world.call(gate, caller)
                if status in (401, 403) or status >= 500:
                    wrong.append((gate.method, gate.path, caller, status))
    assert wrong == []
