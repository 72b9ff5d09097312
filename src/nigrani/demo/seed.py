"""Load the Kanpur demo into a database: the jurisdiction tree and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction, service
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.roles import Level, Role
from nigrani.core import audit
from nigrani.core.errors import Conflict
from nigrani.core.security import hash_password, new_token
from nigrani.demo.kanpur import kanpur_tree

# username, full name, role, jurisdiction code
DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("admin", "Demo Administrator", Role.ADMIN, "KNP"),
    ("commissioner", "Demo Commissioner of Police", Role.COMMISSIONER, "KNP"),
    ("auditor", "Demo Auditor", Role.AUDITOR, "KNP"),
    ("control", "Demo Control-room Operator", Role.CONTROL_ROOM, "KNP"),
    ("dcp.central", "Demo DCP Central", Role.DCP, "KNP-Z-CEN"),
    ("acp.kotwali", "Demo ACP Kotwali", Role.ACP, "KNP-C-KOTW"),
    ("sho.kotwali", "Demo SHO Kotwali", Role.SHO, "KNP-S-KOTWALI"),
    ("staff.kotwali", "Demo Desk Officer Kotwali", Role.STATION_STAFF, "KNP-S-KOTWALI"),
    (
        "io.colonelganj",
        "Demo Investigating Officer",
        Role.INVESTIGATING_OFFICER,
        "KNP-S-COLONELGANJ",
    ),
)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: Role
    jurisdiction: str
    password: str


def seed_tree(session: Session) -> int:
    """Create the demo tree unless it is there; returns how many nodes were added."""
    real = session.scalar(select(JurisdictionNode.code).where(JurisdictionNode.is_demo.is_(False)))
    if real is not None:
        raise Conflict(
            f"This database holds real jurisdictions ({real}); the demo will not mix into it. "
            "Point NIGRANI_DATABASE_URL at an empty database for the demo."
        )
    if session.scalar(select(JurisdictionNode.id).where(JurisdictionNode.code == "KNP")):
        return 0
    by_code: dict[str, JurisdictionNode] = {}
    for spec in kanpur_tree():
        by_code[spec.code] = jurisdiction.create_node(
            session,
            code=spec.code,
            level=Level(spec.level),
            name_en=spec.name_en,
            name_hi=spec.name_hi,
            parent=by_code.get(spec.parent_code or ""),
            boundary=spec.boundary,
            lat=spec.lat,
            lon=spec.lon,
            is_demo=True,
        )
    audit.record(
        session,
        actor=audit.SYSTEM,
        action="demo.seed",
        object_type="jurisdiction",
        object_id="KNP",
        detail={"nodes": len(by_code)},
    )
    return len(by_code)


def seed_users(session: Session) -> list[DemoLogin]:
    """One user per staff role, each with a fresh password (printed on every start)."""
    logins = []
    for username, full_name, role, code in DEMO_USERS:
        password = new_token(9)
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            service.create_staff(
                session,
                username=username,
                full_name=full_name,
                role=role,
                node_code=code,
                password=password,
                actor=audit.SYSTEM,
            )
        else:
            user.password_hash = hash_password(password)
            audit.record(
                session,
                actor=audit.SYSTEM,
                action="user.password_reset",
                object_type="user",
                object_id=user.id,
                reason="demo start",
            )
        node = jurisdiction.get_by_code(session, code)
        logins.append(DemoLogin(username, role, node.name_en, password))
    return logins
