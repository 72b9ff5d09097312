"""The HTTP edge, once for every route: a body-size limit, and no control characters in text.

A pure ASGI middleware. The path and query string are checked before the app runs; the
body as the app reads it, so nothing is buffered here: a body longer than its route allows
is refused by its Content-Length before the first byte is read, or at the chunk that
passes the limit when it comes without one. Text (url-encoded and multipart form fields,
JSON, every other body not declared raw) with a NUL or another control character is
refused at the chunk that holds it, before the app has parsed the body, so nothing is
stored. Refusals are `EdgeRefused`, an HTTP exception the app's handlers render in each
route's own error format (the path and query refusals through `render`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from fastapi.routing import iter_route_contexts
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nigrani.core import db
from nigrani.core.edge_text import BodyChecker, Problem, checker_for
from nigrani.core.errors import PayloadTooLarge
from nigrani.core.i18n import gettext
from nigrani.core.text import has_control

MiB = 1024 * 1024
# What a multipart form adds around its file: boundaries, part headers, small fields.
FORM_OVERHEAD = 64 * 1024


class EdgeRefused(HTTPException):
    """A request refused at the edge; `code` is the project's error code for it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status_code=status, detail=message)
        self.code, self.message = code, message


def _size(limit: int) -> str:
    return f"{limit / MiB:.0f} MB" if limit >= MiB else f"{max(limit // 1024, 1)} KB"


def too_large(limit: int) -> EdgeRefused:
    """413: the body is over the route's limit."""
    return EdgeRefused(
        413,
        "too_large",
        gettext("The request is larger than this address accepts ({size}).").format(
            size=_size(limit)
        ),
    )


async def read_body(request: Request, *, limit: int, refusal: str) -> bytes:
    """A raw body read whole in the route, or PayloadTooLarge(refusal) past `limit` bytes:
    by its Content-Length before the first byte, else at the chunk that passes the limit."""
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0  # no usable length: the chunks are counted all the same
    if declared > limit:
        raise PayloadTooLarge(refusal)
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise PayloadTooLarge(refusal)
    return bytes(body)


# Starlette's form parser refuses in English (a 400 whose detail is its message).
_PART_TOO_LARGE = re.compile(r"Part exceeded maximum size of (\d+(?:\.\d+)?)KB")
_TOO_MANY = re.compile(r"Too many (?:files|fields)\. Maximum number of \w+ is (\d+)")
_UNREADABLE = ("Missing boundary in multipart.", "There was an error parsing the body")


def form_refusal(detail: str) -> str:
    """A form parser's refusal in the request's language (any other detail as it is)."""
    if found := _PART_TOO_LARGE.search(detail):
        size = _size(int(float(found.group(1)) * 1024))
        return gettext(
            "A field of the form is longer than {size}. Shorten it and send the form again."
        ).format(size=size)
    if found := _TOO_MANY.search(detail):
        return gettext(
            "The form has too many fields or files (at most {count}). Send fewer and try again."
        ).format(count=found.group(1))
    if detail in _UNREADABLE:
        return gettext("The form could not be read. Reload the page and send it again.")
    return detail


def control_characters(part: str) -> EdgeRefused:
    """422: text with a NUL or another control character (`part`: path, query or body)."""
    messages = {
        "path": gettext(
            "The web address contains a control character (such as NUL). Remove it and try again."
        ),
        "query": gettext(
            "The query string contains a control character (such as NUL). Remove it and try again."
        ),
        "body": gettext(
            "A field of the request contains a control character (such as NUL). "
            "Remove it and send the request again."
        ),
    }
    return EdgeRefused(422, "invalid", messages[part])


def not_utf8() -> EdgeRefused:
    """422: text in a body (a form field, JSON) whose bytes are not UTF-8."""
    return EdgeRefused(
        422,
        "invalid",
        gettext(
            "A field of the request is not valid UTF-8 text. "
            "Send it again encoded as UTF-8 (any browser does)."
        ),
    )


@dataclass(frozen=True, slots=True)
class BodyRule:
    """A route's body: its size limit, and whether it is raw bytes (not checked as text)."""

    max_bytes: int
    raw: bool = False


Render = Callable[[Request, EdgeRefused], Awaitable[Response]]


