"""Sign-in pages: staff (password, then TOTP if enabled) and citizens (mobile + SMS code)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from nigrani.accounts import otp, service, signin
from nigrani.accounts.deps import SESSION_COOKIE, Citizen, CurrentUser, OptionalUser
from nigrani.accounts.models import User
from nigrani.accounts.pages import client_of, page, safe_next, see_other
from nigrani.core.config import Settings
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import (
    AuthenticationFailed,
    NigraniError,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from nigrani.core.i18n import _
from nigrani.core.sms import SmsMessage, sent_texts
from nigrani.core.templating import render

router = APIRouter(include_in_schema=False)
TOTP_COOKIE = "nigrani_totp"


def _set_session(
    response: Response,
    token: str,
    *,
    secure: bool,
    name: str = SESSION_COOKIE,
    max_age: int | None = None,
) -> Response:
    response.set_cookie(
        name, token, httponly=True, secure=secure, samesite="lax", max_age=max_age, path="/"
    )
    return response


def _refusal(request: Request, template: str, exc: NigraniError, **context: Any) -> HTMLResponse:
    """The form again with the error; a 429 says in `Retry-After` when to try again."""
    response = page(request, template, error=exc.message, status_code=exc.status, **context)
    if isinstance(exc, RateLimited) and exc.retry_after:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/login")
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> HTMLResponse:
    """Staff sign-in form."""
    return page(request, "accounts/login.html", user=user, next=safe_next(next, "/dashboard"))


@router.post("/login", response_model=None)
def login(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    """Check the password; finish, or ask for the authenticator code."""
    address = client_of(request)
    try:
        signin.reserve_password_try(db, settings=settings, username=username, address=address)
        db.commit()  # the try is counted before the slow hash, and no row stays locked in it
        user = signin.check_password(
            db, settings=settings, username=username, password=password, address=address
        )
    except (AuthenticationFailed, RateLimited) as exc:
        return _refusal(
            request,
            "accounts/login.html",
            exc,
            user=None,
            username=username,
            next=safe_next(next, "/dashboard"),
        )
    pending = signin.totp_enabled(user)
    token = service.start_session(db, user=user, settings=settings, pending_totp=pending)
    if pending:
        target = f"/login/totp?next={safe_next(next, '/dashboard')}"
        return _set_session(
            see_other(target), token, secure=settings.cookie_secure, name=TOTP_COOKIE, max_age=300
        )
    target = "/account/password" if user.must_change_password else safe_next(next, "/dashboard")
    return _set_session(see_other(target), token, secure=settings.cookie_secure)


@router.get("/login/totp")
def totp_form(request: Request, next: str | None = None) -> HTMLResponse:
    """Second step for users with an authenticator app."""
    return page(request, "accounts/totp.html", user=None, next=safe_next(next, "/dashboard"))


@router.post("/login/totp", response_model=None)
def totp_check(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    """Finish a staff sign-in with the authenticator code."""
    pending = request.cookies.get(TOTP_COOKIE, "")
    try:
        token = signin.complete_totp(db, token=pending, code=code, settings=settings)
    except (AuthenticationFailed, RateLimited) as exc:
        # The wrong try stays counted: the refusal is a page, so the request commits.
        return _refusal(
            request, "accounts/totp.html", exc, user=None, next=safe_next(next, "/dashboard")
        )
    login = service.session_for_token(db, token)
    reset = login is not None and login.user.must_change_password
    response = see_other("/account/password" if reset else safe_next(next, "/dashboard"))
    response.delete_cookie(TOTP_COOKIE, path="/")
    return _set_session(response, token, secure=settings.cookie_secure)


@router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    """End the session on the server and in the browser."""
    if token := request.cookies.get(SESSION_COOKIE):
        service.end_session(db, token)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _account_context(user: User, settings: Settings) -> dict[str, Any]:
    # The key waiting for its confirming code is shown until it is confirmed or expires.
    return {
        "user": user,
        "totp_on": signin.totp_enabled(user),
        "totp_uri": signin.pending_uri(user, settings),
    }


@router.get("/account")
def account(request: Request, user: CurrentUser, settings: SettingsDep) -> HTMLResponse:
    """The signed-in staff user's own settings (two-factor sign-in)."""
    return page(request, "accounts/account.html", **_account_context(user, settings))


@router.get("/account/password")
def account_password_form(
    request: Request, user: CurrentUser, settings: SettingsDep
) -> HTMLResponse:
    """The signed-in user's own page, open at the form for a new password."""
    return page(request, "accounts/account.html", **_account_context(user, settings))


