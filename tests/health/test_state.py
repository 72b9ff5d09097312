"""The state without flapping: K results in a row, outages with a start and an end, the
camera's own health column, and two probers recording one camera at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.cameras.models import Camera
from nigrani.core.config import Settings
from nigrani.core.db import reads_first, transaction
from nigrani.health import state
from nigrani.health.models import HealthOutage, HealthTarget
from nigrani.stations.models import StationCamera
from tests.accounts.factories import make_tree
from tests.health.state_factories import (
    T0,
    at_once,
    site_with_cameras,
    station_target,
)

STEP = timedelta(minutes=5)


def feed(
    db: Session, target: HealthTarget, results: list[str], *, start: datetime = T0, k: int = 3
) -> list[state.Change]:
    """Record one result per probe interval ("working", "offline:refused", …)."""
    changes = []
    for i, result in enumerate(results):
        name, _, reason = result.partition(":")
        change = state.record(
            db,
            target,
            state=name,
            reason=reason,
            now=start + i * STEP,
            measurements={"ttff_ms": 410.0},
            confirm=k,
        )
        if change:
            changes.append(change)
    return changes


def outages(db: Session, target: HealthTarget) -> list[tuple[str, str, datetime, datetime | None]]:
    rows = db.scalars(
        select(HealthOutage).where(HealthOutage.target_id == target.id).order_by(HealthOutage.id)
    )
    return [(o.state, o.reason, o.start_at, o.end_at) for o in rows]


@pytest.fixture()
def camera(db: Session, settings: Settings) -> HealthTarget:
    make_tree(db)
    return site_with_cameras(db, settings, n=1)[1][0]


def test_first_result_applies_at_once_from_unknown(db: Session, camera: HealthTarget) -> None:
    [change] = feed(db, camera, ["working"])
    assert (change.old, change.new, change.at) == ("unknown", "working", T0)
    assert camera.state == "working" and camera.since == T0 and camera.last_ok_at == T0
    assert db.get(Camera, camera.registry_camera_id).health == "working"  # type: ignore[union-attr]


def test_state_changes_only_after_k_in_a_row(db: Session, camera: HealthTarget) -> None:
    # one and two failures in a row are blips; the third in a row is an outage
    results = ["working", "offline:refused", "working", "offline:refused", "offline:refused"]
    assert feed(db, camera, [*results, "working"]) == [
        state.Change(camera.id, "unknown", "working", "", T0)
    ]
    assert camera.state == "working" and camera.candidate_count == 0
    changes = feed(db, camera, ["offline:refused"] * 3, start=T0 + 6 * STEP)
    assert [(c.old, c.new, c.reason, c.at) for c in changes] == [
        ("working", "offline", "refused", T0 + 6 * STEP)  # when the first of the three came
    ]
    assert outages(db, camera) == [("offline", "refused", T0 + 6 * STEP, None)]
    assert db.get(Camera, camera.registry_camera_id).health == "offline"  # type: ignore[union-attr]


def test_recovery_after_k_closes_the_outage(db: Session, camera: HealthTarget) -> None:
    feed(db, camera, ["working", *["offline:unreachable"] * 3])
    back = T0 + 4 * STEP
    # a single good probe in the outage is not yet a recovery
    assert feed(db, camera, ["working", "offline:unreachable"], start=back) == []
    assert camera.state == "offline"
    changes = feed(db, camera, ["working"] * 3, start=back + 2 * STEP)
    assert [(c.new, c.at) for c in changes] == [("working", back + 2 * STEP)]
    assert outages(db, camera) == [("offline", "unreachable", T0 + STEP, back + 2 * STEP)]
    assert camera.since == back + 2 * STEP


def test_a_different_result_restarts_the_count(db: Session, camera: HealthTarget) -> None:
    feed(db, camera, ["working", "offline:refused", "degraded:black", "offline:refused"])
    assert camera.state == "working"
    assert (camera.candidate_state, camera.candidate_count) == ("offline", 1)


def test_offline_to_degraded_closes_one_outage_and_opens_the_next(
    db: Session, camera: HealthTarget
) -> None:
    feed(db, camera, ["working"] + ["offline:no_frames"] * 3 + ["degraded:covered"] * 3)
    assert outages(db, camera) == [
        ("offline", "no_frames", T0 + STEP, T0 + 4 * STEP),
        ("degraded", "covered", T0 + 4 * STEP, None),
    ]
    assert (camera.state, camera.reason) == ("degraded", "covered")


def test_unknown_to_offline_opens_an_outage_at_once(db: Session, camera: HealthTarget) -> None:
    [change] = feed(db, camera, ["offline:refused"])
    assert change.new == "offline" and outages(db, camera) == [("offline", "refused", T0, None)]


def test_a_late_result_is_ignored(db: Session, camera: HealthTarget) -> None:
    feed(db, camera, ["working", "working"])
    late = state.record(
        db, camera, state="offline", reason="refused", now=T0, measurements={}, confirm=1
    )
    assert late is None and camera.state == "working" and camera.candidate_count == 0


def test_station_camera_health_is_written(db: Session, settings: Settings) -> None:
    make_tree(db)
    target = station_target(db, settings, name="Lockup")
    feed(db, target, ["degraded:dark"], k=1)
    assert db.get(StationCamera, target.station_camera_id).health == "degraded"  # type: ignore[union-attr]


def test_bad_results_are_refused(db: Session, camera: HealthTarget) -> None:
    for name, reason in (("offline", ""), ("working", "black"), ("unknown", ""), ("x", "")):
        with pytest.raises(ValueError, match="no state"):
            state.record(db, camera, state=name, reason=reason, now=T0, measurements={}, confirm=3)


def test_team_for_categories() -> None:
    assert [state.team_for(c) for c in ("smart_city", "road", "nagar_nigam")] == [
        "smart_city",
        "smart_city",
        "nagar_nigam",
    ]
    assert [state.team_for(c) for c in ("police_post", "station", "shop", "residence")] == [
        "station",
        "station",
        "owner",
        "owner",
    ]
    assert [state.team_for(c) for c in ("kda", "nhai", "", "no_such")] == ["control_room"] * 4


# Two probers at once: each on its own connection to a database of its own (own_db).
def test_two_probers_recording_at_once_open_one_outage(
    own_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = own_db
    with transaction(sessions) as session:
        make_tree(session)
        target_id = site_with_cameras(session, settings, n=1)[1][0].id
        feed(session, session.get_one(HealthTarget, target_id), ["working"])
    changes: list[state.Change | None] = []

    def prober(barrier: threading.Barrier) -> None:
        # both read "working" first (on SQLite without the writer lock: reads_first)
        with reads_first(), transaction(sessions) as session:
            target = session.get_one(HealthTarget, target_id)
            barrier.wait()
            changes.append(
                state.record(
                    session,
                    target,
                    state="offline",
                    reason="refused",
                    now=T0 + STEP,
                    measurements={},
                    confirm=1,
                )
            )

    assert at_once(prober) == []
    assert sorted(c is None for c in changes) == [False, True]  # one applied, one saw it done
    with sessions() as session:
        count = select(func.count(HealthOutage.id)).where(HealthOutage.target_id == target_id)
        assert session.scalar(count) == 1
        assert session.get_one(HealthTarget, target_id).state == "offline"
