"""Staff accounts: the list, adding one, and changing one (name, mobile, role, node; disable
and re-enable; a password reset). Every route needs MANAGE_USERS and finds the account only
inside the administrator's jurisdiction (elsewhere: 404); every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import jurisdiction, service
from nigrani.accounts.deps import Admin, StaffScope
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.pages import form_error, page, see_other
from nigrani.accounts.roles import STAFF_BY_RANK
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError
from nigrani.core.i18n import _
from nigrani.core.params import PathId

router = APIRouter(include_in_schema=False)

# `?done=` after a redirect: which change the page confirms (messages looked up per request,
# so each shows in the reader's language).
DONE: dict[str, Callable[[], str]] = {
    "added": lambda: _("The account was added."),
    "saved": lambda: _("The changes were saved."),
    "disabled": lambda: _("The account was disabled: its sign-ins and API keys stopped."),
    "enabled": lambda: _("The account was enabled again."),
    "password": lambda: _("The new password is set. The user must change it at next sign-in."),
}
Done = Annotated[str | None, Query(max_length=20)]


def _done(code: str | None) -> str | None:
    return DONE[code]() if code in DONE else None


def _nodes(db: DbSession, scope: StaffScope) -> list[JurisdictionNode]:
    return jurisdiction.subtree(db, scope.node)


def _users_view(
    request: Request,
    db: DbSession,
    admin: User,
    scope: StaffScope,
    *,
    error: NigraniError | None = None,
    message: str | None = None,
) -> HTMLResponse:
    return page(
        request,
        "accounts/admin_users.html",
        user=admin,
        users=service.list_staff(db, under_path=scope.node.path),
        nodes=_nodes(db, scope),
        roles=STAFF_BY_RANK,
        message=message,
        **form_error(error),
    )


@router.get("/admin/users")
def users_page(
    request: Request, db: DbSession, admin: Admin, scope: StaffScope, done: Done = None
) -> HTMLResponse:
    """Staff accounts under the administrator's node, and the form to add one."""
    return _users_view(request, db, admin, scope, message=_done(done))


@router.post("/admin/users", response_model=None)
def users_create(
    request: Request,
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=160)],
    role: Annotated[str, Form(max_length=40)],
    node_code: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Add a staff account; on a mistake the form comes back with the reason."""
    try:
        target = jurisdiction.get_by_code(db, node_code)
        if not scope.contains(target):
            raise NigraniError(_("That jurisdiction is outside your charge"), field="node")
        service.create_staff(
            db,
            username=username,
            full_name=full_name,
            role=service.parse_role(role),
            node_code=node_code,
            password=password,
            actor=service.actor_of(admin),
        )
    except NigraniError as exc:
        db.rollback()
        return _users_view(request, db, admin, scope, error=exc)
    return see_other("/admin/users?done=added")


def get_managed_user(user_id: PathId, db: DbSession, _admin: Admin, scope: StaffScope) -> User:
    """The staff account named in the path, locked, inside the administrator's charge."""
    return service.staff_in_charge(db, user_id=user_id, scope_path=scope.node.path)


ManagedUser = Annotated[User, Depends(get_managed_user)]


def _edit_page(
    request: Request,
    db: DbSession,
    admin: User,
    scope: StaffScope,
    account: User,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    response = page(
        request,
        "accounts/admin_user.html",
        user=admin,
        account=account,
        nodes=_nodes(db, scope),
        roles=STAFF_BY_RANK,
        status_code=status_code,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"  # a temporary password may be on it
    return response


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request,
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    account: ManagedUser,
    done: Done = None,
) -> HTMLResponse:
    """One staff account: its details to change, disable or enable, a password reset."""
    return _edit_page(request, db, admin, scope, account, message=_done(done))


def _refused(
    request: Request,
    db: DbSession,
    admin: User,
    scope: StaffScope,
    user_id: int,
    exc: NigraniError,
) -> HTMLResponse:
    """The account's page again with the reason, nothing changed."""
    db.rollback()
    account = service.staff_in_charge(db, user_id=user_id, scope_path=scope.node.path)
    return _edit_page(request, db, admin, scope, account, **form_error(exc))


@router.post("/admin/users/{user_id}", response_model=None)
def user_update(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    admin: Admin,
    scope: StaffScope,
    account: ManagedUser,
    full_name: Annotated[str, Form(max_length=160)] = "",
    mobile: Annotated[str, Form(max_length=20)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    node_code: Annotated[str, Form(max_length=40)] = "",
    clear_mobile: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Save a changed name, mobile, role or node (the role must fit the node). An empty
    mobile field keeps the number on file; the box beside it removes it."""
    number = "" if clear_mobile else (mobile if mobile.strip() else None)
    try:
        service.update_staff(
            db,
            user=account,
            settings=settings,
            full_name=full_name,
            mobile=number,
            role=service.parse_role(role),
            node_code=node_code,
            scope_path=scope.node.path,
            actor=service.actor_of(admin),
        )
    except NigraniError as exc:
        return _refused(request, db, admin, scope, account.id, exc)
    return see_other(f"/admin/users/{account.id}?done=saved")


@router.post("/admin/users/{user_id}/active", response_model=None)
def user_active(
    request: Request,
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    account: ManagedUser,
    active: Annotated[int, Form(ge=0, le=1)] = 0,
) -> Response:
    """Disable the account (its sign-ins and API keys stop at once) or enable it again."""
    try:
        service.set_active(db, user=account, active=bool(active), actor=service.actor_of(admin))
    except NigraniError as exc:
        return _refused(request, db, admin, scope, account.id, exc)
    done = "enabled" if active else "disabled"
    return see_other(f"/admin/users/{account.id}?done={done}")


@router.post("/admin/users/{user_id}/password", response_model=None)
def user_password(
    request: Request,
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    account: ManagedUser,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Set a new password (typed, or generated and shown on this page once)."""
    try:
        shown = service.reset_password(
            db, user=account, password=password, actor=service.actor_of(admin)
        )
    except NigraniError as exc:
        return _refused(request, db, admin, scope, account.id, exc)
    if shown is None:
        return see_other(f"/admin/users/{account.id}?done=password")
    return _edit_page(
        request, db, admin, scope, account, message=DONE["password"](), temporary=shown
    )
