"""The compliance board pages: the board in the browser with drill-down, and its PDF."""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts import jurisdiction
from nigrani.accounts.deps import ReportNode, StaffScope, get_scope
from nigrani.accounts.pages import page
from nigrani.core import pdf
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.i18n import current_language
from nigrani.core.templating import is_htmx
from nigrani.stations import alerts, compliance, compliance_pdf
from nigrani.stations.labels import role_label
from nigrani.stations.models import REQUIRED_ROLES

router = APIRouter(include_in_schema=False)
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


@router.get("/stations/compliance")
def compliance_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: StaffScope,
    node: ReportNode,
    now: Now,
) -> HTMLResponse:
    """The board for the officer's node or one under it (`?node=CODE`); htmx gets its body."""
    board = compliance.board(db, node=node, settings=settings, now=now)
    crumbs = [a for a in jurisdiction.ancestors(db, node) if scope.contains(a)]
    roles = [(role, role_label(role)) for role in REQUIRED_ROLES]
    template = "stations/partials/compliance_body.html" if is_htmx(request) else None
    return page(
        request,
        template or "stations/compliance.html",
        user=scope.user,
        board=board,
        crumbs=crumbs,
        roles=roles,
        alerts=alerts.open_alerts(db, scope_path=node.path),
        score_note=compliance_pdf.score_note(board.target_days),
        court_note=compliance_pdf.court_note(),
    )


@router.get("/stations/compliance/report.pdf", dependencies=[Depends(get_scope)])  # staff only
def compliance_report(
    db: DbSession,
    settings: SettingsDep,
    node: ReportNode,
    now: Now,
    lang: Literal["hi", "en"] | None = None,  # noqa: ARG001 - validates ?lang (see below)
) -> Response:
    """The board as a printable A4 PDF for oversight committees (`?lang=hi|en`)."""
    # The language middleware has already applied `?lang`; the parameter only validates it.
    board = compliance.board(db, node=node, settings=settings, now=now)
    # The board is loaded: end the transaction before the long part, so rendering holds no
    # database snapshot (nor, on SQLite, anything a writer waits for).
    db.commit()
    language = current_language.get()
    with pdf.render_turn():
        body = compliance_pdf.render(board, lang=language, demo=settings.demo, tz=settings.timezone)
    code = UNSAFE_FILENAME.sub("-", node.code).strip("-") or "node"
    filename = f"cctv-compliance-{code}-{language}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type="application/pdf", headers=headers)
