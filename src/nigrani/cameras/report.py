"""The category report (seed 001): sites and cameras per category and per sub-area, on targets.

Everything is counted by two GROUP BY queries keyed on (station path, category), so the cost
grows with the number of stations × categories, not with the number of sites.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level
from nigrani.cameras import service
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.text import safe_cell

MAX_TARGET = 1_000_000
# Sites are registered to stations, so a station's report has no sub-areas worth listing.
LEAF_LEVELS = frozenset({Level.STATION.value, Level.POST.value})

_Key = tuple[str, str]  # (station node path, category code)


@dataclass(slots=True)
class Counts:
    """Sites, cameras, linked cameras and the health of the linked ones (Camera.health, kept
    current by the health checks: working, degraded, offline, or not checked yet)."""

    sites: int = 0
    cameras: int = 0
    linked: int = 0
    working: int = 0
    degraded: int = 0
    offline: int = 0
    unknown: int = 0

    def add(self, other: Counts) -> None:
        """Add another set of counts to this one."""
        self.sites += other.sites
        self.cameras += other.cameras
        self.linked += other.linked
        self.working += other.working
        self.degraded += other.degraded
        self.offline += other.offline
        self.unknown += other.unknown

    def values(self) -> list[int]:
        """The counts in column order."""
        return [
            self.sites,
            self.cameras,
            self.linked,
            self.working,
            self.degraded,
            self.offline,
            self.unknown,
        ]


def progress(linked: int, target: int) -> float | None:
    """Linked cameras as a percentage of the target; None when no target is set."""
    return round(100 * linked / target, 1) if target > 0 else None


@dataclass(frozen=True, slots=True)
class CategoryLine:
    """One row of the category table (or its total)."""

    code: str
    name: str
    target: int
    counts: Counts

    @property
    def progress(self) -> float | None:
        """Progress of linked cameras towards the target, in per cent."""
        return progress(self.counts.linked, self.target)


@dataclass(frozen=True, slots=True)
class AreaLine:
    """One row of the sub-area breakdown: a zone, circle or station under the node."""

    code: str | None
    name: str
    level: str | None
    counts: Counts


@dataclass(frozen=True, slots=True)
class CategoryReport:
    """The whole report for one jurisdiction node."""

    node: JurisdictionNode
    lang: str
    generated_at: datetime
    categories: list[CategoryLine]
    total: CategoryLine
    areas: list[AreaLine]

    @property
    def node_name(self) -> str:
        """The node's name in the report's language."""
        return self.node.name(self.lang)


def _site_counts(session: Session, path: str) -> Iterable[tuple[str, str, int, int]]:
    stmt = (
        select(
            Site.node_path,
            Site.category_code,
            func.count(Site.id),
            func.coalesce(func.sum(Site.camera_count), 0),
        )
        .where(jurisdiction.under(Site.node_path, path), Site.status != "withdrawn")
        .group_by(Site.node_path, Site.category_code)
    )
    return session.execute(stmt).all()


def _linked_counts(session: Session, path: str) -> Iterable[tuple[str, str, str, int]]:
    stmt = (
        select(Site.node_path, Site.category_code, Camera.health, func.count(Camera.id))
        .join(Site, Camera.site_id == Site.id)
        .where(
            jurisdiction.under(Site.node_path, path),
            Site.status != "withdrawn",
            Camera.linked.is_(True),
        )
        .group_by(Site.node_path, Site.category_code, Camera.health)
    )
    return session.execute(stmt).all()


def _count_health(cell: Counts, health: str, n: int) -> None:
    """Add n linked cameras in one health state (written by the health checks)."""
    if health == "working":
        cell.working += n
    elif health == "degraded":
        cell.degraded += n
    elif health in ("offline", "faulty"):  # "faulty": the word of rows from before the checks
        cell.offline += n
    else:  # not yet checked
        cell.unknown += n


def _cells(session: Session, path: str) -> dict[_Key, Counts]:
    cells: dict[_Key, Counts] = defaultdict(Counts)
    for node_path, code, sites, cameras in _site_counts(session, path):
        cell = cells[(node_path, code)]
        cell.sites, cell.cameras = int(sites), int(cameras)
    for node_path, code, health, n in _linked_counts(session, path):
        cell = cells[(node_path, code)]
        cell.linked += n
        _count_health(cell, health, n)
    return cells


def _child_id(path: str, base: str) -> int | None:
    first = path[len(base) :].split("/", 1)[0]
    return int(first) if first.isdigit() else None


def _areas(
    session: Session, node: JurisdictionNode, cells: Mapping[_Key, Counts], lang: str
) -> list[AreaLine]:
    if node.level in LEAF_LEVELS:
        return []
    by_child: dict[int | None, Counts] = defaultdict(Counts)
    for (path, _code), counts in cells.items():
        by_child[_child_id(path, node.path)].add(counts)
    lines = [
        AreaLine(kid.code, kid.name(lang), kid.level, by_child.pop(kid.id, Counts()))
        for kid in jurisdiction.children(session, node)
    ]
    rest = Counts()
    for counts in by_child.values():
        rest.add(counts)
    if rest.sites or rest.linked:
        lines.append(AreaLine(None, _("Registered directly at this level"), None, rest))
    return lines


def _category_lines(
    categories: list[CameraCategory], cells: Mapping[_Key, Counts], lang: str
) -> list[CategoryLine]:
    by_code: dict[str, Counts] = defaultdict(Counts)
    for (_path, code), counts in cells.items():
        by_code[code].add(counts)
    return [
        CategoryLine(c.code, c.name(lang), c.target, by_code.get(c.code, Counts()))
        for c in categories
    ]


def category_report(session: Session, *, node: JurisdictionNode, lang: str) -> CategoryReport:
    """The category table and sub-area breakdown for everything under a node."""
    cells = _cells(session, node.path)
    lines = _category_lines(service.categories(session), cells, lang)
    total = Counts()
    for line in lines:
        total.add(line.counts)
    total_line = CategoryLine("", _("Total"), sum(line.target for line in lines), total)
    return CategoryReport(
        node=node,
        lang=lang,
        generated_at=utcnow(),
        categories=lines,
        total=total_line,
        areas=_areas(session, node, cells, lang),
    )


def set_target(session: Session, *, code: str, target: int, actor: audit.Actor) -> CameraCategory:
    """Set how many linked cameras a category aims for; audited when the value changes."""
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= MAX_TARGET:
        raise ValidationFailed(
            _("A target must be a whole number from 0 to {max}.").format(max=MAX_TARGET),
            field="target",
        )
    category = service.get_category(session, code)
    before = category.target
    if before == target:
        return category
    category.target = target
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="category.target",
        object_type="camera_category",
        object_id=code,
        detail={"from": before, "to": target},
    )
    return category


def set_targets(session: Session, *, targets: Mapping[str, int], actor: audit.Actor) -> int:
    """Set several categories' targets at once; returns how many changed."""
    changed = 0
    for code, target in targets.items():
        before = service.get_category(session, code).target
        set_target(session, code=code, target=target, actor=actor)
        changed += before != target
    return changed


