"""Alerts: a camera offline too long is told once; a whole site dark at once is one alert,
not forty; alerts resolve when the cameras come back; the station and control room are
told in the app, the team through the outbox."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts import notifications
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.core.i18n import language
from nigrani.health import alerts, state
from nigrani.health.models import HealthAlert, HealthTarget
from tests.accounts.factories import make_staff, make_tree
from tests.health.state_factories import T0, at_once, site_with_cameras, station_target

M = timedelta(minutes=1)


@pytest.fixture()
def staff(db: Session) -> list[int]:
    make_tree(db)
    return [make_staff(db, Role.SHO, "S1").id, make_staff(db, Role.CONTROL_ROOM, "C").id]


def down(db: Session, target: HealthTarget, at: timedelta, name: str = "offline") -> None:
    reason = "refused" if name == "offline" else ""
    state.record(db, target, state=name, reason=reason, now=T0 + at, measurements={}, confirm=1)


def open_alerts(db: Session) -> list[HealthAlert]:
    stmt = select(HealthAlert).where(HealthAlert.resolved_at.is_(None)).order_by(HealthAlert.id)
    return list(db.scalars(stmt))


def jobs(db: Session) -> int:
    stmt = select(func.count(outbox.OutboxJob.id)).where(outbox.OutboxJob.kind == alerts.JOB_KIND)
    return int(db.scalar(stmt) or 0)


def told(db: Session) -> list[tuple[int, str]]:
    rows = db.execute(select(Notification.user_id, Notification.kind).order_by(Notification.id))
    return [(u, k) for u, k in rows]


def test_offline_longer_than_x_alerts_once_and_resolves(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    _site, [camera] = site_with_cameras(db, settings, n=1)
    down(db, camera, 0 * M)
    assert alerts.sweep(db, T0 + 14 * M, settings) == 0  # not yet 15 minutes
    assert alerts.sweep(db, T0 + 16 * M, settings) == 1
    assert alerts.sweep(db, T0 + 17 * M, settings) == 0  # a repeated sweep: nothing twice
    [alert] = open_alerts(db)
    assert (alert.kind, alert.team, alert.target_id, alert.cameras) == (
        "camera_offline",
        "smart_city",
        camera.id,
        1,
    )
    assert jobs(db) == 1
    assert sorted(told(db)) == sorted((u, notifications.CAMERA_OFFLINE) for u in staff)
    note = db.scalars(select(Notification)).first()
    assert note is not None and "offline for more than 15 minutes" in notifications.text(note)
    down(db, camera, 20 * M, "working")
    assert alerts.sweep(db, T0 + 21 * M, settings) == 0
    assert open_alerts(db) == [] and alert.resolved_at == T0 + 21 * M


def test_a_site_going_dark_is_one_alert_not_forty(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    _site, cameras = site_with_cameras(db, settings, n=40, name="Bada Chauraha")
    for i, camera in enumerate(cameras):  # each seen by its next probe over 4 minutes
        down(db, camera, (i % 5) * M)
    assert alerts.sweep(db, T0 + 16 * M, settings) == 1
    assert alerts.sweep(db, T0 + 17 * M, settings) == 0
    [alert] = open_alerts(db)
    assert (alert.kind, alert.cameras, alert.site_id) == ("area_dark", 40, cameras[0].site_id)
    assert sorted(json.loads(alert.data)["targets"]) == sorted(c.id for c in cameras)
    assert jobs(db) == 1
    assert sorted(told(db)) == sorted((u, notifications.AREA_DARK) for u in staff)
    note = db.scalars(select(Notification)).first()
    assert note is not None
    assert notifications.text(note) == (
        "40 cameras at “Bada Chauraha” went offline at once (likely power or network)."
    )
    # power back for 37: three still dark is still the area
    for camera in cameras[:37]:
        down(db, camera, 30 * M, "working")
    assert alerts.sweep(db, T0 + 31 * M, settings) == 0 and len(open_alerts(db)) == 1
    # one more back: the two left are broken cameras, each with an alert of its own
    down(db, cameras[37], 32 * M, "working")
    assert alerts.sweep(db, T0 + 33 * M, settings) == 2
    assert sorted((a.kind, a.target_id) for a in open_alerts(db)) == [
        ("camera_offline", cameras[38].id),
        ("camera_offline", cameras[39].id),
    ]


def test_a_station_going_dark_names_the_station(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    desks = [station_target(db, settings, name=f"desk {i}") for i in range(3)]
    for i, desk in enumerate(desks):
        down(db, desk, i * M)
    assert alerts.sweep(db, T0 + 16 * M, settings) == 1
    [alert] = open_alerts(db)
    assert (alert.kind, alert.site_id, alert.cameras) == ("area_dark", None, 3)
    note = db.scalars(select(Notification)).first()
    assert note is not None and staff
    assert notifications.text(note) == (
        "3 cameras of S1 en police station went offline at once (likely power or network)."
    )
    with language("hi"):
        assert "S1 हिन्दी" in notifications.text(note)
    phones = {"health_team_phones": {"control_room": "+919811111111"}}
    alerts._send(outbox.JobContext(settings.model_copy(update=phones), db, 0), {"alert": alert.id})
    sms = db.scalars(select(outbox.OutboxJob).where(outbox.OutboxJob.kind == "sms")).all()
    assert any("3 cameras at S1 en went offline" in json.loads(j.payload)["body"] for j in sms)


def test_cameras_far_apart_in_time_are_not_an_area(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    _site, cameras = site_with_cameras(db, settings, n=3)
    for i, camera in enumerate(cameras):
        down(db, camera, i * 30 * M)
    assert alerts.sweep(db, T0 + 100 * M, settings) == 3
    assert {a.kind for a in open_alerts(db)} == {"camera_offline"}
    assert staff


def test_a_camera_failing_in_the_window_joins_the_open_area(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    _site, cameras = site_with_cameras(db, settings, n=4)
    for camera in cameras[:3]:
        down(db, camera, 0 * M)
    assert alerts.sweep(db, T0 + 15 * M, settings) == 1
    down(db, cameras[3], 8 * M)  # its probe came late, inside the window
    assert alerts.sweep(db, T0 + 30 * M, settings) == 0
    [alert] = open_alerts(db)
    assert alert.cameras == 4 and staff


def test_the_team_is_texted_where_it_has_a_number(
    db: Session, settings: Settings, staff: list[int]
) -> None:
    _site, [camera] = site_with_cameras(db, settings, n=1)
    down(db, camera, 0 * M)
    alerts.sweep(db, T0 + 16 * M, settings)
    [alert] = open_alerts(db)
    with_phone = settings.model_copy(update={"health_team_phones": {"smart_city": "+919811111111"}})
    sms_jobs = select(func.count(outbox.OutboxJob.id)).where(outbox.OutboxJob.kind == "sms")
    before = db.scalar(sms_jobs)
    ctx = outbox.JobContext(settings, db, 0)
    alerts._send(ctx, {"alert": alert.id})  # no number for the team: the app only
    assert db.scalar(sms_jobs) == before
    alerts._send(outbox.JobContext(with_phone, db, 0), {"alert": alert.id})
    assert db.scalar(sms_jobs) == (before or 0) + 1
    assert staff


def test_the_sweep_is_a_periodic_task() -> None:
    from nigrani.health.tasks import sweep_alerts
    from nigrani.tasks import PERIODIC

    assert any(getattr(task, "task", None) is sweep_alerts for task in PERIODIC)


# Two sweeps at once, each on its own connection to a database of its own (own_db).
def test_two_sweeps_at_once_raise_each_alert_once(
    own_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = own_db
    with transaction(sessions) as session:
        make_tree(session)
        make_staff(session, Role.SHO, "S1")
        _site, cameras = site_with_cameras(session, settings, n=4)
        down(session, cameras[0], 0 * M)  # one camera alone
        for camera in cameras[1:]:
            down(session, camera, 30 * M)  # and later a dark site of three
    raised: list[int] = []

    def sweeper(barrier: threading.Barrier) -> None:
        barrier.wait()
        with transaction(sessions) as session:
            raised.append(alerts.sweep(session, T0 + 50 * M, settings))

    assert at_once(sweeper) == [] and sorted(raised) == [0, 2]
    with sessions() as session:
        kinds = session.scalars(select(HealthAlert.kind).order_by(HealthAlert.kind)).all()
        assert kinds == ["area_dark", "camera_offline"]
        assert jobs(session) == 2
