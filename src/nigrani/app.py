"""The FastAPI application factory: routers, templates, middleware and error handlers."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from nigrani import tasks as all_tasks
from nigrani.accounts import api as accounts_api
from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import user_for_error_page
from nigrani.accounts.pages import page
from nigrani.accounts.web import admin as accounts_admin
from nigrani.accounts.web import notifications as accounts_notifications
from nigrani.accounts.web import signin as accounts_web
from nigrani.accounts.web import sms as accounts_sms
from nigrani.accounts.web import tokens as accounts_tokens
from nigrani.analytics import api as analytics_api
from nigrani.analytics.web import alert_media as analytics_alert_media
from nigrani.analytics.web import rules as analytics_rules
from nigrani.analytics.web import wall as analytics_wall
from nigrani.cameras.api import io as cameras_api_io
from nigrani.cameras.api import map as cameras_api_map
from nigrani.cameras.api import sites as cameras_api
from nigrani.cameras.web import citizen as cameras_citizen
from nigrani.cameras.web import map as cameras_map
from nigrani.cameras.web import report as cameras_report
from nigrani.cameras.web import sites as cameras_web
from nigrani.canvass import api as canvass_api
from nigrani.canvass.web import actions as canvass_actions
from nigrani.canvass.web import export as canvass_export
from nigrani.canvass.web import incidents as canvass_web
from nigrani.canvass.web import owner as canvass_owner
from nigrani.core import clock as clocks
from nigrani.core import edge, validation
from nigrani.core.config import Settings
from nigrani.core.db import RETRY_AFTER_S, make_engine, make_sessionmaker
from nigrani.core.deps import bind_clock
from nigrani.core.errors import AuthenticationFailed, NigraniError
from nigrani.core.headers import SecurityHeaders
from nigrani.core.i18n import gettext
from nigrani.core.metrics import Metrics, MetricsMiddleware
from nigrani.core.outbox import Scheduler
from nigrani.core.security import mask_secret_paths
from nigrani.core.sms import api as sms_api
from nigrani.core.templating import make_templates
from nigrani.core.web_context import WebContextMiddleware, csrf_protect
from nigrani.evidence import web as evidence_web
from nigrani.grievances import service as grievances_service
from nigrani.grievances.channels.open311 import api as grievances_open311
from nigrani.grievances.channels.whatsapp import api as grievances_whatsapp
from nigrani.grievances.web import actions as grievances_actions
from nigrani.grievances.web import citizen as grievances_citizen
from nigrani.grievances.web import queue as grievances_web
from nigrani.grievances.web import walkin as grievances_walkin
from nigrani.health import signals_web as health_signals
from nigrani.health import web as health_web
from nigrani.hearings.recorder import existing_recorder
from nigrani.hearings.web import call as hearings_call
from nigrani.hearings.web import citizen as hearings_citizen
from nigrani.hearings.web import console as hearings_console
from nigrani.hearings.web import dashboard as hearings_dashboard
from nigrani.hearings.web import windows as hearings_windows
from nigrani.home import web as home_web
from nigrani.stations.web import cameras as stations_web
from nigrani.stations.web import compliance as stations_compliance
from nigrani.stations.web import live as stations_live
from nigrani.stations.web import playback as stations_playback
from nigrani.web import pages as web_pages

STATIC = Path(__file__).resolve().parent / "web" / "static"
NUMERIC_OUT_OF_RANGE = "22003"  # PostgreSQL's SQLSTATE for an integer past its column type
# SQLite's SQLITE_BUSY and SQLITE_LOCKED (any extended code); PostgreSQL's serialization
# failure, deadlock and lock_not_available: the database was busy, not the request wrong.
SQLITE_BUSY_CODES = (5, 6)
PG_BUSY_STATES = ("40001", "40P01", "55P03")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _error_response(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse(
            {"error": {"code": code, "message": message, "field": field}}, status_code=status
        )
    if status == 401 and request.method == "GET":
        target = "/citizen/login" if request.url.path.startswith("/citizen") else "/login"
        return RedirectResponse(f"{target}?next={request.url.path}", status_code=303)
    return page(
        request,
        "error.html",
        user=user_for_error_page(request),
        status=status,
        message=message,
        code=code,
        status_code=status,
    )


async def _refused(request: Request, exc: edge.EdgeRefused) -> Response:
    """A refusal at the HTTP edge, in the path's error format (GeoReport's for Open311)."""
    if request.url.path.startswith("/open311/"):
        return grievances_open311.refusal(request, exc)
    return _error_response(request, exc.status_code, exc.code, exc.message)


def _out_of_range(exc: Exception) -> bool:
    """Whether the database refused a number as out of its range (a client's huge id)."""
    if isinstance(exc, OverflowError):  # sqlite3: "Python int too large to convert"
        return True
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == NUMERIC_OUT_OF_RANGE


async def _number_refused(request: Request, exc: Exception) -> Response:
    """422 for a number the database cannot hold; anything else stays a server error."""
    if not _out_of_range(exc):
        raise exc
    message = gettext("A number in the request is too large. Check the address and try again.")
    if request.url.path.startswith("/open311/"):
        return grievances_open311.refusal(request, edge.EdgeRefused(400, "invalid", message))
    return _error_response(request, 422, "invalid", message)


def _database_busy(exc: BaseException) -> bool:
    """Whether the database refused for being busy (locked, a deadlock), so a retry may pass."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.OperationalError):
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in SQLITE_BUSY_CODES
    return getattr(orig, "sqlstate", None) in PG_BUSY_STATES


async def _busy(request: Request, exc: Exception) -> Response:
    """503 with Retry-After when the database was busy; anything else stays a server error."""
    if not _database_busy(exc):
        raise exc
    message = gettext("The database is busy. Wait a few seconds and try again.")
    response = _error_response(request, 503, "busy", message)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _install_errors(app: FastAPI) -> None:
    app.add_exception_handler(edge.EdgeRefused, _refused)  # type: ignore[arg-type]
    # The transaction has already rolled back when these reach a handler: nothing changed.
    app.add_exception_handler(OverflowError, _number_refused)
    app.add_exception_handler(DataError, _number_refused)
    app.add_exception_handler(DBAPIError, _busy)
    app.add_exception_handler(sqlite3.OperationalError, _busy)  # raised by a COMMIT event

    # Sync, so Starlette runs it on a worker thread: the error page looks up the signed-in
    # user, and waiting on the database (SQLite's writer queue) must not stall the loop
    # that the requests ahead of it need to finish.
    @app.exception_handler(NigraniError)
    def domain_error(request: Request, exc: NigraniError) -> Response:
        response = _error_response(request, exc.status, exc.code, exc.message, exc.field)
        if retry := getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(retry)
        if isinstance(exc, AuthenticationFailed) and _wants_json(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's own refusals (a form field over 1 MB...) come in English: translated.
        detail = edge.form_refusal(str(exc.detail))
        message = gettext("Not found") if exc.status_code == 404 else detail
        return _error_response(request, exc.status_code, "http", message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if not errors:
            return _error_response(request, 422, "invalid", gettext("Invalid input"))
        field = validation.location(errors[0], skip=1)  # less FastAPI's "body" or "query"
        message = validation.describe(errors[0], skip=1)
        return _error_response(request, 422, "invalid", message, field)


def _lifespan(run_scheduler: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(app.state.sessions, app.state.settings, periodic=all_tasks.PERIODIC)
        # The scheduler runs on the app's clock too (a thread starts with a bare context).
        thread = threading.Thread(
            target=clocks.run_with,
            args=(app.state.clock, scheduler.run),
            name="scheduler",
            daemon=True,
        )
        if run_scheduler:
            thread.start()
        yield
        scheduler.stop_event.set()
        if run_scheduler:
            thread.join(timeout=10)
        if (recorder := existing_recorder(app.state)) is not None:
            recorder.close()  # open recordings are closed; their files stay in staging
        app.state.engine.dispose()

    return lifespan


# Called by other programs (civic apps, WhatsApp's servers), never by a browser form: no
# CSRF check and no CSRF cookie.
MACHINE_PATHS = ("/open311/", "/webhooks/")
# Paths whose next segment is a secret: the owner's footage link, a hearing's waiting room.
SECRET_PATHS = ("/f/", "/hearings/t/", "/hearings/ws/citizen/")


def _body_rules(settings: Settings) -> dict[str, edge.BodyRule]:
    """The routes whose bodies may be larger (files) or must be smaller than the default."""
    upload = edge.BodyRule(cameras_api_io.MAX_UPLOAD_MB * edge.MiB + edge.FORM_OVERHEAD)
    geojson = settings.max_geojson_bytes
    return {
        "/open311/v2/requests.{fmt}": edge.BodyRule(grievances_open311.MAX_BODY),
        "/api/v1/cameras/import": upload,
        "/cameras/import": upload,
        "/api/v1/jurisdiction/boundaries": edge.BodyRule(geojson),
        "/admin/boundaries": edge.BodyRule(geojson + edge.FORM_OVERHEAD),
        "/citizen/complaints": edge.BodyRule(
            grievances_service.MAX_ATTACHMENT_BYTES + edge.FORM_OVERHEAD
        ),
        # Footage comes only through the resumable upload, in parts of raw bytes.
        "/footage/uploads/{upload_id}": edge.BodyRule(canvass_owner.MAX_CHUNK, raw=True),
    }


def create_app(
    settings: Settings, *, run_scheduler: bool = False, clock: clocks.Clock | None = None
) -> FastAPI:
    """Build the app for these settings (and clock); nothing happens at import time."""
    app = FastAPI(
        title="Nigrani",
        version="0.1.0",
        lifespan=_lifespan(run_scheduler),
        dependencies=[Depends(bind_clock), Depends(csrf_protect)],
    )
    engine = make_engine(settings.db_url)
    app.state.settings, app.state.engine = settings, engine
    app.state.clock = clock or clocks.SYSTEM
    app.state.sessions = make_sessionmaker(engine)
    app.state.templates = make_templates()
    app.state.csrf_exempt = MACHINE_PATHS
    app.state.bearer_verifier = accounts_service.token_for  # a live token skips CSRF
    # The footage link in an access-log line is as good as the link: mask its token.
    mask_secret_paths(logging.getLogger("uvicorn.access"), SECRET_PATHS)
    metrics = Metrics()
    rules = _body_rules(settings)
    # Innermost, so its refusals render with the language and page context set outside it.
    app.add_middleware(
        edge.EdgeMiddleware,
        default=settings.max_body_bytes,
        rules=rules,
        render=_refused,
        text_exempt=("/webhooks/whatsapp",),  # strips control characters itself
    )
    app.add_middleware(WebContextMiddleware, settings=settings, machine_paths=MACHINE_PATHS)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Outside every middleware that uses the database: a GET or HEAD reads first throughout.
    app.add_middleware(edge.ReadsFirst)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, refusals included
    _install_errors(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Each request tries the routers in this order, so the Open311 API (bulk machine
    # traffic; nothing else serves /open311/) goes first rather than after every page.
    routers = (
        grievances_open311.router,
        web_pages.router,
        accounts_web.router,
        accounts_admin.router,
        home_web.router,
        accounts_sms.router,
        accounts_tokens.router,
        accounts_notifications.router,
        accounts_api.router,
        cameras_api.router,
        cameras_api_io.router,
        cameras_api_map.router,
        cameras_web.router,
        cameras_citizen.router,
        cameras_map.router,
        cameras_report.router,
        canvass_api.router,
        canvass_web.router,
        canvass_actions.router,
        canvass_export.router,
        canvass_owner.router,
        evidence_web.router,
        grievances_citizen.router,
        grievances_walkin.router,
        grievances_actions.router,
        grievances_web.router,
        grievances_whatsapp.router,
        sms_api.router,
        stations_compliance.router,
        stations_web.router,
        stations_live.router,
        stations_playback.router,
        health_web.router,
        health_signals.router,
        analytics_api.router,
        analytics_rules.router,
        analytics_wall.router,
        analytics_alert_media.router,
        hearings_citizen.router,
        hearings_console.router,
        hearings_windows.router,
        hearings_dashboard.router,
    )
    for router in routers:
        app.include_router(router)
    app.router.routes.extend(hearings_call.routes)  # plain Starlette: they check their own
    edge.check_routes(app.routes, rules)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        # A raw DBAPI round trip: no transaction, so it never waits for a writer's lock.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            raw.close()
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return metrics.response()

    return app