def count_headers() -> list[str]:
    """Column names of the counts, in the current language."""
    return [
        _("Sites"),
        _("Cameras"),
        _("Linked"),
        _("Working"),
        _("Degraded"),
        _("Offline"),
        _("Not checked yet"),
    ]


def category_headers() -> list[str]:
    """Column names of the category table, in the current language."""
    return [_("Category"), *count_headers(), _("Target"), _("Progress to target (%)")]


def area_headers() -> list[str]:
    """Column names of the sub-area breakdown, in the current language."""
    return [_("Area"), *count_headers()]


def percent(value: float | None, *, none: str = "—") -> str:
    """A progress figure as printed: one decimal, or a dash when there is no target."""
    return none if value is None else f"{value:.1f}"


def category_cells(line: CategoryLine, *, none: str = "—") -> list[str | int]:
    """One row of the category table, as exported."""
    return [line.name, *line.counts.values(), line.target, percent(line.progress, none=none)]


def area_cells(line: AreaLine) -> list[str | int]:
    """One row of the sub-area breakdown, as exported."""
    return [line.name, *line.counts.values()]


def to_csv(report: CategoryReport) -> str:
    """The report as CSV text: the category table, a blank line, then the sub-areas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows: list[Sequence[str | int]] = [
        category_headers(),
        *(category_cells(line, none="") for line in report.categories),
        category_cells(report.total, none=""),
    ]
    if report.areas:
        total = AreaLine(None, _("Total"), None, report.total.counts)
        rows += [[], area_headers(), *(area_cells(a) for a in report.areas), area_cells(total)]
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()
