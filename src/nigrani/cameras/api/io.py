"""Staff onboarding: import sites from CSV/XLSX (JSON API and page), export CSV and GeoJSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from nigrani.accounts import jurisdiction
from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Scope, StaffScope, require_scope
from nigrani.accounts.pages import page
from nigrani.cameras import export, importer, service
from nigrani.cameras.deps import Importer
from nigrani.cameras.importer import ImportFailed, ImportReport
from nigrani.core.db import utcnow
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import PayloadTooLarge
from nigrani.core.i18n import _, to_ist

router = APIRouter()
# API tokens are for systems; only integration tokens may move the registry in or out.
TOKEN_SCOPE = [Depends(require_scope("integration"))]
MAX_UPLOAD_MB = 50
ERRORS_SHOWN = 500
"""The page lists this many problems; the JSON API returns all of them."""


class ImportProblem(BaseModel):
    line: int
    column: str
    reason: str


class ImportResult(BaseModel):
    """What an import did (or, dry run, would do), and every problem with its line."""

    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    contacts: int = Field(
        description="Rows whose owner contact is written as given: never compared with the "
        "stored one, so `unchanged` says nothing about a contact."
    )
    errors: list[ImportProblem]


def _run(
    db: DbSession, settings: SettingsDep, scope: Scope, file: UploadFile, dry_run: bool
) -> ImportReport:
    data = file.file.read(MAX_UPLOAD_MB * 1024 * 1024 + 1)
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise PayloadTooLarge(_("The file is larger than {mb} MB.").format(mb=MAX_UPLOAD_MB))
    return importer.import_sites(
        db,
        settings=settings,
        data=data,
        file_name=file.filename or "upload",
        actor=accounts_service.actor_of(scope.user),
        dry_run=dry_run,
        scope_path=scope.node.path,
    )


def _result(report: ImportReport) -> ImportResult:
    problems = [ImportProblem(line=e.line, column=e.column, reason=e.reason) for e in report.errors]
    return ImportResult(
        dry_run=report.dry_run,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        contacts=report.contacts,
        errors=problems,
    )


@router.post(
    "/api/v1/cameras/import",
    response_model=ImportResult,
    tags=["cameras"],
    dependencies=TOKEN_SCOPE,
)
def import_api(
    db: DbSession,
    settings: SettingsDep,
    scope: Importer,
    file: Annotated[UploadFile, File()],
    dry_run: bool = False,
) -> ImportResult | JSONResponse:
    """Import sites from a CSV or XLSX file; a real run with any bad row writes nothing (422)."""
    try:
        return _result(_run(db, settings, scope, file, dry_run))
    except ImportFailed as exc:
        error = {"code": exc.code, "message": exc.message, "field": exc.field}
        body = {"error": error, **_result(exc.report).model_dump()}
        return JSONResponse(body, status_code=exc.status)


def _import_page(
    request: Request, scope: Scope, report: ImportReport | None = None, status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "cameras/import.html",
        user=scope.user,
        status_code=status_code,
        report=report,
        shown=report.errors[:ERRORS_SHOWN] if report else [],
        columns=importer.COLUMNS,
        required=importer.REQUIRED,
        max_mb=MAX_UPLOAD_MB,
    )


@router.get("/cameras/import", include_in_schema=False)
def import_form(request: Request, scope: Importer) -> HTMLResponse:
    """The upload form, with the columns a file may have."""
    return _import_page(request, scope)


@router.post("/cameras/import", include_in_schema=False)
def import_upload(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: Importer,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Check or import an uploaded file; every problem is listed with its line and column."""
    try:
        report = _run(db, settings, scope, file, dry_run)
    except ImportFailed as exc:
        return _import_page(request, scope, exc.report, status_code=exc.status)
    return _import_page(request, scope, report)


def export_filter(
    db: DbSession,
    category: str | None = None,
    public: str | None = None,
    linked: str | None = None,
    station: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> service.SiteFilter:
    """The registry list's filters (same query parameters), for exporting what is shown."""
    flag = {"yes": True, "no": False}
    return service.SiteFilter(
        category=category or None,
        is_public=flag.get(public or ""),
        linked=flag.get(linked or ""),
        station_path=jurisdiction.get_by_code(db, station).path if station else None,
        q=q or None,
    )


ExportFilter = Annotated[service.SiteFilter, Depends(export_filter)]


def _download(
    request: Request, db: DbSession, scope: Scope, f: service.SiteFilter, fmt: str
) -> StreamingResponse:
    export.record_export(
        db, actor=accounts_service.actor_of(scope.user), fmt=fmt, scope_path=scope.node.path, f=f
    )
    chunks = export.csv_chunks if fmt == "csv" else export.geojson_chunks
    body: Iterator[bytes] = chunks(request.app.state.sessions, scope_path=scope.node.path, f=f)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/geo+json"
    name = f"nigrani-cameras-{to_ist(utcnow()).date().isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(body, media_type=media, headers=headers)


@router.get("/cameras/export.csv", include_in_schema=False, dependencies=TOKEN_SCOPE)
def export_csv(
    request: Request, db: DbSession, scope: StaffScope, f: ExportFilter
) -> StreamingResponse:
    """The sites in the caller's jurisdiction as CSV (owners masked, formula-safe)."""
    return _download(request, db, scope, f, "csv")


@router.get("/cameras/export.geojson", include_in_schema=False, dependencies=TOKEN_SCOPE)
def export_geojson(
    request: Request, db: DbSession, scope: StaffScope, f: ExportFilter
) -> StreamingResponse:
    """The sites in the caller's jurisdiction as GeoJSON points (owners masked)."""
    return _download(request, db, scope, f, "geojson")
