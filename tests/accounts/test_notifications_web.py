"""The notifications page and the badge over HTTP: newest first, paged, read on open, all
read, one's own only, in Hindi and English; the badge is one indexed COUNT."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session

from nigrani.accounts import notifications, otp, service
from nigrani.accounts.deps import SESSION_COOKIE
from nigrani.accounts.models import User
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.core.config import Settings
from nigrani.core.i18n import _, current_language
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import Freeze
from tests.grievances.factories import make_complaint

MOMENT = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
BADGE = re.compile(r'class="badge" data-unread="(\d+)"')


def badge(client: TestClient, path: str = "/grievances") -> int:
    """The unread count the nav shows on a page (0: no badge)."""
    found = BADGE.search(client.get(path).text)
    return int(found.group(1)) if found else 0


def _notice(n: int) -> notifications.Event:
    return notifications.Event(
        kind=notifications.FOOTAGE,
        object_type="footage_request",
        object_id=n,
        event=f"upload:{n}",
        link=f"/incidents/{n}",
        params={"number": f"INC-2026-{n:06d}", "site": n},
    )


@pytest.fixture()
def sho(db: Session, client: TestClient, freeze: Freeze) -> User:
    """The SHO of S1, signed in, on a fixed clock."""
    freeze(MOMENT)
    make_tree(db)
    user = make_staff(db, Role.SHO, "S1", "sho1")
    login(client, "sho1")
    return user


@pytest.mark.usefixtures("sho")
def test_the_badge_counts_unread_and_the_page_lists_newest_first(
    db: Session, settings: Settings, client: TestClient, freeze: Freeze
) -> None:
    assert badge(client) == 0
    numbers = []
    for minutes in range(3):
        freeze(MOMENT + timedelta(minutes=minutes))
        numbers.append(make_complaint(db, settings).number)  # each tells the SHO
    assert badge(client) == 3
    page = client.get("/notifications").text
    at = [page.index(n) for n in reversed(numbers)]
    assert at == sorted(at)  # newest first
    assert f"Complaint {numbers[0]} was assigned to your station." in page
    hindi = client.get("/notifications?lang=hi").text
    token = current_language.set("hi")
    try:
        said = _("Complaint {number} was assigned to your station.").format(number=numbers[0])
    finally:
        current_language.reset(token)
    assert said in hindi and "assigned" not in said


def test_opening_one_marks_it_read_and_goes_to_its_object(
    db: Session, settings: Settings, client: TestClient, sho: User
) -> None:
    complaint = make_complaint(db, settings)
    [row] = db.scalars(select(Notification).where(Notification.user_id == sho.id))
    csrf = csrf_from(client, "/notifications")
    url = f"/notifications/{row.id}/open"
    assert client.post(url, follow_redirects=False).status_code == 403  # no CSRF token
    db.refresh(row)
    assert row.read_at is None
    reply = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"/grievances/{complaint.id}"
    db.refresh(row)
    assert row.read_at == MOMENT
    assert badge(client) == 0
    again = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303  # opening a read one again still goes there


def test_a_user_touches_only_their_own_notifications(
    db: Session, client: TestClient, sho: User
) -> None:
    other = make_staff(db, Role.SHO, "S2", "sho2")
    notifications.notify(db, users=[other.id], event=_notice(1))
    notifications.notify(db, users=[sho.id], event=_notice(2))
    [theirs] = db.scalars(select(Notification).where(Notification.user_id == other.id))
    csrf = csrf_from(client, "/notifications")
    page = client.get("/notifications").text
    assert "INC-2026-000002" in page and "INC-2026-000001" not in page
    reply = client.post(
        f"/notifications/{theirs.id}/open", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert reply.status_code == 404
    assert client.post("/notifications/read", data={"csrf_token": csrf}).status_code == 200
    db.refresh(theirs)
    assert theirs.read_at is None
    assert notifications.unread_count(db, sho.id) == 0
    assert notifications.unread_count(db, other.id) == 1


def test_mark_all_read_clears_the_badge(db: Session, client: TestClient, sho: User) -> None:
    for n in range(1, 4):
        notifications.notify(db, users=[sho.id], event=_notice(n))
    assert badge(client) == 3
    csrf = csrf_from(client, "/notifications")
    assert "Mark all read" in client.get("/notifications").text
    assert client.post("/notifications/read", follow_redirects=False).status_code == 403
    reply = client.post("/notifications/read", data={"csrf_token": csrf}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/notifications"
    assert badge(client) == 0 and "Mark all read" not in client.get("/notifications").text


def test_the_list_is_paged(db: Session, client: TestClient, sho: User) -> None:
    for n in range(1, notifications.PER_PAGE + 6):
        notifications.notify(db, users=[sho.id], event=_notice(n))
    first = client.get("/notifications").text
    second = client.get("/notifications?page=2").text
    assert first.count('class="unread"') == notifications.PER_PAGE
    assert second.count('class="unread"') == 5
    assert "INC-2026-000001" in second and "INC-2026-000001" not in first
    assert client.get("/notifications?page=99").text.count('class="unread"') == 5
    assert client.get("/notifications?page=0").status_code == 422
    assert notifications.recent_for(db, sho, 3)[0].object_id == notifications.PER_PAGE + 5


def test_only_staff_have_a_notifications_page(
    db: Session, settings: Settings, client: TestClient
) -> None:
    make_tree(db)
    assert client.get("/notifications", follow_redirects=False).status_code in (303, 401)
    citizen = otp.citizen_for(db, settings=settings, e164="+919876500001")
    client.cookies.set(SESSION_COOKIE, service.start_session(db, user=citizen, settings=settings))
    assert client.get("/notifications", follow_redirects=False).status_code == 403
    assert client.post("/notifications/read", follow_redirects=False).status_code == 403


def test_the_badge_count_reads_an_index(db: Session, sho: User) -> None:
    stmt = (
        select(func.count(Notification.id))
        .where(Notification.user_id == sho.id, Notification.read_at.is_(None))
        .compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    )
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(r[0]) for r in db.execute(text(f"EXPLAIN {stmt}")))
    else:
        plan = " ".join(str(r[-1]) for r in db.execute(text(f"EXPLAIN QUERY PLAN {stmt}")))
    # By the user's index (the planner may take either of the two on a table this small).
    assert (
        "ix_notifications_" in plan and "Seq Scan" not in plan and "SCAN notifications" not in plan
    )


def test_the_badge_costs_one_query_a_page(db: Session, client: TestClient, sho: User) -> None:
    notifications.notify(db, users=[sho.id], event=_notice(1))
    seen: list[str] = []

    def note(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        assert badge(client) == 1
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert len([s for s in seen if "notifications" in s]) == 1


def test_the_home_page_shows_the_newest_notifications(
    db: Session, settings: Settings, client: TestClient, sho: User
) -> None:
    assert 'id="home-notifications"' not in client.get("/dashboard").text  # nothing yet
    complaint = make_complaint(db, settings)
    home = client.get("/dashboard").text
    assert 'id="home-notifications"' in home
    assert f"Complaint {complaint.number} was assigned to your station." in home
    [row] = notifications.recent_for(db, sho, 5)
    assert f'action="/notifications/{row.id}/open"' in home
