"""Users, login sessions and API tokens (the sign-in steps themselves: `signin`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session, joinedload

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import ApiToken, JurisdictionNode, User, UserSession
from nigrani.accounts.roles import (
    CITIZEN_ROLES,
    ROLE_LEVELS,
    STAFF_BY_RANK,
    Level,
    Role,
    level_label,
    role_label,
)
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    ValidationFailed,
)
from nigrani.core.i18n import _
from nigrani.core.phones import mask_mobile, normalize_mobile
from nigrani.core.security import (
    FieldCipher,
    hash_password,
    new_token,
    same,
    sha256_hex,
    verify_password,
)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
KNOWN_SCOPES = frozenset(
    {"jurisdiction:read", "canvass", "worker", "integration", "admin", "open311"}
)


def actor_of(user: User | None) -> audit.Actor:
    """The audit identity of a user (or the system)."""
    if user is None:
        return audit.SYSTEM
    return audit.Actor(user.id, user.username or user.phone_masked or f"user-{user.id}")


def parse_role(value: str) -> Role:
    """A role from its name, or a clear error listing the valid ones."""
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed(
            _("Unknown role {role}; choose one of: {roles}").format(
                role=repr(value), roles=", ".join(Role)
            ),
            field="role",
        ) from None


def _check_level(role: Role, node: JurisdictionNode) -> None:
    """A role sits only at its levels; the refusal names them as people call them."""
    if Level(node.level) in ROLE_LEVELS[role]:
        return
    ranked = [level for level in Level if level in ROLE_LEVELS[role]]
    raise ValidationFailed(
        _("The role {role} is attached only to: {allowed}. This is: {level}.").format(
            role=role_label(role),
            allowed=_(" or ").join(level_label(level) for level in ranked),
            level=level_label(node.level),
        ),
        field="node",
    )


def create_staff(
    session: Session,
    *,
    username: str,
    full_name: str,
    role: Role,
    node_code: str,
    password: str,
    actor: audit.Actor,
) -> User:
    """A staff account attached to a jurisdiction node its role may sit at."""
    if role in CITIZEN_ROLES:
        raise ValidationFailed(_("Citizens sign in with their mobile number"), field="role")
    if not USERNAME.match(username):
        raise ValidationFailed(
            _("Username: 3–64 lowercase letters, digits, dot, dash or underscore"), field="username"
        )
    if not full_name.strip():
        raise ValidationFailed(_("Full name is required"), field="full_name")
    node = jurisdiction.get_by_code(session, node_code)
    _check_level(role, node)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(_("Username {name} is taken").format(name=username), field="username")
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role.value,
        node_id=node.id,
        password_hash=hash_password(password),
        is_active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        detail={"username": username, "role": role.value, "node": node.code},
    )
    return user


def start_session(
    session: Session, *, user: User, settings: Settings, pending_totp: bool = False
) -> str:
    """A new login for the user; returns the cookie token (stored only as a hash)."""
    token = new_token()
    now = utcnow()
    lifetime = timedelta(minutes=5) if pending_totp else timedelta(hours=settings.session_hours)
    session.add(
        UserSession(
            token_hash=sha256_hex(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
            pending_totp=pending_totp,
        )
    )
    if not pending_totp:
        user.last_login_at = now
        audit.record(
            session, actor=actor_of(user), action="login", object_type="user", object_id=user.id
        )
    session.flush()
    return token


def session_for_token(session: Session, token: str) -> UserSession | None:
    """The live login behind a cookie token, if any."""
    # One query for the login, its user and the user's node: every signed-in request asks.
    row = session.scalar(
        select(UserSession)
        .where(UserSession.token_hash == sha256_hex(token))
        .options(joinedload(UserSession.user).joinedload(User.node))
    )
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_active:
        return None
    return row


def end_session(session: Session, token: str) -> None:
    """Log out: the token stops working at once."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == sha256_hex(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str


def _check_new_token(name: str, scopes: list[str], expires_at: datetime | None) -> None:
    unknown = set(scopes) - KNOWN_SCOPES
    if unknown or not scopes:
        raise ValidationFailed(
            _("Scopes must be among: {scopes}").format(scopes=", ".join(sorted(KNOWN_SCOPES))),
            field="scopes",
        )
    if not name.strip() or len(name) > 120:
        raise ValidationFailed(_("Name: 1–120 characters"), field="name")
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed(_("The expiry must lie in the future"), field="expires")


