"""Who is asking, and what they may see: the one place jurisdiction is enforced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute, Session

from nigrani.accounts import jurisdiction, service
from nigrani.accounts.models import ApiToken, JurisdictionNode, User
from nigrani.accounts.roles import STAFF_ROLES, Permission, Role, has_permission
from nigrani.core.db import reads_first
from nigrani.core.deps import DbSession
from nigrani.core.errors import AuthenticationFailed, NotFound, PermissionDenied
from nigrani.core.i18n import _
from nigrani.core.params import PathId

SESSION_COOKIE = "nigrani_session"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def get_token(request: Request, db: DbSession) -> ApiToken | None:
    """The API token presented with the request, if any (a bad one is refused)."""
    raw = _bearer(request)
    return service.token_for(db, raw) if raw else None


def signed_in(session: Session, cookie: str | None) -> User | None:
    """The user a session cookie belongs to, once fully signed in (TOTP done), or None."""
    login = service.session_for_token(session, cookie) if cookie else None
    if login is None or login.pending_totp:
        return None
    return login.user


# Set by require_scope (and accept_any_token) on the request: a token stands for its user
# only on routes that name a scope, so an Open311 key issued by an administrator cannot
# drive the administrator's pages. Route dependencies run before the endpoint's own.
SCOPE_CHECKED = "scope_checked"


def get_optional_user(
    request: Request, db: DbSession, token: Annotated[ApiToken | None, Depends(get_token)]
) -> User | None:
    """The signed-in user (cookie) or the token's user, or None."""
    if token is not None:
        if not getattr(request.state, SCOPE_CHECKED, False):
            raise PermissionDenied(_("API tokens are not accepted here"))
        return token.user if token.user.is_active else None
    return signed_in(db, request.cookies.get(SESSION_COOKIE))


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def user_for_error_page(request: Request) -> User | None:
    """The signed-in user, looked up afresh, so an error page still shows the shell."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = request.app.state.sessions()
    try:
        # Reads first: the page for a POST that timed out in SQLite's writer queue (503)
        # must not queue there again.
        with reads_first():
            user = signed_in(session, cookie)
            if user is not None:
                _ = user.node  # load what the shell shows before the session closes
        return user
    finally:
        session.close()


# Dependencies that do no I/O are async: FastAPI runs each sync one on a worker thread, a
# hop that costs more than the check itself.
# What an account whose password an administrator reset may still open: its own page, where
# it chooses a new password (signing out needs no user).
PASSWORD_PAGES = frozenset({"/account", "/account/password"})


async def get_current_user(request: Request, user: OptionalUser) -> User:
    """The signed-in user, or 401 (pages redirect to the sign-in form); 403 on any page but
    its own while a password reset by an administrator waits to be replaced."""
    if user is None:
        raise AuthenticationFailed(_("Please sign in to continue."))
    if (
        user.must_change_password
        and _bearer(request) is None
        and request.url.path not in PASSWORD_PAGES
    ):
        raise PermissionDenied(
            _("Your password was reset. Choose a new one under My account first.")
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


# Every permission check made by `require` and `require_staff`, by its dependency: the
# route table test (tests/core/test_route_permissions.py) reads what each route demands.
_DECLARED: dict[Callable[..., object], Permission] = {}


def declared_permission(call: Callable[..., object] | None) -> Permission | None:
    """The permission a dependency checks, if it is one made by `require`/`require_staff`."""
    return _DECLARED.get(call) if call is not None else None


def _role_refusal() -> str:
    return _("Your role does not allow this page.")


def require(
    permission: Permission, refusal: Callable[[], str] = _role_refusal
) -> Callable[[User], Awaitable[User]]:
    """A dependency that lets through only users whose role carries the permission."""

    async def check(user: CurrentUser) -> User:
        if not has_permission(Role(user.role), permission):
            raise PermissionDenied(refusal())
        return user

    _DECLARED[check] = permission
    return check


def require_scope(scope: str) -> Callable[[Request, ApiToken | None], Awaitable[None]]:
    """A dependency that admits token callers whose token carries the scope (others: 403)."""

    async def check(
        request: Request, token: Annotated[ApiToken | None, Depends(get_token)]
    ) -> None:
        if token is not None and scope not in token.scopes.split():
            raise PermissionDenied(_("This API token lacks the {scope} scope").format(scope=scope))
        setattr(request.state, SCOPE_CHECKED, True)

    return check


async def accept_any_token(request: Request) -> None:
    """Admit a token of any scope (for routes that only say who the caller is)."""
    setattr(request.state, SCOPE_CHECKED, True)


@dataclass(frozen=True, slots=True)
class Scope:
    """The part of the tree a staff user may see: their node and everything under it."""

    user: User
    node: JurisdictionNode

    def contains(self, node: JurisdictionNode) -> bool:
        """Whether a node lies inside this scope."""
        return self.covers(node.path)

    def covers(self, path: str) -> bool:
        """Whether an object at this node path (its `node_path`) lies inside this scope."""
        return jurisdiction.within(path, self.node.path)

    def where(self, path_column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """A query filter keeping rows whose node path lies inside this scope."""
        return jurisdiction.under(path_column, self.node.path)


def staff_scope(user: User) -> Scope:
    """A staff user's jurisdiction; citizens and unattached users have none (403)."""
    if Role(user.role) not in STAFF_ROLES or user.node is None:
        raise PermissionDenied(_("This page is for police staff."))
    return Scope(user=user, node=user.node)