@router.post("/account/password")
def account_password(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: CurrentUser,
    password: Annotated[str, Form(max_length=256)] = "",
    confirm: Annotated[str, Form(max_length=256)] = "",
) -> HTMLResponse:
    """Replace one's own password (after a reset by an administrator, before anything else);
    the user's other sign-ins end."""
    try:
        service.change_own_password(
            db,
            user=user,
            password=password,
            confirm=confirm,
            keep_token=request.cookies.get(SESSION_COOKIE, ""),
        )
    except ValidationFailed as exc:
        context = _account_context(user, settings)
        return page(
            request,
            "accounts/account.html",
            password_error=exc.message,
            status_code=exc.status,
            **context,
        )
    context = _account_context(user, settings)
    return page(request, "accounts/account.html", password_changed=True, **context)


@router.post("/account/totp")
def account_totp(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: CurrentUser,
    password: Annotated[str, Form(max_length=256)] = "",
) -> HTMLResponse:
    """After the password again, a new authenticator key, in force once a code confirms it."""
    address = client_of(request)
    try:
        signin.reserve_password_try(
            db, settings=settings, username=user.username or "", address=address
        )
        db.commit()  # counted before the slow hash, as at sign-in
        signin.reauthenticate(db, user=user, settings=settings, password=password, address=address)
    except (AuthenticationFailed, RateLimited) as exc:
        return _refusal(request, "accounts/account.html", exc, **_account_context(user, settings))
    signin.begin_totp(db, user=user, settings=settings)
    return page(request, "accounts/account.html", **_account_context(user, settings))


@router.post("/account/totp/confirm")
def account_totp_confirm(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    user: CurrentUser,
    code: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """Put the new authenticator key in force with a code it produced."""
    try:
        signin.confirm_totp(db, user=user, settings=settings, code=code)
    except (AuthenticationFailed, RateLimited, ValidationFailed) as exc:
        return _refusal(request, "accounts/account.html", exc, **_account_context(user, settings))
    context = _account_context(user, settings)
    return page(request, "accounts/account.html", confirmed=True, **context)


@router.get("/citizen/login")
def citizen_login_form(
    request: Request, user: OptionalUser, next: str | None = None
) -> HTMLResponse:
    """Citizen sign-in: step one, the mobile number."""
    return page(request, "accounts/citizen_login.html", user=user, next=safe_next(next, "/citizen"))


@router.post("/citizen/login", response_model=None)
def citizen_send_code(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    mobile: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str, Form()] = "/citizen",
) -> Response:
    """Send the one-time code and show the code form."""
    try:
        e164 = otp.request_code(db, settings=settings, mobile=mobile)
    except NigraniError as exc:
        return _refusal(
            request,
            "accounts/citizen_login.html",
            exc,
            user=None,
            mobile=mobile,
            next=safe_next(next, "/citizen"),
        )
    return page(
        request,
        "accounts/citizen_code.html",
        user=None,
        mobile=e164,
        next=safe_next(next, "/citizen"),
    )


@router.post("/citizen/login/demo-sms")
def citizen_demo_sms(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    mobile: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Demo mode only: show the SMS the development backend 'sent' to this number."""
    if not settings.demo:
        raise NotFound(_("Not available outside demo mode"))
    ph = otp.phone_hash(settings, mobile)
    stmt = select(SmsMessage.job_id).where(SmsMessage.to_hash == ph).order_by(SmsMessage.id.desc())
    job = db.scalar(stmt.limit(1))
    body = sent_texts(db, [job]).get(job) if job is not None else None  # sms_log is masked
    return render(request, "accounts/partials/demo_sms.html", {"body": body})


@router.post("/citizen/login/code", response_model=None)
def citizen_verify(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    mobile: Annotated[str, Form(max_length=32)],
    code: Annotated[str, Form(max_length=10)],
    next: Annotated[str, Form()] = "/citizen",
) -> Response:
    """Check the code; the first successful sign-in creates the citizen's account."""
    result = otp.check_code(db, settings=settings, mobile=mobile, code=code)
    if result.error is not None:
        db.commit()  # the failed try counts against the attempt limit
        refused = page(
            request,
            "accounts/citizen_code.html",
            user=None,
            mobile=mobile,
            error=result.error,
            next=safe_next(next, "/citizen"),
            status_code=401 if result.retry_after is None else 429,
        )
        if result.retry_after is not None:  # the code is used up: when a new one can come
            refused.headers["Retry-After"] = str(result.retry_after)
        return refused
    user = otp.citizen_for(db, settings=settings, e164=result.e164)
    token = service.start_session(db, user=user, settings=settings)
    return _set_session(
        see_other(safe_next(next, "/citizen")), token, secure=settings.cookie_secure
    )


@router.get("/citizen")
def citizen_home(request: Request, user: Citizen) -> HTMLResponse:
    """A citizen's own page: their number (masked) and what they can do."""
    return page(request, "accounts/citizen_home.html", user=user)
