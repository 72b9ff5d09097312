"""Rules of the camera registry: sites, cameras, citizen registration, withdrawal."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.cameras import owners, spatial
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.cameras.schemas import CameraIn, CitizenSiteCreate, SiteCreate, SiteRead, SiteUpdate
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher

CONSENT_VERSION = "2026-11"
DUPLICATE_METRES = 25.0


def categories(session: Session) -> list[CameraCategory]:
    """Every category in display order."""
    stmt = select(CameraCategory).order_by(CameraCategory.sort_order, CameraCategory.code)
    return list(session.scalars(stmt))


def get_category(session: Session, code: str) -> CameraCategory:
    """A category by code, or a clear error naming the valid ones."""
    category = session.get(CameraCategory, code)
    if category is None:
        valid = ", ".join(c.code for c in categories(session))
        raise ValidationFailed(
            _("Unknown category {code}; use one of: {valid}").format(code=code, valid=valid),
            field="category",
        )
    return category


def station_at(session: Session, *, lat: float, lon: float) -> JurisdictionNode:
    """The station covering a point; the point must lie inside the commissionerate."""
    station = jurisdiction.station_for_point(session, lat=lat, lon=lon)
    if station is None:
        raise ValidationFailed(
            _("No police station covers this place. Pick a point inside the city."),
            field="location",
        )
    return station


def get_site(session: Session, site_id: int) -> Site:
    """A site by id, or NotFound."""
    site = session.get(Site, site_id)
    if site is None or site.status == "withdrawn":
        raise NotFound(_("No such camera site"))
    return site


def metres_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(a))


def _refuse_duplicate(session: Session, site: Site, *, by_owner: bool = False) -> None:
    """409 for a site already registered within 25 m under the same name (or, `by_owner`,
    with the same owner's mobile: only for a citizen's own verified number, so that staff
    cannot confirm a guessed mobile by the answer)."""
    if site.external_id and session.scalar(
        select(Site.id).where(Site.external_id == site.external_id, Site.id != site.id)
    ):
        raise Conflict(
            _("A site with external id {id} exists").format(id=site.external_id),
            field="external_id",
        )
    session.flush()  # the spatial query reads the connection, not the session's pending rows
    nearby = spatial.sites_within(
        session, lat=site.lat, lon=site.lon, radius_m=DUPLICATE_METRES, include_paused=True
    )
    for hit in nearby:
        other = session.get(Site, hit.site_id)
        if other is None or other.id == site.id:
            continue
        mobile = site.owner_phone_hash
        same_owner = by_owner and mobile is not None and other.owner_phone_hash == mobile
        if same_owner or other.name.casefold() == site.name.casefold():
            raise Conflict(
                _("This site is already registered (site {id}).").format(id=other.id),
                field="location",
            )


def _camera(data: CameraIn, cipher: FieldCipher) -> Camera:
    fields = data.model_dump(exclude={"stream_url", "substream_url"})
    return Camera(
        **fields,
        created_at=utcnow(),
        stream_url_enc=cipher.encrypt(data.stream_url) if data.stream_url else None,
        substream_url_enc=cipher.encrypt(data.substream_url) if data.substream_url else None,
    )


def _new_site(session: Session, *, settings: Settings, data: SiteCreate, source: str) -> Site:
    category = get_category(session, data.category)
    station = station_at(session, lat=data.lat, lon=data.lon)
    now = utcnow()
    site = Site(
        external_id=data.external_id or None,
        name=data.name,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        station_id=station.id,
        node_path=station.path,
        category_code=category.code,
        is_public=category.is_public if data.is_public is None else data.is_public,
        camera_count=max(data.camera_count, len(data.cameras)),
        facing=data.facing,
        retention_days=data.retention_days,
        source=source,
        status="active",
        created_at=now,
        updated_at=now,
    )
    owners.set_owner(site, settings=settings, name=data.owner_name, mobile=data.owner_mobile)
    cipher = FieldCipher(settings.encryption_key)
    site.cameras = [_camera(c, cipher) for c in data.cameras]
    return site


def create_site(
    session: Session,
    *,
    settings: Settings,
    data: SiteCreate,
    actor: audit.Actor,
    source: str = "staff",
    scope_path: str = "/",
) -> Site:
    """Add a site entered by staff inside their charge; audited, without personal data."""
    site = _new_site(session, settings=settings, data=data, source=source)
    if not jurisdiction.within(site.node_path, scope_path):
        raise PermissionDenied(_("This place is outside your charge."))
    _refuse_duplicate(session, site)
    session.add(site)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="site.create",
        object_type="site",
        object_id=site.id,
        detail={"category": site.category_code, "cameras": site.camera_count},
    )
    return site


def register_own_site(
    session: Session, *, settings: Settings, user: User, data: CitizenSiteCreate
) -> Site:
    """A citizen lists their own cameras, with consent; their verified mobile is the contact."""
    if not data.consent:
        raise ValidationFailed(_("Please read the notice and give your consent."), field="consent")
    if not user.phone_enc:
        raise ValidationFailed(_("Sign in with your mobile number first."))
    mobile = FieldCipher(settings.encryption_key).decrypt(user.phone_enc)
    create = SiteCreate(
        name=data.name,
        address=data.address,
        lat=data.lat,
        lon=data.lon,
        category=data.category,
        is_public=False,
        camera_count=data.camera_count,
        facing=data.facing,
        retention_days=data.retention_days,
        owner_name=data.owner_name,
        owner_mobile=mobile,
    )
    site = _new_site(session, settings=settings, data=create, source="citizen")
    site.owner_user_id = user.id
    site.consent_version, site.consent_at = CONSENT_VERSION, utcnow()
    site.keep_point_on_withdrawal = data.keep_point_on_withdrawal
    site.health_sms, site.health_sms_at = (
        data.health_sms,
        site.consent_at if data.health_sms else None,
    )
    _refuse_duplicate(session, site, by_owner=True)
    session.add(site)
    session.flush()
    if user.role == "citizen":
        user.role = "camera_owner"
    audit.record(
        session,
        actor=audit.Actor(user.id, user.phone_masked or ""),
        action="site.register",
        object_type="site",
        object_id=site.id,
        detail={
            "consent": CONSENT_VERSION,
            "cameras": site.camera_count,
            "health_sms": site.health_sms,
        },
    )
    return site


def update_site(session: Session, *, site: Site, data: SiteUpdate, actor: audit.Actor) -> Site:
    """Change a site's public details; audited with the names of the changed fields."""
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes.pop("health_sms", None) is not None:
        if data.health_sms:
            raise ValidationFailed(
                _("Only the owner can ask for these SMS, on their own page."), field="health_sms"
            )
        site.health_sms, site.health_sms_at = False, utcnow()
    if "category" in changes:
        site.category_code = get_category(session, changes.pop("category")).code
    for key, value in changes.items():
        setattr(site, key, value)
    site.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="site.update",
        object_type="site",
        object_id=site.id,
        detail={"fields": sorted(data.model_fields_set)},
    )
    return site