def get_scope(user: CurrentUser) -> Scope:
    """The caller's jurisdiction (see staff_scope)."""
    return staff_scope(user)


StaffScope = Annotated[Scope, Depends(get_scope)]


def require_staff(
    permission: Permission, refusal: Callable[[], str] = _role_refusal
) -> Callable[[Scope], Awaitable[Scope]]:
    """A dependency giving the jurisdiction of staff whose role carries the permission."""

    async def check(scope: StaffScope) -> Scope:
        if not has_permission(Role(scope.user.role), permission):
            raise PermissionDenied(refusal())
        return scope

    _DECLARED[check] = permission
    return check


def get_visible_node(code: str, scope: StaffScope, db: DbSession) -> JurisdictionNode:
    """The node named in the path, if it lies in the caller's jurisdiction (else 403)."""
    node = jurisdiction.get_by_code(db, code)
    if not scope.contains(node):
        raise PermissionDenied(_("This jurisdiction is outside your charge."))
    return node


VisibleNode = Annotated[JurisdictionNode, Depends(get_visible_node)]
Auditor = Annotated[User, Depends(require(Permission.VIEW_AUDIT))]
Admin = Annotated[User, Depends(require(Permission.MANAGE_USERS))]
KeyAdmin = Annotated[User, Depends(require(Permission.MANAGE_API_KEYS))]
Citizen = Annotated[User, Depends(require(Permission.CITIZEN_SELF))]


# A staff member whose role may open incidents and canvass (403 otherwise).
get_investigator = require_staff(
    Permission.CANVASS, lambda: _("Your role does not allow incident canvass.")
)


Investigator = Annotated[Scope, Depends(get_investigator)]


def get_report_node(
    scope: StaffScope,
    db: DbSession,
    node: Annotated[str | None, Query(max_length=40)] = None,
) -> JurisdictionNode:
    """The node asked for (`?node=CODE`) if inside the caller's charge (else 403), or their own."""
    return get_visible_node(node, scope, db) if node else scope.node


ReportNode = Annotated[JurisdictionNode, Depends(get_report_node)]


def get_managed_token(token_id: PathId, db: DbSession, _admin: KeyAdmin) -> ApiToken:
    """The API token named in the path, for someone who manages keys (404 if none)."""
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("No such token"))
    return token


ManagedToken = Annotated[ApiToken, Depends(get_managed_token)]
