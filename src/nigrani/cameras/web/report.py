"""The category report pages: the table in the browser, CSV and PDF downloads, targets."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from nigrani.accounts import jurisdiction
from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Admin, ReportNode, StaffScope, get_scope, get_visible_node
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Level
from nigrani.cameras import report, report_pdf
from nigrani.core import pdf
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _, current_language
from nigrani.core.params import MAX_COUNT, Flag
from nigrani.core.templating import is_htmx

router = APIRouter(include_in_schema=False)

UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


def _report(db: DbSession, node: JurisdictionNode) -> report.CategoryReport:
    return report.category_report(db, node=node, lang=current_language.get())


def _filename(node: JurisdictionNode, ext: str, lang: str | None = None) -> str:
    code = UNSAFE_FILENAME.sub("-", node.code).strip("-") or "node"
    suffix = f"-{lang}" if lang else ""
    return f"camera-category-report-{code}{suffix}.{ext}"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


def _picker(db: DbSession, scope: StaffScope) -> list[tuple[JurisdictionNode, int]]:
    """The nodes a report can be asked for, in tree order, with their depth for indenting."""
    by_parent: dict[int | None, list[JurisdictionNode]] = {}
    for n in jurisdiction.subtree(db, scope.node):
        if n.level != Level.POST:
            by_parent.setdefault(n.parent_id, []).append(n)
    ordered: list[tuple[JurisdictionNode, int]] = []
    stack = [(scope.node, 0)]
    while stack:
        n, depth = stack.pop()
        ordered.append((n, depth))
        kids = sorted(by_parent.get(n.id, []), key=lambda k: k.name_en, reverse=True)
        stack.extend((k, depth + 1) for k in kids)
    return ordered


@router.get("/cameras/report")
def report_page(
    request: Request, db: DbSession, scope: StaffScope, node: ReportNode, saved: Flag = 0
) -> HTMLResponse:
    """The category report for a jurisdiction; htmx gets only the report's body."""
    crumbs = [a for a in jurisdiction.ancestors(db, node) if scope.contains(a)]
    context: dict[str, Any] = {
        "report": _report(db, node),
        "crumbs": crumbs,
        "saved": saved,
        "headers": report.category_headers(),
        "area_headers": report.area_headers(),
    }
    if is_htmx(request):
        return page(request, "cameras/partials/report_body.html", user=scope.user, **context)
    nodes = _picker(db, scope)
    return page(request, "cameras/report.html", user=scope.user, nodes=nodes, **context)


@router.get("/cameras/report.csv", dependencies=[Depends(get_scope)])  # staff only
def report_csv(db: DbSession, node: ReportNode) -> Response:
    """The category report as CSV (UTF-8 with BOM, so spreadsheets read the Hindi)."""
    body = ("\ufeff" + report.to_csv(_report(db, node))).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", _filename(node, "csv"))


@router.get("/cameras/report.pdf", dependencies=[Depends(get_scope)])  # staff only
def report_pdf_download(
    db: DbSession,
    settings: SettingsDep,
    node: ReportNode,
    lang: Literal["hi", "en"] | None = None,  # noqa: ARG001 - validates ?lang (see below)
) -> Response:
    """The category report as a printable A4 PDF (language from `?lang=hi|en`)."""
    # The language middleware has already applied `?lang`; the parameter only validates it.
    loaded = _report(db, node)
    db.commit()  # loaded: rendering holds no transaction (see stations' compliance PDF)
    with pdf.render_turn():
        body = report_pdf.render(loaded, demo=settings.demo, tz=settings.timezone)
    return _download(body, "application/pdf", _filename(node, "pdf", current_language.get()))


@router.post("/cameras/report/targets")
def report_targets(
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    code: Annotated[list[str], Form()],
    target: Annotated[list[Annotated[int, Field(ge=0, le=MAX_COUNT)]], Form()],
    node: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Set the categories' targets (administrators only), then go back to the report."""
    if len(code) != len(target):
        raise ValidationFailed(_("Give one target for each category."), field="target")
    back = get_visible_node(node, scope, db) if node else scope.node
    report.set_targets(
        db, targets=dict(zip(code, target, strict=True)), actor=accounts_service.actor_of(admin)
    )
    return see_other("/cameras/report?" + urlencode({"node": back.code, "saved": 1}))
