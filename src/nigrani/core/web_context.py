"""Per-request language and CSRF cookie, set once for every route (pure ASGI middleware)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nigrani.core import i18n
from nigrani.core.config import Settings
from nigrani.core.deps import DbSession
from nigrani.core.errors import CsrfFailed
from nigrani.core.security import new_token, same

CSRF_COOKIE = "nigrani_csrf"
LANG_COOKIE = "nigrani_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set by the app (app.state.bearer_verifier): checks an API token, raising when it is not
# live; core knows no tokens of its own.
BearerVerifier = Callable[[Session, str], Any]


def csrf_token_for(secret: str, cookie: str) -> str:
    """The form token matching a CSRF cookie (an HMAC, so the cookie alone cannot forge it)."""
    return hmac.new(secret.encode(), f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


def _cookie_header(name: str, value: str, *, secure: bool, http_only: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"], morsel["samesite"] = "/", "Lax"
    morsel["max-age"] = 60 * 60 * 24 * 365
    morsel["secure"], morsel["httponly"] = secure, http_only
    return morsel.OutputString()


class WebContextMiddleware:
    """Chooses the language and makes sure every browser holds a CSRF cookie.

    Paths under `machine_paths` (APIs for other programs, webhooks) get the language but no
    CSRF cookie: they are exempt from the check and render no forms."""

    def __init__(
        self, app: ASGIApp, settings: Settings, machine_paths: tuple[str, ...] = ()
    ) -> None:
        self.app, self.settings, self.machine_paths = app, settings, machine_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        query_lang = request.query_params.get("lang")
        lang = i18n.pick_language(
            query=query_lang,
            cookie=request.cookies.get(LANG_COOKIE),
            accept=request.headers.get("accept-language"),
            supported=self.settings.languages,
            default=self.settings.default_language,
        )
        i18n.current_language.set(lang)
        scope.setdefault("state", {})
        if scope["path"].startswith(self.machine_paths):
            scope["state"].update(lang=lang, csrf_cookie="", csrf_token="")
            new_cookie, cookie = False, ""
        else:
            cookie = request.cookies.get(CSRF_COOKIE) or ""
            new_cookie = not cookie or len(cookie) > 100
            if new_cookie:
                cookie = new_token(24)
            scope["state"].update(
                lang=lang,
                csrf_cookie=cookie,
                csrf_token=csrf_token_for(self.settings.secret_key, cookie),
            )
        secure = self.settings.cookie_secure

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if new_cookie:
                    headers.append(
                        "set-cookie",
                        _cookie_header(CSRF_COOKIE, cookie, secure=secure, http_only=True),
                    )
                # A ?lang= on a page is a choice to remember; on a download (the English PDF
                # from a Hindi page) it is not.
                is_page = headers.get("content-type", "").startswith("text/html")
                if query_lang == lang and is_page:
                    headers.append(
                        "set-cookie",
                        _cookie_header(LANG_COOKIE, lang, secure=secure, http_only=False),
                    )
                headers.append("content-language", lang)
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _forget_cookies(request: Request) -> None:
    """Make the request cookie-less: a token request acts for its token, never a cookie."""
    request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"cookie"]
    request.cookies.clear()  # the dict every later reader of this request is handed


async def csrf_protect(request: Request, db: DbSession) -> None:
    """Refuse a state-changing browser request whose form or header lacks the CSRF token.

    A request with a valid API token needs none (a token is no ambient credential a
    foreign page could borrow), and its cookies are then ignored; an unknown, revoked or
    expired token is refused (401), never taken as a reason to skip the check."""
    if request.method in SAFE_METHODS:
        return
    exempt: tuple[str, ...] = request.app.state.csrf_exempt
    if request.url.path.startswith(exempt):
        return
    verify: BearerVerifier | None = getattr(request.app.state, "bearer_verifier", None)
    if (raw := _bearer(request)) and verify is not None:
        await run_in_threadpool(verify, db, raw)  # raises for a token that is not live
        _forget_cookies(request)
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    settings: Settings = request.app.state.settings
    if not sent or not cookie or not same(sent, csrf_token_for(settings.secret_key, cookie)):
        raise CsrfFailed(
            i18n.gettext(
                "This form has expired or came from another site. Reload the page and try again."
            )
        )
