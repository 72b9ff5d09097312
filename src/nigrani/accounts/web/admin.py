"""Staff pages: a jurisdiction's page, administration and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from nigrani.accounts import boundaries, jurisdiction, service, svgmap
from nigrani.accounts.deps import Admin, StaffScope, VisibleNode
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.pages import page
from nigrani.accounts.roles import LEVEL_ORDER, Level
from nigrani.accounts.web import audit as audit_pages
from nigrani.accounts.web import users
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError, PayloadTooLarge, ValidationFailed
from nigrani.core.i18n import _, current_language

router = APIRouter(include_in_schema=False)
router.include_router(users.router)  # staff accounts: accounts/web/users.py
router.include_router(audit_pages.router)  # the audit log: accounts/web/audit.py


def _level_counts(db: DbSession, node: JurisdictionNode) -> list[tuple[str, int]]:
    rows = db.execute(
        select(JurisdictionNode.level, func.count(JurisdictionNode.id))
        .where(jurisdiction.under(JurisdictionNode.path, node.path), JurisdictionNode.id != node.id)
        .group_by(JurisdictionNode.level)
    ).all()
    counts = dict(rows)
    return [(lv.value, counts[lv.value]) for lv in LEVEL_ORDER if lv.value in counts]


def _node_page(
    request: Request, db: DbSession, scope: StaffScope, node: JurisdictionNode
) -> HTMLResponse:
    kids = jurisdiction.children(db, node)
    shown = kids if any(k.boundary for k in kids) else [node]
    return page(
        request,
        "accounts/node.html",
        user=scope.user,
        node=node,
        crumbs=[a for a in jurisdiction.ancestors(db, node) if scope.contains(a)],
        children=kids,
        counts=_level_counts(db, node),
        staff=service.list_staff(db, under_path=node.path)[:200],
        map=svgmap.draw(shown, lang=current_language.get()),
    )


@router.get("/jurisdiction/{code}")
def node_view(
    request: Request, db: DbSession, scope: StaffScope, node: VisibleNode
) -> HTMLResponse:
    """One jurisdiction inside the caller's charge."""
    return _node_page(request, db, scope, node)


def _matching(nodes: list[JurisdictionNode], q: str) -> set[int]:
    """The ids of the nodes whose English or Hindi name or code holds `q` (any case)."""
    wanted = q.strip().casefold()
    if not wanted:
        return set()
    return {n.id for n in nodes if wanted in f"{n.name_en}\n{n.name_hi}\n{n.code}".casefold()}


@router.get("/admin/tree")
def tree_page(
    request: Request,
    db: DbSession,
    admin: Admin,
    scope: StaffScope,
    q: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    """The jurisdiction tree with boundary import; `q` keeps the nodes whose name (English
    or Hindi) or code holds it, with the branches above them (a form: no script needed)."""
    return _tree_view(request, db, admin, scope, q=q)


def _tree_view(
    request: Request,
    db: DbSession,
    admin: User,
    scope: StaffScope,
    *,
    q: str = "",
    message: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    # The message and the error come from the import, never from the address: a link
    # cannot put words of its own on the administrator's page.
    nodes = jurisdiction.subtree(db, scope.node)
    total = len(nodes)
    hits = _matching(nodes, q)
    if q.strip():
        keep = {i for n in nodes if n.id in hits for i in jurisdiction.path_ids(n.path)}
        nodes = [n for n in nodes if n.id in keep or n.id == scope.node.id]
    by_parent: dict[int | None, list[JurisdictionNode]] = {}
    for n in nodes:
        by_parent.setdefault(n.parent_id, []).append(n)
    for kids in by_parent.values():
        kids.sort(key=lambda n: n.name(current_language.get()))
    return page(
        request,
        "accounts/admin_tree.html",
        user=admin,
        root=scope.node,
        by_parent=by_parent,
        total=total,
        q=q.strip(),
        hits=hits,
        message=message,
        error=error,
        levels=[lv.value for lv in Level],
    )


@router.post("/admin/boundaries", response_model=None)
async def boundaries_upload(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    admin: Admin,
    scope: StaffScope,
    file: Annotated[UploadFile, File()],
    level: Annotated[str, Form()] = "",
) -> Response:
    """Import a GeoJSON file of boundaries; nothing is written if any feature is wrong."""
    try:
        data = await file.read(settings.max_geojson_bytes + 1)
        if len(data) > settings.max_geojson_bytes:
            raise PayloadTooLarge(_("The file is too large"))
        if level and level not in set(Level):
            raise ValidationFailed(_("Unknown level {level}").format(level=level))
        features = boundaries.parse(
            data,
            default_level=Level(level) if level else None,
            max_bytes=settings.max_geojson_bytes,
        )
        result = boundaries.apply(db, features, actor=service.actor_of(admin))
    except NigraniError as exc:
        db.rollback()
        return _tree_view(request, db, admin, scope, error=exc.message)
    msg = _("Imported: {created} created, {updated} updated").format(
        created=result.created, updated=result.updated
    )
    return _tree_view(request, db, admin, scope, message=msg)
