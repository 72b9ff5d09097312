"""A complainant's numbers asked for together stop at the officer's daily ration.

Served over loopback HTTP on a database of its own (tests.canvass.test_limits_concurrent's
`live`), so every request has its own connection and the race is real."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core import clock as clocks
from nigrani.core.audit import AuditEntry
from nigrani.core.db import transaction
from nigrani.grievances import contact
from tests.accounts.factories import PASSWORD, make_staff
from tests.canvass import test_limits_concurrent as limits
from tests.grievances.factories import make_complaint

REASON = "The complainant did not answer the SMS; calling back about the phone"
LEFT = 5  # reveals the officer has left today when the burst arrives
BROWSERS = 4
live = limits.live  # the served app on its own database (a fixture)


def _signed_in(live: limits.Live, complaint_id: int) -> tuple[httpx.Cookies, dict[str, Any]]:
    """A browser of the officer's (its own sign-in) and the reveal it would send."""
    with live.browser() as client:
        token = live.csrf(client, "/login")
        form = {"username": "sho-callback", "password": PASSWORD, "csrf_token": token}
        assert client.post("/login", data=form).status_code == 303
        token = live.csrf(client, f"/grievances/{complaint_id}")
        call = {
            "method": "POST",
            "url": f"/grievances/{complaint_id}/reveal",
            "data": {"reason": REASON, "csrf_token": token},
        }
        return client.cookies, call


def _together(
    live: limits.Live, sends: list[tuple[httpx.Cookies, dict[str, Any]]]
) -> list[httpx.Response]:
    """Every call at once, one connection each, from several browsers of the same officer
    (one browser's requests could queue behind each other and hide the race)."""
    start = threading.Barrier(len(sends))

    def send(item: tuple[httpx.Cookies, dict[str, Any]]) -> httpx.Response:
        cookies, call = item
        with live.browser() as client:
            client.cookies = httpx.Cookies(cookies)
            request = client.build_request(**call)
            start.wait()
            return client.send(request)

    with ThreadPoolExecutor(len(sends)) as pool:
        return list(pool.map(send, sends))


def test_numbers_asked_for_together_stop_at_the_daily_limit(live: limits.Live) -> None:
    limit = live.settings.complainant_reveals_per_day
    assert LEFT < limits.TOGETHER and limit > LEFT
    with clocks.use(live.clock), transaction(live.sessions) as session:
        sho = make_staff(session, Role.SHO, "S1", username="sho-callback")
        complaint = make_complaint(session, live.settings)
        for n in range(limit - LEFT):
            audit.record(
                session,
                actor=audit.Actor(sho.id, "SHO"),
                action=contact.ACTION,
                object_type="complaint",
                object_id=n + 1000,
            )
        sho_id, complaint_id = sho.id, complaint.id
    calls = [_signed_in(live, complaint_id) for _ in range(BROWSERS)]
    replies = _together(live, [calls[n % BROWSERS] for n in range(limits.TOGETHER)])

    assert sorted(r.status_code for r in replies) == [200] * LEFT + [429] * (limits.TOGETHER - LEFT)
    for refused in (r for r in replies if r.status_code == 429):
        assert int(refused.headers["retry-after"]) > 0
        assert "in the last 24 hours" in refused.text
    shown = (AuditEntry.action == contact.ACTION, AuditEntry.actor_id == sho_id)
    assert live.count(AuditEntry.id, *shown) == limit
    assert live.count(AuditEntry.id, *shown, AuditEntry.object_id == str(complaint_id)) == LEFT
