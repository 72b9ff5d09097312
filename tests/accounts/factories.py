"""Builders for jurisdiction trees and users in tests."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction, service
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Level, Role
from nigrani.core import audit

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    """A rectangle as a GeoJSON polygon."""
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_tree(db: Session) -> dict[str, JurisdictionNode]:
    """A small city: 2 zones × 1 circle × 2 stations (+1 post), boxes around Kanpur."""
    nodes: dict[str, JurisdictionNode] = {}

    def add(code: str, level: Level, parent: str | None, area: dict[str, Any] | None) -> None:
        nodes[code] = jurisdiction.create_node(
            db,
            code=code,
            level=level,
            name_en=f"{code} en",
            name_hi=f"{code} हिन्दी",
            parent=nodes.get(parent or ""),
            boundary=area,
        )

    add("C", Level.COMMISSIONERATE, None, box(80.2, 26.4, 80.4, 26.6))
    add("Z1", Level.ZONE, "C", box(80.2, 26.4, 80.3, 26.6))
    add("Z2", Level.ZONE, "C", box(80.3, 26.4, 80.4, 26.6))
    add("C1", Level.CIRCLE, "Z1", box(80.2, 26.4, 80.3, 26.6))
    add("C2", Level.CIRCLE, "Z2", box(80.3, 26.4, 80.4, 26.6))
    add("S1", Level.STATION, "C1", box(80.2, 26.4, 80.3, 26.5))
    add("S2", Level.STATION, "C1", box(80.2, 26.5, 80.3, 26.6))
    add("S3", Level.STATION, "C2", box(80.3, 26.4, 80.4, 26.6))
    add("P1", Level.POST, "S1", box(80.2, 26.4, 80.25, 26.45))
    db.flush()
    return nodes


def make_staff(db: Session, role: Role, node_code: str, username: str | None = None) -> User:
    """A staff user with the shared test password."""
    return service.create_staff(
        db,
        username=username or f"{role.value.replace('_', '-')}-{node_code.lower()}",
        full_name=f"Test {role.value}",
        role=role,
        node_code=node_code,
        password=PASSWORD,
        actor=audit.SYSTEM,
    )


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page hands the browser (also sets the CSRF cookie)."""
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    """Sign in through the staff form, as a browser would."""
    token = csrf_from(client)
    response: Response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response
