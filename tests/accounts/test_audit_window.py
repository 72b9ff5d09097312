"""accounts.throttle.audit_window: a user's audit rows of one action in a sliding window
ration that action (an owner's contact, a complainant's number); check_ration refuses in
the ration's words once the window is full."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from nigrani.accounts import throttle
from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core import clock as clocks
from nigrani.core.errors import RateLimited
from tests.accounts.factories import make_staff, make_tree

ACTION = "test.looked"
WINDOW = timedelta(hours=1)


def test_the_window_fills_and_empties_with_the_users_own_rows(db: Session) -> None:
    make_tree(db)
    officer = make_staff(db, Role.SHO, "S1", username="looker")
    other = make_staff(db, Role.SHO, "S1", username="other-looker")
    fixed = clocks.FixedClock(clocks.now())
    with clocks.use(fixed):
        first_at = fixed.now()

        def look(user_id: int, action: str = ACTION) -> None:
            actor = audit.Actor(user_id, "x")
            audit.record(db, actor=actor, action=action, object_type="t", object_id=1)
            db.commit()  # audit rows are written at commit: each look is its own request

        def full() -> throttle.WindowFull | None:
            return throttle.audit_window(
                db, user=officer, action=ACTION, window=WINDOW, limit=2, now=fixed.now()
            )

        look(officer.id)
        fixed.advance(timedelta(minutes=10))
        look(other.id)  # another officer's look, and another action, do not count
        look(officer.id, "test.other")
        assert full() is None
        look(officer.id)
        assert full() == throttle.WindowFull(count=2, wait_s=50 * 60)  # the first leaves at +60
        fixed.advance(timedelta(minutes=50))
        assert fixed.now() == first_at + WINDOW
        assert full() is None  # the first look has left the window


def test_a_full_ration_is_refused_in_its_words_with_at_least_its_wait(db: Session) -> None:
    make_tree(db)
    officer = make_staff(db, Role.SHO, "S1", username="looker")
    fixed = clocks.FixedClock(clocks.now())

    def refusal(count: int, wait_s: int) -> str:
        return f"{count} looks, wait {wait_s} s"

    with clocks.use(fixed):
        actor = audit.Actor(officer.id, "x")
        audit.record(db, actor=actor, action=ACTION, object_type="t", object_id=1)
        db.commit()
        later = fixed.advance(timedelta(minutes=59, seconds=30))  # the look leaves in 30 s
        plain = throttle.Ration(ACTION, WINDOW, refusal)
        throttle.check_ration(db, plain, user=officer, limit=2, now=later)  # one of two: allowed
        for ration, wait in ((plain, 30), (throttle.Ration(ACTION, WINDOW, refusal, 60), 60)):
            with pytest.raises(RateLimited, match=f"^1 looks, wait {wait} s$") as refused:
                throttle.check_ration(db, ration, user=officer, limit=1, now=later)
            assert refused.value.retry_after == wait
