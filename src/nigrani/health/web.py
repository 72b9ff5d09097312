"""Camera health pages: the review report (page, CSV, PDF), the cameras in a state, the open
alerts, a camera's panel with its reference views, and accepting a new reference."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import ReportNode, Scope, StaffScope, get_scope, require_staff
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.pages import page, see_other
from nigrani.accounts.roles import Level, Permission
from nigrani.cameras import service as camera_service
from nigrani.core import pdf
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.i18n import _, current_language
from nigrani.core.params import Flag, PathId
from nigrani.health import charts, figures, labels, reference, report, report_pdf
from nigrani.health.models import HealthTarget
from nigrani.health.prober import is_night

router = APIRouter(include_in_schema=False)
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")

Group = Annotated[report.GroupBy, Query(alias="group")]
FromDay = Annotated[date | None, Query(alias="from")]
ToDay = Annotated[date | None, Query(alias="to")]
State = Annotated[figures.ListState, Query()]


def categories(db: Session) -> dict[str, str]:
    """Category names in the current language; station cameras' own "category"."""
    lang = current_language.get()
    names = {c.code: c.name(lang) for c in camera_service.categories(db)}
    return names | {"station": _("Station cameras")}


def get_review(
    db: DbSession,
    settings: SettingsDep,
    node: ReportNode,
    now: Now,
    group: Group = "category",
    first: FromDay = None,
    last: ToDay = None,
) -> report.Review:
    """The review report asked for: node, grouping and period from the query."""
    chosen = report.period(first=first, last=last, now=now, tz=settings.timezone)
    lang, tz = current_language.get(), settings.timezone
    return report.review(db, node=node, group_by=group, period=chosen, now=now, lang=lang, tz=tz)


CurrentReview = Annotated[report.Review, Depends(get_review)]


def get_visible_target(target_id: PathId, db: DbSession, scope: StaffScope) -> HealthTarget:
    """The probed camera named in the path, inside the caller's charge (else 404)."""
    return figures.get_target(db, target_id=target_id, scope_path=scope.node.path)


VisibleTarget = Annotated[HealthTarget, Depends(get_visible_target)]
get_health_manager = require_staff(
    Permission.MANAGE_CAMERA_HEALTH, lambda: _("Your role does not allow changing camera health.")
)
HealthManager = Annotated[Scope, Depends(get_health_manager)]


def _picker(db: Session, scope: Scope) -> list[tuple[JurisdictionNode, int]]:
    """The nodes a report can be asked for, in tree order, with their depth for indenting."""
    nodes = [n for n in jurisdiction.subtree(db, scope.node) if n.level != Level.POST]
    top = scope.node.path.count("/")
    ordered = sorted(nodes, key=lambda n: n.path)
    return [(n, n.path.count("/") - top) for n in ordered]


def _filename(review: report.Review, ext: str, lang: str | None = None) -> str:
    code = UNSAFE_FILENAME.sub("-", review.node.code).strip("-") or "node"
    days = f"{review.period.first.isoformat()}-{review.period.last.isoformat()}"
    suffix = f"-{lang}" if lang else ""
    return f"camera-health-{code}-{days}{suffix}.{ext}"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/health")
def review_page(
    request: Request, db: DbSession, scope: StaffScope, review: CurrentReview
) -> HTMLResponse:
    """The review report: counts by group, uptime over the period, trend, longest broken."""
    context: dict[str, Any] = {
        "review": review,
        "nodes": _picker(db, scope),
        "groups": [(g, labels.group_label(g)) for g in report.GROUPS],
        "headers": report.group_headers(review.group_by),
        "trend": charts.trend(review.daily),
        "categories": categories(db),
        "labels": labels,
        "hours": report.hours,
        "percent": report.percent,
    }
    return page(request, "health/review.html", user=scope.user, **context)


@router.get("/health.csv", dependencies=[Depends(get_scope)])  # staff only
def review_csv(db: DbSession, review: CurrentReview) -> Response:
    """The review report as CSV (UTF-8 with BOM, so spreadsheets read the Hindi)."""
    body = ("\ufeff" + report.to_csv(review, categories(db))).encode("utf-8")
    return _download(body, "text/csv; charset=utf-8", _filename(review, "csv"))


@router.get("/health.pdf", dependencies=[Depends(get_scope)])  # staff only
def review_pdf(
    db: DbSession,
    settings: SettingsDep,
    review: CurrentReview,
    lang: Literal["hi", "en"] | None = None,  # noqa: ARG001 - validates ?lang (see below)
) -> Response:
    """The review report as a printable A4 PDF (language from `?lang=hi|en`)."""
    # The language middleware has already applied `?lang`; the parameter only validates it.
    names = categories(db)
    db.commit()  # loaded: rendering holds no transaction (see the compliance PDF)
    with pdf.render_turn():
        body = report_pdf.render(review, names, demo=settings.demo, tz=settings.timezone)
    language = current_language.get()
    return _download(body, "application/pdf", _filename(review, "pdf", language))


@router.get("/health/cameras")
def cameras_page(
    request: Request,
    db: DbSession,
    scope: StaffScope,
    node: ReportNode,
    now: Now,
    state: State = "broken",
) -> HTMLResponse:
    """Cameras offline, degraded or either, under the node: the longest down first."""
    lines, total = figures.cameras(
        db, scope_path=node.path, state=state, now=now, lang=current_language.get()
    )
    return page(
        request,
        "health/cameras.html",
        user=scope.user,
        node=node,
        state=state,
        lines=lines,
        total=total,
        categories=categories(db),
        labels=labels,
    )


@router.get("/health/alerts")
def alerts_page(
    request: Request, db: DbSession, scope: StaffScope, node: ReportNode
) -> HTMLResponse:
    """Open camera health alerts under the node, the newest first."""
    found = figures.open_alerts(db, scope_path=node.path, lang=current_language.get())
    return page(
        request, "health/alerts.html", user=scope.user, node=node, alerts=found, labels=labels
    )


@router.get("/health/cameras/{target_id}")
def camera_panel(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    scope: StaffScope,
    target: VisibleTarget,
    now: Now,
    saved: Flag = 0,
) -> HTMLResponse:
    """One camera's health: its state and reason, the last probe, the reference views beside
    the current one, and (for who may) accepting a new reference."""
    return page(
        request,
        "health/camera.html",
        user=scope.user,
        target=target,
        line=figures.camera_line(db, target=target, now=now, lang=current_language.get()),
        result=figures.last_result(target),
        views=reference.views(settings.media_path, target),
        categories=categories(db),
        labels=labels,
        saved=saved,
    )


@router.post("/health/cameras/{target_id}/reference")
def accept_reference(
    db: DbSession, settings: SettingsDep, manager: HealthManager, target: VisibleTarget, now: Now
) -> Response:
    """Accept the camera's current view as its reference after a deliberate move (audited)."""
    reference.accept(
        db,
        target=target,
        actor=accounts_service.actor_of(manager.user),
        media=settings.media_path,
        night=is_night(now, settings.timezone),
        now=now,
    )
    return see_other(f"/health/cameras/{target.id}?saved=1")
