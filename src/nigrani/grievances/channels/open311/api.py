"""Open311 GeoReport v2 at /open311/v2/: every endpoint in .json and .xml, its error format.

Errors are GeoReport's `[{"code", "description"}]` (or `<errors>`), with 400 for bad
input, 403 for a missing or wrong api_key, 404 for what does not exist and 413 for a body
over MAX_BODY (the HTTP edge's limit for the POST; the form parser's errors too)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from nigrani.accounts.models import ApiToken
from nigrani.core import validation
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.core.deps import DbSession, Sessions, SettingsDep
from nigrani.core.errors import NigraniError, NotFound, ValidationFailed
from nigrani.core.i18n import _
from nigrani.grievances.channels.open311 import service
from nigrani.grievances.channels.open311.form import parse_form, parse_query
from nigrani.grievances.channels.open311.format import FORMATS, error, render

# A complaint form is a few KB; anything much larger is not one (and is refused unread).
MAX_BODY = 64 * 1024
MAX_FIELDS = 60


def _status(exc: NigraniError) -> int:
    return 400 if isinstance(exc, ValidationFailed) else exc.status


def _format(request: Request) -> str:
    ending = "xml" if request.url.path.endswith(".xml") else "json"
    return str(request.path_params.get("fmt", ending))


def refusal(request: Request, exc: HTTPException) -> Response:
    """An HTTP-level refusal (the edge's, the form parser's) in GeoReport's error format."""
    status = 400 if exc.status_code == 422 else exc.status_code
    return error(_format(request), status, str(exc.detail))


class Open311Route(APIRoute):
    """Answers every failure in GeoReport's error format, in the format of the path."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except NigraniError as exc:
                return error(_format(request), _status(exc), exc.message)
            except RequestValidationError as exc:
                errors = exc.errors()
                said = validation.describe(errors[0], skip=1) if errors else "invalid"
                return error(_format(request), 400, said)
            except HTTPException as exc:  # the edge, or the form parser (bad multipart)
                return refusal(request, exc)

        return guarded


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


async def get_format(fmt: str) -> str:
    """json or xml, from the path's extension."""
    if fmt not in FORMATS:
        raise NotFound(_("Use .json or .xml."))
    return fmt


Format = Annotated[str, Depends(get_format)]
Text = Annotated[str | None, Query(max_length=2000)]


def get_optional_key(
    db: DbSession, api_key: Annotated[str, Query(max_length=200)] = ""
) -> ApiToken | None:
    """The api_key of a GET, if one is given (a wrong one is refused)."""
    return service.authorize(db, api_key) if api_key else None


OptionalKey = Annotated[ApiToken | None, Depends(get_optional_key)]


@router.get("/discovery.{fmt}")
def discovery(fmt: Format, settings: SettingsDep) -> Response:
    """Service discovery: where this endpoint is and which formats it speaks."""
    return render(fmt, "discovery", service.discovery(settings))


@router.get("/services.{fmt}")
def services(fmt: Format, db: DbSession) -> Response:
    """The complaint categories, as services."""
    return render(fmt, "services", service.services(db))


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: Format, db: DbSession) -> Response:
    """The extra fields of one service."""
    return render(fmt, "service_definition", service.definition(db, service_code))


def _post(
    sessions: sessionmaker[Session],
    settings: Settings,
    items: list[tuple[str, str]],
    outer_key: str,
) -> list[dict[str, object]]:
    form = parse_form(items, known_attributes={service.LANDMARK})
    # The unit of work begins, runs and commits in this one worker thread: SQLite's write
    # lock is never held while the request waits for the event loop (see docs/decisions.md).
    with transaction(sessions) as db:
        key = service.authorize(db, form.api_key or outer_key)
        return [service.file_request(db, settings=settings, key=key, form=form)]


def _check_key(sessions: sessionmaker[Session], api_key: str) -> None:
    with transaction(sessions) as db:
        service.authorize(db, api_key)


def _outer_key(request: Request) -> str:
    """The api_key given outside the form: in the query string, or as a Bearer token."""
    bearer = request.headers.get("authorization", "")
    if bearer[:7].lower() == "bearer ":
        return bearer[7:].strip()[:200]
    return request.query_params.get("api_key", "")[:200]


@router.post("/requests.{fmt}")
async def create_request(
    request: Request, fmt: Format, sessions: Sessions, settings: SettingsDep
) -> Response:
    """File a complaint (form-encoded, with api_key); committed before the answer."""
    outer_key = _outer_key(request)
    if outer_key:  # a wrong key is refused before a byte of the body is read
        await run_in_threadpool(_check_key, sessions, outer_key)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    body = await run_in_threadpool(_post, sessions, settings, items, outer_key)
    return render(fmt, "service_requests", body)


@router.get("/requests.{fmt}")
def list_requests(
    fmt: Format,
    db: DbSession,
    key: OptionalKey,
    service_request_id: Text = None,
    service_code: Text = None,
    start_date: Text = None,
    end_date: Text = None,
    status: Text = None,
) -> Response:
    """Requests filed through Open311, by ids or by code, dates and status."""
    query = parse_query(
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        now=utcnow(),
    )
    return render(fmt, "service_requests", service.find(db, query=query, key=key))


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(service_request_id: str, fmt: Format, db: DbSession, key: OptionalKey) -> Response:
    """One request by its id."""
    return render(fmt, "service_requests", service.one(db, number=service_request_id, key=key))


@router.get("/tokens/{token}.{fmt}")
def get_token(token: str, fmt: Format, db: DbSession) -> Response:
    """The request id behind a token."""
    return render(fmt, "service_requests", service.by_token(db, token[:64]))


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(rest: str) -> Response:  # noqa: ARG001 - the path's catch-all
    """Anything else under the endpoint, in GeoReport's error format."""
    raise NotFound(_("No such Open311 endpoint."))