def issue_token(
    session: Session,
    *,
    user: User,
    name: str,
    scopes: list[str],
    actor: audit.Actor,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """A bearer token (shown once) for a worker or an integration, acting as `user`."""
    _check_new_token(name, scopes, expires_at)
    if not user.is_active:
        raise ValidationFailed(_("The token's account is deactivated"), field="user")
    # hex: the prefix must never contain the '_' that separates the token's parts
    prefix, secret = secrets.token_hex(4), new_token(32)
    row = ApiToken(
        name=name.strip(),
        user_id=user.id,
        prefix=prefix,
        token_hash=sha256_hex(secret),
        scopes=" ".join(sorted(set(scopes))),
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    expires = expires_at.isoformat() if expires_at else None
    audit.record(
        session,
        actor=actor,
        action="token.issue",
        object_type="api_token",
        object_id=row.id,
        detail={"name": row.name, "scopes": row.scopes, "user": user.id, "expires": expires},
    )
    return IssuedToken(row, f"ngr_{prefix}_{secret}")


LAST_USED_STEP = timedelta(minutes=1)
# Every caller looks at the token's user: one query for both, built once.
_TOKEN_BY_PREFIX = (
    select(ApiToken)
    .options(joinedload(ApiToken.user, innerjoin=True))
    .where(ApiToken.prefix == bindparam("prefix"))
)


def token_for(session: Session, raw: str) -> ApiToken:
    """The live token behind an Authorization header value, or AuthenticationFailed."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "ngr":
        raise AuthenticationFailed(_("Malformed API token"))
    row = session.scalar(_TOKEN_BY_PREFIX, {"prefix": parts[1]})
    now = utcnow()
    if row is None or not same(row.token_hash, sha256_hex(parts[2])):
        raise AuthenticationFailed(_("Unknown API token"))
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise AuthenticationFailed(_("API token revoked or expired"))
    # To the minute is enough for "last used"; a busy integration need not write it per call.
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    return row


def revoke_token(session: Session, *, token_id: int, reason: str, actor: audit.Actor) -> ApiToken:
    """Stop a token from working, for a stated reason; a revoked token stays revoked."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(_("No such token"))
    if not reason.strip():
        raise ValidationFailed(_("Give a reason for revoking the key"), field="reason")
    if row.revoked_at is not None:
        raise Conflict(_("This key was already revoked"))
    row.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.revoke",
        object_type="api_token",
        object_id=row.id,
        detail={"name": row.name, "reason": reason.strip()[:500]},
    )
    return row


def list_tokens(session: Session) -> list[ApiToken]:
    """Every API token with its account, newest first (the secrets are not stored)."""
    stmt = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id.desc())
    return list(session.scalars(stmt))


