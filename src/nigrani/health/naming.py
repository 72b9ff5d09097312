"""What people call a probed camera: one rule for the lists, the review report, its CSV and
PDF, the notifications and the SMS.

A registry camera is called by its site's name and its own label ("Gupta Sweets · gate", or
the label alone when it holds the site's name);
one without a label by its site's name alone, or with its number at the site when the site
has several ("Gupta Sweets · camera 2 of 3"); a station camera by its name. Where it is: the
site's address, else its police station. A site with no name of its own (an anonymous point
kept after withdrawal) is called by its category at its station. Never a bare row number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.core.i18n import _, language, pick
from nigrani.health.models import HealthTarget
from nigrani.stations.models import StationCamera

NO_NAME = "—"  # the name a withdrawn site keeps (cameras.service.withdraw)


@dataclass(frozen=True, slots=True)
class CameraName:
    """A camera's name for people, and where it is."""

    title: str
    place: str


@dataclass(frozen=True, slots=True)
class Parts:
    """What the registry and the stations know that names a camera."""

    station_camera: str | None = None
    label: str = ""
    site: str = ""
    address: str = ""
    number: int = 0  # the camera's place among its site's cameras (1, 2, ...)
    of: int = 0  # how many cameras its site has
    category: str = ""
    station: str = ""


def camera_name(parts: Parts) -> CameraName:
    """The one rule: see the module's docstring."""
    if parts.station_camera is not None:
        return CameraName(parts.station_camera or str(_("Station camera")), parts.station)
    place = " ".join(parts.address.split())[:80] or parts.station
    site = parts.site if parts.site.strip() not in ("", NO_NAME) else ""
    if not site:
        category = parts.category or str(_("Camera"))
        return CameraName(" · ".join(p for p in (category, parts.label) if p), parts.station)
    if parts.label:  # "gate" says little alone; "Bank D 1" already names its site
        named = site.casefold() in parts.label.casefold()
        return CameraName(parts.label if named else f"{site} · {parts.label}", place)
    if parts.of > 1:
        which = _("camera {n} of {total}").format(n=parts.number, total=parts.of)
        return CameraName(f"{site} · {which}", place)
    return CameraName(site, place)


def names(session: Session, target_ids: Iterable[int], *, lang: str) -> dict[int, CameraName]:
    """Each probed camera's name, in one statement for any number of them."""
    ids = sorted(set(target_ids))
    if not ids:
        return {}
    t, other = HealthTarget, aliased(Camera)
    number = (
        select(func.count(other.id))
        .where(other.site_id == Camera.site_id, other.id <= Camera.id)
        .scalar_subquery()
    )
    of = select(func.count(other.id)).where(other.site_id == Camera.site_id).scalar_subquery()
    cat, node = CameraCategory, JurisdictionNode
    stmt = (
        select(t.id, t.station_camera_id, StationCamera.name, Camera.label, Site.name)
        .add_columns(Site.address, number, of, cat.name_en, cat.name_hi, node.name_en, node.name_hi)
        .outerjoin(Camera, Camera.id == t.registry_camera_id)
        .outerjoin(Site, Site.id == func.coalesce(t.site_id, Camera.site_id))
        .outerjoin(StationCamera, StationCamera.id == t.station_camera_id)
        .outerjoin(cat, cat.code == t.category_code)
        .outerjoin(node, node.path == t.node_path)
        .where(t.id.in_(ids))
    )
    with language(lang):  # the words of the rule ("camera 2 of 3") in the names' language
        return {int(row[0]): camera_name(_parts(row, lang)) for row in session.execute(stmt)}


def _parts(row: Any, lang: str) -> Parts:
    _tid, station_camera_id, station_camera, label, site, address, number, of = row[:8]
    cat_en, cat_hi, node_en, node_hi = row[8:]
    return Parts(
        station_camera=(station_camera or "") if station_camera_id is not None else None,
        label=label or "",
        site=site or "",
        address=address or "",
        number=int(number or 0),
        of=int(of or 0),
        category=pick((cat_en, cat_hi), lang) if cat_en else "",
        station=pick((node_en, node_hi), lang) if node_en else "",
    )


def name_of(session: Session, target_id: int, *, lang: str) -> CameraName:
    """One probed camera's name (an empty one for a camera that is gone)."""
    return names(session, [target_id], lang=lang).get(target_id, CameraName("", ""))
