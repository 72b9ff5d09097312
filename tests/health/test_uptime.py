"""Uptime % and time to repair by group over a period, from hand-made outages."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from nigrani.health import uptime
from nigrani.health.models import HealthOutage, HealthTarget
from tests.accounts.factories import make_tree
from tests.conftest import Freeze
from tests.health.state_factories import T0, site_with_cameras, station_target

H = timedelta(hours=1)


def outage(
    db: Session, target: HealthTarget, state: str, start: datetime, end: datetime | None
) -> None:
    reason = "refused" if state == "offline" else "covered"
    db.add(
        HealthOutage(target_id=target.id, state=state, reason=reason, start_at=start, end_at=end)
    )


@pytest.fixture()
def city(db: Session, settings: Settings) -> dict[str, HealthTarget]:
    """Smart City site in S1 (2 cameras), a shop in S3, a station camera in S2."""
    make_tree(db)
    _site, (a1, a2) = site_with_cameras(db, settings, n=2, name="Bada Chauraha")
    _shop, (b,) = site_with_cameras(
        db, settings, n=1, category="shop", name="Shop", lat=26.5, lon=80.35
    )
    lockup = station_target(db, settings, name="Lockup", station="S2")
    # a1: offline 1 h, then degraded 1 h (one repair of 2 h); a2: offline since T0+9h;
    # b: offline from an hour before the period to an hour into it (a repair of 2 h)
    outage(db, a1, "offline", T0 + H, T0 + 2 * H)
    outage(db, a1, "degraded", T0 + 2 * H, T0 + 3 * H)
    outage(db, a2, "offline", T0 + 9 * H, None)
    outage(db, b, "offline", T0 - H, T0 + H)
    a1.state, a2.state, b.state = "working", "offline", "working"
    a2.since, a2.reason = T0 + 9 * H, "refused"
    db.flush()
    return {"a1": a1, "a2": a2, "b": b, "lockup": lockup}


def rows(db: Session, group_by: uptime.GroupBy, hours: int = 10) -> dict[str, uptime.UptimeRow]:
    found = uptime.uptime(db, start=T0, end=T0 + hours * H, scope_path="/", group_by=group_by)
    return {r.label: r for r in found}


@pytest.mark.usefixtures("city")
def test_by_category(db: Session, freeze: Freeze) -> None:
    freeze(T0 + 10 * H)
    by = rows(db, "category")
    assert set(by) == {"Smart City", "Shops", "Station cameras"}
    smart = by["Smart City"]
    assert (smart.cameras, smart.working, smart.offline, smart.unknown) == (2, 1, 1, 0)
    assert smart.down_s == pytest.approx(2 * 3600) and smart.degraded_s == pytest.approx(3600)
    assert smart.uptime_pct == pytest.approx(90.0)  # 2 h offline of 20 camera-hours
    assert smart.usable_pct == pytest.approx(85.0)  # and 1 h degraded
    assert smart.repairs == 1 and smart.mttr_s == pytest.approx(2 * 3600)  # the chain
    shop = by["Shops"]
    assert shop.uptime_pct == pytest.approx(90.0)  # clipped: 1 h of the 2 h in the period
    assert shop.mttr_s == pytest.approx(2 * 3600)  # the whole repair, begun before
    station = by["Station cameras"]
    assert (station.uptime_pct, station.mttr_s, station.unknown) == (100.0, None, 1)


@pytest.mark.usefixtures("city")
def test_by_zone_station_crossing_and_camera(db: Session, freeze: Freeze) -> None:
    freeze(T0 + 10 * H)
    zones = rows(db, "zone")
    assert zones["Z1 en"].cameras == 3 and zones["Z1 en"].uptime_pct == pytest.approx(
        100 * (30 - 2) / 30, abs=0.001
    )
    assert zones["Z2 en"].cameras == 1
    stations = rows(db, "station")
    assert {k: v.cameras for k, v in stations.items()} == {"S1 en": 2, "S2 en": 1, "S3 en": 1}
    crossings = rows(db, "crossing")
    assert set(crossings) == {"Bada Chauraha", "Shop"}  # station cameras have no site
    cameras = rows(db, "camera")
    assert cameras["Bada Chauraha · cam 2"].uptime_pct == pytest.approx(90.0)
    assert cameras["Lockup"].down_s == 0.0


@pytest.mark.usefixtures("city")
def test_open_outage_runs_to_now_not_the_period_end(db: Session, freeze: Freeze) -> None:
    freeze(T0 + 10 * H)
    later = rows(db, "camera", hours=48)  # the period ends after now: clipped to now
    assert later["Bada Chauraha · cam 2"].down_s == pytest.approx(3600)


def test_a_camera_watched_from_its_creation(
    db: Session, city: dict[str, HealthTarget], freeze: Freeze
) -> None:
    freeze(T0 + 10 * H)
    city["lockup"].created_at = T0 + 5 * H
    outage(db, city["lockup"], "offline", T0 + 5 * H, T0 + 6 * H)
    db.flush()
    assert rows(db, "camera")["Lockup"].uptime_pct == pytest.approx(80.0)  # 1 h of 5


def test_scope_limits_the_cameras(
    db: Session, city: dict[str, HealthTarget], freeze: Freeze
) -> None:
    freeze(T0 + 10 * H)
    s3 = city["b"].node_path
    found = uptime.uptime(db, start=T0, end=T0 + 10 * H, scope_path=s3, group_by="category")
    assert [(r.label, r.cameras) for r in found] == [("Shops", 1)]


@pytest.mark.usefixtures("city")
def test_daily_uptime_by_local_day(db: Session, freeze: Freeze) -> None:
    freeze(T0 + 24 * H)
    days = uptime.daily_uptime(db, start=T0, end=T0 + 24 * H, scope_path="/", tz="UTC")
    # 2 Nov from 06:00: 4 cameras × 18 h, offline 1 + 9 + 1 h; 3 Nov to 06:00: 6 h of 24
    assert [d for d, _ in days] == [date(2026, 11, 2), date(2026, 11, 3)]
    assert [p for _, p in days] == pytest.approx([100 * (72 - 11) / 72, 75.0], abs=0.001)
    ist = uptime.daily_uptime(db, start=T0, end=T0 + 10 * H, scope_path="/")
    assert [d for d, _ in ist] == [date(2026, 11, 2)]  # 11:30 to 21:30 in Kanpur


def test_longest_broken(db: Session, city: dict[str, HealthTarget]) -> None:
    [broken] = uptime.longest_broken(db, now=T0 + 24 * H, scope_path="/")
    assert (broken.camera, broken.place, broken.state, broken.reason) == (
        "Bada Chauraha · cam 2",
        "12 Mall Road",  # the site's address (health.naming)
        "offline",
        "refused",
    )
    assert (broken.days_down, broken.team, broken.category) == (0.62, "smart_city", "smart_city")
    assert uptime.longest_broken(db, now=T0, scope_path=city["b"].node_path) == []


def test_unknown_grouping_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="no grouping"):
        uptime.uptime(db, start=T0, end=T0 + H, scope_path="/", group_by="street")  # type: ignore[arg-type]