def get_staff(session: Session, username: str) -> User:
    """The staff account with this username, or NotFound."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.role in CITIZEN_ROLES:
        raise NotFound(_("No staff account {name}").format(name=username), field="user")
    return user


def list_staff(session: Session, *, under_path: str) -> list[User]:
    """Staff attached anywhere under a node path, by rank (roles.STAFF_BY_RANK), then name."""
    from nigrani.accounts.models import JurisdictionNode

    rank = case({r.value: i for i, r in enumerate(STAFF_BY_RANK)}, value=User.role, else_=99)
    stmt = (
        select(User)
        .join(JurisdictionNode, User.node_id == JurisdictionNode.id)
        .where(jurisdiction.under(JurisdictionNode.path, under_path))
        .order_by(rank, User.username)
    )
    return list(session.scalars(stmt))


# Staff administration: edit, disable and re-enable, reset a password, move to another node
# or role. Each loads the account locked (FOR UPDATE on PostgreSQL; SQLite writes one at a
# time) inside the administrator's jurisdiction, and audits what it changed.

PASSWORD_MIN = 10
# No 0/o, 1/l/i: a temporary password is read out or copied by hand.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def staff_in_charge(session: Session, *, user_id: int, scope_path: str) -> User:
    """The staff account `user_id`, locked for a change, if it lies inside the caller's
    jurisdiction; NotFound for a citizen, an unattached account or one outside."""
    user = session.scalar(
        select(User)
        .where(User.id == user_id)
        .options(joinedload(User.node, innerjoin=False))
        .with_for_update(of=User)
    )
    if (
        user is None
        or user.role in CITIZEN_ROLES
        or user.node is None
        or not jurisdiction.within(user.node.path, scope_path)
    ):
        raise NotFound(_("No such staff account"))
    return user


def _snapshot(user: User) -> dict[str, str | bool | None]:
    """The non-secret fields the audit log shows before and after a change."""
    return {
        "full_name": user.full_name,
        "mobile": user.phone_masked,
        "role": user.role,
        "node": user.node.code if user.node else None,
        "active": user.is_active,
    }


def _audit_change(
    session: Session,
    user: User,
    before: dict[str, str | bool | None],
    *,
    action: str,
    actor: audit.Actor,
) -> None:
    after = _snapshot(user)
    changed = sorted(k for k in after if after[k] != before[k])
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="user",
        object_id=user.id,
        detail={
            "username": user.username,
            "before": {k: before[k] for k in changed},
            "after": {k: after[k] for k in changed},
        },
    )


def _place(session: Session, user: User, role: Role, node_code: str, scope_path: str) -> None:
    """Attach the user to a node inside the scope that the role may sit at."""
    if role in CITIZEN_ROLES:
        raise ValidationFailed(_("Citizens sign in with their mobile number"), field="role")
    node = jurisdiction.get_by_code(session, node_code)
    if not jurisdiction.within(node.path, scope_path):
        raise ValidationFailed(_("That jurisdiction is outside your charge"), field="node")
    _check_level(role, node)
    user.role, user.node_id, user.node = role.value, node.id, node


def update_staff(
    session: Session,
    *,
    user: User,
    settings: Settings,
    full_name: str,
    mobile: str | None,
    role: Role,
    node_code: str,
    scope_path: str,
    actor: audit.Actor,
) -> bool:
    """Change a staff account's name, mobile (None: keep it, "": remove it), role and node;
    whether anything changed.

    The mobile is stored encrypted with a mask for display, never as the lookup hash that
    citizen sign-in uses: a staff account signs in with its password only. An administrator
    cannot move their own account (they would lose the page they stand on)."""
    if not full_name.strip():
        raise ValidationFailed(_("Full name is required"), field="full_name")
    before = _snapshot(user)
    if actor.id == user.id and (role.value != user.role or node_code != before["node"]):
        raise Conflict(_("You cannot change the role or jurisdiction of your own account"))
    _place(session, user, role, node_code, scope_path)
    user.full_name = full_name.strip()
    if mobile is None:
        pass  # kept as it is: the page never shows the whole number
    elif not mobile.strip():
        user.phone_enc = user.phone_masked = None
    else:
        e164 = normalize_mobile(mobile)
        if mask_mobile(e164) != user.phone_masked or user.phone_enc is None:
            user.phone_enc = FieldCipher(settings.encryption_key).encrypt(e164)
            user.phone_masked = mask_mobile(e164)
    session.flush()
    if _snapshot(user) == before:
        return False
    _audit_change(session, user, before, action="user.update", actor=actor)
    return True


def _revoke_sessions(session: Session, user: User) -> None:
    """End every login of the user at once (the next request is signed out)."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def set_active(session: Session, *, user: User, active: bool, actor: audit.Actor) -> None:
    """Disable an account (its logins end, its API keys stop) or enable it again."""
    if actor.id == user.id and not active:
        raise Conflict(_("You cannot disable your own account"))
    if user.is_active == active:
        return
    before = _snapshot(user)
    user.is_active = active
    if not active:
        _revoke_sessions(session, user)
    session.flush()
    _audit_change(
        session, user, before, action="user.enable" if active else "user.disable", actor=actor
    )


def temporary_password() -> str:
    """A random password to read out once: 3 groups of 4 unambiguous characters."""
    chars = [secrets.choice(_TEMP_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i : i + 4]) for i in (0, 4, 8))


def reset_password(
    session: Session, *, user: User, password: str, actor: audit.Actor
) -> str | None:
    """A new password (the one given, or a generated one that is returned to show once);
    the user's logins end and the next sign-in must choose a password of their own."""
    given = password.strip() != ""
    if given and len(password) < PASSWORD_MIN:
        raise ValidationFailed(
            _("The password needs at least {n} characters").format(n=PASSWORD_MIN),
            field="password",
        )
    chosen = password if given else temporary_password()
    user.password_hash = hash_password(chosen)
    user.must_change_password = True
    _revoke_sessions(session, user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        detail={"username": user.username, "generated": not given},
    )
    return None if given else chosen


def change_own_password(
    session: Session, *, user: User, password: str, confirm: str, keep_token: str
) -> None:
    """The signed-in user's own new password; their other logins end."""
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed(
            _("The password needs at least {n} characters").format(n=PASSWORD_MIN),
            field="password",
        )
    if password != confirm:
        raise ValidationFailed(_("The two passwords differ"), field="confirm")
    if user.password_hash and verify_password(user.password_hash, password):
        raise ValidationFailed(_("Choose a password different from the old one"), field="password")
    user.password_hash = hash_password(password)
    user.must_change_password = False
    session.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.token_hash != sha256_hex(keep_token),
        )
        .values(revoked_at=utcnow())
    )
    session.flush()
    audit.record(
        session,
        actor=actor_of(user),
        action="user.password_change",
        object_type="user",
        object_id=user.id,
    )