def set_health_sms(session: Session, *, site: Site, on: bool, actor: audit.Actor) -> None:
    """The owner's own switch: an SMS when a camera seems offline, or none; audited."""
    site.health_sms, site.health_sms_at = on, utcnow()
    site.updated_at = site.health_sms_at
    audit.record(
        session,
        actor=actor,
        action="site.health_sms_on" if on else "site.health_sms_off",
        object_type="site",
        object_id=site.id,
    )


def set_paused(session: Session, *, site: Site, paused: bool, actor: audit.Actor) -> None:
    """Pause (hidden from canvass) or resume a listing."""
    site.status = "paused" if paused else "active"
    site.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="site.pause" if paused else "site.resume",
        object_type="site",
        object_id=site.id,
    )


def withdraw(session: Session, *, site: Site, actor: audit.Actor) -> bool:
    """Withdraw consent: erase the owner's data; keep the bare point only if they agreed.

    Returns True when an anonymous point remains.
    """
    keep = site.keep_point_on_withdrawal
    audit.record(
        session,
        actor=actor,
        action="site.withdraw",
        object_type="site",
        object_id=site.id,
        detail={"kept_point": keep},
    )
    if not keep:
        session.delete(site)
        session.flush()
        return False
    owners.erase_owner(site)
    site.name, site.status, site.withdrawn_at = "—", "withdrawn", utcnow()
    site.cameras = []
    session.flush()
    return True


def owned_by(session: Session, user: User) -> list[Site]:
    """A citizen's own listings (withdrawn ones are gone)."""
    stmt = (
        select(Site)
        .where(Site.owner_user_id == user.id, Site.status != "withdrawn")
        .options(selectinload(Site.cameras))
        .order_by(Site.id)
    )
    return list(session.scalars(stmt))


def site_read(site: Site, station_code: str | None = None) -> SiteRead:
    """The public view of a site: owner masked, stream URLs never included."""
    from nigrani.cameras.schemas import CameraRead

    return SiteRead(
        id=site.id,
        external_id=site.external_id,
        name=site.name,
        address=site.address,
        lat=site.lat,
        lon=site.lon,
        category=site.category_code,
        is_public=site.is_public,
        camera_count=site.camera_count,
        linked_count=site.linked_count,
        status=site.status,
        source=site.source,
        station_code=station_code,
        owner_name_masked=site.owner_name_masked,
        owner_phone_masked=site.owner_phone_masked,
        facing=site.facing,
        retention_days=site.retention_days,
        created_at=site.created_at,
        cameras=[CameraRead.model_validate(c) for c in site.cameras],
    )


@dataclass(frozen=True, slots=True)
class SiteFilter:
    category: str | None = None
    is_public: bool | None = None
    linked: bool | None = None
    station_path: str | None = None
    q: str | None = None


def filtered(stmt: Select[Site], scope_path: str, f: SiteFilter) -> Select[Site]:
    """Apply the caller's jurisdiction and the list filters to a query of sites."""
    stmt = stmt.where(jurisdiction.under(Site.node_path, scope_path), Site.status != "withdrawn")
    if f.station_path:
        stmt = stmt.where(jurisdiction.under(Site.node_path, f.station_path))
    if f.category:
        stmt = stmt.where(Site.category_code == f.category)
    if f.is_public is not None:
        stmt = stmt.where(Site.is_public.is_(f.is_public))
    if f.linked is not None:
        has_linked = select(Camera.id).where(Camera.site_id == Site.id, Camera.linked.is_(True))
        stmt = stmt.where(has_linked.exists() if f.linked else ~has_linked.exists())
    if f.q:
        stmt = stmt.where(func.lower(Site.name).contains(f.q.lower()))
    return stmt


def list_sites(
    session: Session, *, scope_path: str, f: SiteFilter, page: int = 1, per_page: int = 50
) -> tuple[list[Site], int]:
    """One page of sites in the caller's jurisdiction, newest first, and the total."""
    base = filtered(select(Site), scope_path, f)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = (
        base.options(selectinload(Site.cameras))
        .order_by(Site.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(session.scalars(stmt)), total
