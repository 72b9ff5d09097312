"""Security headers on every answer of the app, once (pure ASGI middleware).

No page may be framed by another site (clickjacking): `X-Frame-Options: DENY` and CSP
`frame-ancestors 'none'`. No answer is sniffed into another type (`nosniff`). Addresses of
our pages never leave for another site (`Referrer-Policy: same-origin`; a footage link's
page says `no-referrer` itself). Nothing but the static files is kept in a browser's or a
proxy's cache (`Cache-Control: no-store`): pages and API answers carry personal data, and a
shared computer at a police station must not show the last officer's pages from its cache.
A route that sets one of these itself (a playback segment's `private, max-age`, evidence's
CSP sandbox) keeps its own; `frame-ancestors` is added to a CSP that lacks it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
FRAME_ANCESTORS = "frame-ancestors 'none'"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _add(headers: MutableHeaders, *, static: bool) -> None:
    for name, value in ALWAYS.items():
        headers.setdefault(name, value)
    policy = headers.get("content-security-policy")
    if policy is None:
        headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = f"{policy}; {FRAME_ANCESTORS}"
    if not static:
        headers.setdefault("Cache-Control", "no-store")


class SecurityHeaders:
    """Adds the headers above to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add(MutableHeaders(scope=message), static=static)
            await send(message)

        await self.app(scope, receive, send_with_headers)
