"""The demo's video hearings: the DCP's window and its last sittings already held, through
the real queue (bookings, walk-ins, calls in order, a no-show skipped) and outcomes, each
hearing ending as a complaint; seeded once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode, User
from nigrani.accounts.notifications import Notification
from nigrani.core.config import Settings
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.hearings import HISTORY_SITTINGS, seed_hearings
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.grievances.models import Complaint
from nigrani.hearings import figures, hours
from nigrani.hearings.models import HearingSitting, HearingTicket

NOW = datetime(2031, 3, 4, 4, 0, tzinfo=UTC)  # a Tuesday, 09:30 IST: before today's sitting


def test_the_last_sittings_are_held_and_each_hearing_ends_as_a_complaint(
    db: Session, settings: Settings
) -> None:
    seed_tree(db)
    seed_users(db)
    seed_grievances(db, settings)
    held = seed_hearings(db, settings, now=NOW)
    sittings = db.scalars(select(HearingSitting).order_by(HearingSitting.day)).all()
    assert len(sittings) == HISTORY_SITTINGS
    assert all(s.ends_at <= NOW for s in sittings)
    assert sittings[-1].day < hours.local_today(NOW)
    tickets = db.scalars(select(HearingTicket)).all()
    done = [t for t in tickets if t.state == "done"]
    assert held == len(done) >= 2 * HISTORY_SITTINGS
    assert {t.state for t in tickets} <= {"done", "no_show"}
    assert {t.kind for t in tickets} == {"booked", "walk_in"}
    assert all(t.outcome_complaint_id for t in done)
    assert {t.outcome for t in done} == {"complaint", "resolved"}
    officers = {t.officer_id for t in done}
    assert len(officers) == 2  # the DCP and the ACP drew from one queue
    complaints = db.scalars(
        select(Complaint).where(Complaint.id.in_([t.outcome_complaint_id for t in done]))
    ).all()
    assert len(complaints) == len(done)
    unread = select(Notification).where(
        Notification.object_type == "hearing_sitting", Notification.read_at.is_(None)
    )
    assert db.scalars(unread).all() == []  # past sittings' "citizens waiting" were seen then
    assert seed_hearings(db, settings, now=NOW) == 0  # once


def test_the_dcps_dashboard_shows_the_held_sittings(db: Session, settings: Settings) -> None:
    seed_tree(db)
    seed_users(db)
    seed_grievances(db, settings)
    held = seed_hearings(db, settings, now=NOW)
    dcp = db.scalars(select(User).where(User.username == "dcp.central")).one()
    node = db.get(JurisdictionNode, dcp.node_id)
    assert node is not None
    period = figures.period(first=None, last=None, today=hours.local_today(NOW))
    board = figures.dashboard(db, scope_path=node.path, user_id=dcp.id, period=period)
    assert board.total.heard == held
    assert board.total.no_shows >= 1
    assert len([d for d in board.days if d.places]) == HISTORY_SITTINGS
    assert len(board.officers) == 2
    assert board.total.median_call is not None and 4 <= board.total.median_call <= 9
