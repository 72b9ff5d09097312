"""The demo registry: the seed's linked-camera table exactly, citizens with consent, every
point inside its station."""

from __future__ import annotations

import json
from collections import Counter

import shapely
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.categories import SEED_LINKED
from nigrani.cameras.models import Camera, Site
from nigrani.core.config import Settings
from nigrani.core.phones import normalize_mobile
from nigrani.core.security import FieldCipher
from nigrani.demo.cameras import CITIZEN_SITES, seed_cameras
from nigrani.demo.seed import seed_tree


def _linked_by_category(db: Session) -> dict[str, int]:
    stmt = (
        select(Site.category_code, func.count(Camera.id))
        .join(Camera, Camera.site_id == Site.id)
        .where(Camera.linked.is_(True))
        .group_by(Site.category_code)
    )
    return dict(db.execute(stmt).all())


def _snapshot(db: Session) -> list[tuple[object, ...]]:
    stmt = select(Site.external_id, Site.lat, Site.lon, Site.category_code, Site.camera_count)
    return [tuple(r) for r in db.execute(stmt.order_by(Site.external_id))]


def test_linked_cameras_match_the_seed_table_exactly(db: Session, settings: Settings) -> None:
    seed_tree(db)
    added = seed_cameras(db, settings)
    assert added > CITIZEN_SITES
    assert _linked_by_category(db) == SEED_LINKED
    assert sum(_linked_by_category(db).values()) == 1719
    assert seed_cameras(db, settings) == 0
    assert sum(_linked_by_category(db).values()) == 1719


def test_citizen_registrations_have_consent_and_fake_looking_owners(
    db: Session, settings: Settings
) -> None:
    seed_tree(db)
    seed_cameras(db, settings)
    citizens = list(db.scalars(select(Site).where(Site.source == "citizen")))
    assert len(citizens) == CITIZEN_SITES
    cipher = FieldCipher(settings.encryption_key)
    for site in citizens:
        assert site.consent_version and site.consent_at and not site.is_public
        assert site.linked_count == 0 and site.retention_days
        assert site.owner_name_enc and cipher.decrypt(site.owner_name_enc).startswith("Demo Owner ")
        assert site.owner_phone_enc
        mobile = cipher.decrypt(site.owner_phone_enc)
        assert mobile.startswith("+9190000") and normalize_mobile(mobile) == mobile
        assert site.owner_phone_masked == f"+91 ********{mobile[-2:]}"
    public = db.scalars(select(Site).where(Site.is_public.is_(True))).all()
    assert public and all(s.owner_name_enc is None for s in public)
    planned = {s.category_code for s in db.scalars(select(Site))}
    assert {"hotel", "medical_store", "liquor_shop", "commercial", "road"} <= planned


def test_every_point_lies_in_its_station_spread_over_the_city(
    db: Session, settings: Settings
) -> None:
    seed_tree(db)
    seed_cameras(db, settings)
    stations = {
        n.id: n
        for n in db.scalars(select(JurisdictionNode).where(JurisdictionNode.level == "station"))
    }
    areas = {i: shape(json.loads(n.boundary or "null")) for i, n in stations.items()}
    sites = list(db.scalars(select(Site)))
    for site in sites:
        assert site.station_id is not None
        assert shapely.contains_xy(areas[site.station_id], site.lon, site.lat)
        assert site.node_path == stations[site.station_id].path
    for site in sites[::97]:
        found = jurisdiction.station_for_point(db, lat=site.lat, lon=site.lon)
        assert found is not None and found.id == site.station_id
    per_station = Counter(s.station_id for s in sites)
    assert len(per_station) == len(stations)


def test_the_demo_is_the_same_every_time(db: Session, settings: Settings) -> None:
    seed_tree(db)
    with db.begin_nested() as first:
        seed_cameras(db, settings)
        before = _snapshot(db)
        first.rollback()
    assert _snapshot(db) == []
    seed_cameras(db, settings)
    assert _snapshot(db) == before
