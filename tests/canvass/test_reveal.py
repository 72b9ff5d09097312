"""An owner's contact is shown for an incident and a reason, audited, visible to the owner,
and rationed per officer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras import access_log
from nigrani.cameras import service as camera_service
from nigrani.canvass.models import OwnerReveal
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import OWNER_MOBILE, OWNER_NAME, make_site
from tests.canvass.factories import make_incident

REASON = "CCTV footage needed for the snatching on Mall Road"
MOBILE_2 = "+919812345677"


def _reveal(client: TestClient, incident_id: int, site_id: int, reason: str, htmx: bool = True):  # type: ignore[no-untyped-def]
    token = csrf_from(client, f"/incidents/{incident_id}")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        f"/incidents/{incident_id}/sites/{site_id}/reveal",
        data={"reason": reason, "csrf_token": token},
        headers=headers,
    )


def _reveals(db: Session) -> int:
    return db.scalar(select(func.count(OwnerReveal.id))) or 0


def test_reveal_shows_the_contact_and_the_owner_is_told(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    site = make_site(db, settings)
    incident = make_incident(db, io)
    login(client, io.username or "")

    reply = _reveal(client, incident.id, site.id, REASON)

    assert reply.status_code == 200
    assert OWNER_NAME in reply.text and OWNER_MOBILE in reply.text
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "site.owner_revealed"))
    assert entry is not None
    assert (entry.reference, entry.reason, entry.actor_id) == (incident.number, REASON, io.id)
    assert _reveals(db) == 1
    seen = access_log.for_site(db, site=site)
    assert [r.reference for r in seen if "contact" in r.what] == [incident.number]
    # The page itself keeps the owner masked: the reveal is a one-off answer.
    assert OWNER_NAME not in client.get(f"/incidents/{incident.id}").text


def test_reveal_needs_a_reason_and_a_nearby_site(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    site = make_site(db, settings)
    far = make_site(
        db, settings, name="Far shop", lat=26.58, lon=80.28, owner_mobile="+919812345600"
    )
    incident = make_incident(db, io)
    login(client, io.username or "")

    short = _reveal(client, incident.id, site.id, "need it")
    assert short.status_code == 200 and "at least 10 characters" in short.text
    assert OWNER_NAME not in short.text
    assert _reveal(client, incident.id, site.id, "need it", htmx=False).status_code == 422
    assert _reveal(client, incident.id, far.id, REASON).status_code == 403
    assert _reveals(db) == 0
    assert not db.scalar(select(AuditEntry.id).where(AuditEntry.action == "site.owner_revealed"))


def test_reveals_are_rationed_per_officer(
    client: TestClient, other_client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    sho = make_staff(db, Role.SHO, "S1")
    site = make_site(db, settings)
    incident = make_incident(db, io)
    login(client, io.username or "")
    for _ in range(settings.reveals_per_hour):
        assert OWNER_MOBILE in _reveal(client, incident.id, site.id, REASON).text

    refused = _reveal(client, incident.id, site.id, REASON, htmx=False)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 3000
    assert "in the last hour" in _reveal(client, incident.id, site.id, REASON).text
    assert _reveals(db) == settings.reveals_per_hour
    login(other_client, sho.username or "")  # another officer has their own allowance
    assert OWNER_MOBILE in _reveal(other_client, incident.id, site.id, REASON).text


def test_a_paused_or_withdrawn_listing_is_not_revealed(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    paused = make_site(db, settings)
    withdrawn = make_site(db, settings, name="Sharma Medical", owner_mobile=MOBILE_2)
    withdrawn.keep_point_on_withdrawal = True  # the bare point stays, the owner is erased
    incident = make_incident(db, io)
    camera_service.set_paused(db, site=paused, paused=True, actor=audit.SYSTEM)
    db.flush()
    assert camera_service.withdraw(db, site=withdrawn, actor=audit.SYSTEM)
    login(client, io.username or "")

    shown = _reveal(client, incident.id, paused.id, REASON)
    assert shown.status_code == 200 and "paused this listing" in shown.text
    assert OWNER_NAME not in shown.text and OWNER_MOBILE not in shown.text
    refused = _reveal(client, incident.id, paused.id, REASON, htmx=False)
    assert refused.status_code == 409 and "paused this listing" in refused.text
    gone = _reveal(client, incident.id, withdrawn.id, REASON, htmx=False)
    assert gone.status_code == 404  # a withdrawn listing is gone, its owner erased
    assert _reveals(db) == 0
    assert not db.scalar(select(AuditEntry.id).where(AuditEntry.action == "site.owner_revealed"))