def check_routes(routes: Sequence[BaseRoute], rules: Mapping[str, BodyRule]) -> None:
    """Refuse to start when a rule names no route (a renamed path would lose its limit)."""
    # The router puts the matched route itself in the scope: rules match its own path.
    paths = {getattr(ctx.original_route, "path", None) for ctx in iter_route_contexts(routes)}
    if missing := sorted(set(rules) - paths):
        raise RuntimeError(f"body limits for routes that do not exist: {', '.join(missing)}")


def _query_has_control(query: bytes) -> bool:
    return has_control(unquote_to_bytes(query.replace(b"+", b" ")).decode("latin-1"))


class EdgeMiddleware:
    """Refuses control characters in the path, query and text bodies, and oversize bodies.

    `rules` hold the routes (by path template) whose body limit differs from `default`;
    bodies under `text_exempt` prefixes (a webhook that strips instead) are not checked
    for control characters, though their size is."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        rules: Mapping[str, BodyRule],
        render: Render,
        text_exempt: tuple[str, ...] = (),
    ) -> None:
        self.app, self.default, self.rules = app, default, rules
        self.render, self.text_exempt = render, text_exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_control(scope["path"]) or _query_has_control(scope.get("query_string", b"")):
            part = "path" if has_control(scope["path"]) else "query"
            await self._respond(scope, receive, send, control_characters(part))
            return
        body = _Body(self, scope, receive, send)
        try:
            await self.app(scope, body.receive, body.send)
        except EdgeRefused as exc:  # raised where no handler of the app rendered it
            if body.started:
                raise
            await self._respond(scope, receive, send, exc)

    def rule(self, scope: Scope) -> BodyRule:
        """The rule of the route the router matched (the default before it matches)."""
        path = getattr(scope.get("route"), "path", None)
        return self.rules.get(path or "", BodyRule(self.default))

    async def _respond(self, scope: Scope, receive: Receive, send: Send, exc: EdgeRefused) -> None:
        response = await self.render(Request(scope, receive), exc)
        await response(scope, receive, send)


class ReadsFirst:
    """GET and HEAD requests read first: on SQLite their transactions take the writer lock
    only at a first write, so pages never queue behind writers (`core.db.reads_first`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            with db.reads_first():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _Body:
    """One request's body as the app reads it: counted, limited and checked."""

    def __init__(self, edge: EdgeMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        self.edge, self.scope = edge, scope
        self.inner_receive, self.inner_send = receive, send
        self.headers = Headers(scope=scope)
        self.seen, self.started = 0, False
        self.refused: EdgeRefused | None = None
        self.checker: BodyChecker | None = None
        self.checked = False

    def _declared(self) -> int | None:
        try:
            return int(self.headers.get("content-length", ""))
        except ValueError:
            return None

    def _checker(self, rule: BodyRule) -> BodyChecker | None:
        if not self.checked:
            self.checked = True
            exempt = rule.raw or self.scope["path"].startswith(self.edge.text_exempt)
            self.checker = None if exempt else checker_for(self.headers.get("content-type", ""))
        return self.checker

    async def receive(self) -> Message:
        """The next message of the body, or EdgeRefused if the body may go no further."""
        if self.refused is not None:
            raise self.refused
        rule = self.edge.rule(self.scope)
        declared = self._declared()
        if declared is not None and declared > rule.max_bytes:
            return self._refuse(too_large(rule.max_bytes))
        message = await self.inner_receive()
        if message["type"] != "http.request":
            return message
        chunk: bytes = message.get("body", b"")
        self.seen += len(chunk)
        if self.seen > rule.max_bytes:
            return self._refuse(too_large(rule.max_bytes))
        checker = self._checker(rule)
        final = not message.get("more_body", False)
        if checker is not None and (problem := checker.feed(chunk, final=final)):
            encoding = problem is Problem.ENCODING
            return self._refuse(not_utf8() if encoding else control_characters("body"))
        return message

    def _refuse(self, exc: EdgeRefused) -> Message:
        if self.started:
            # A response already under way (one that never read the body) only waits for
            # the client to go; tell it the client went.
            return {"type": "http.disconnect"}
        self.refused = exc
        raise exc

    async def send(self, message: Message) -> None:
        """Pass a message of the response on, noting that it has started."""
        if message["type"] == "http.response.start":
            self.started = True
        await self.inner_send(message)
