"""A private owner is texted that a camera seems offline only if they opted in: the switch on
the registration form and on their page (off by default, its own time), one SMS per outage
through the outbox and the fake gateway, the number decrypted only in the job and audited,
a daily cap, and staff who may only turn it off."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.cameras import service as camera_service
from nigrani.cameras.models import Camera, Site
from nigrani.cameras.schemas import CitizenSiteCreate
from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.core.outbox import OutboxRunner
from nigrani.core.security import FieldCipher, keyed_hash
from nigrani.health import alerts, owner_sms, state
from nigrani.health.models import HealthTarget
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.accounts.test_otp import sign_in_citizen
from tests.conftest import Freeze
from tests.core.fake_sms import FakeGateway
from tests.health.state_factories import T0, at_once, target_for

M = timedelta(minutes=1)
MOBILE, DIGITS = "+919876543210", "919876543210"
FORM = {
    "name": "Sharma House",
    "owner_name": "Sunita Sharma",
    "address": "117/45 Kakadeo",
    "lat": "26.47",
    "lon": "80.25",
    "category": "residence",
    "camera_count": "2",
    "retention_days": "30",
    "consent": "yes",
}


def owner_of(db: Session, settings: Settings, mobile: str = MOBILE) -> User:
    cipher = FieldCipher(settings.encryption_key)
    user = User(
        full_name="",
        role=Role.CITIZEN.value,
        phone_enc=cipher.encrypt(mobile),
        phone_hash=keyed_hash(settings.secret_key, "phone", mobile),
        phone_masked="+91 ********10",
        created_at=T0,
    )
    db.add(user)
    db.flush()
    return user


def opted_in(
    db: Session, settings: Settings, *, user: User, cameras: int = 1, sms: bool = True,
    name: str = "Sharma House", lat: float = 26.47,
) -> tuple[Site, list[HealthTarget]]:  # fmt: skip
    """A citizen's own listing, with or without the health SMS, and its linked cameras."""
    data = CitizenSiteCreate(
        name=name, owner_name="Sunita Sharma", address="117/45 Kakadeo", lat=lat, lon=80.25,
        camera_count=cameras, retention_days=30, consent=True, health_sms=sms,
    )  # fmt: skip
    site = camera_service.register_own_site(db, settings=settings, user=user, data=data)
    site.cameras = [Camera(label="", linked=True, created_at=T0) for _ in range(cameras)]
    db.flush()
    return site, [target_for(db, site=site, registry_camera_id=c.id) for c in site.cameras]


def down(db: Session, target: HealthTarget, at: timedelta, name: str = "offline") -> None:
    reason = "refused" if name == "offline" else ""
    state.record(db, target, state=name, reason=reason, now=T0 + at, measurements={}, confirm=1)


def owner_jobs(db: Session) -> int:
    stmt = select(func.count(outbox.OutboxJob.id)).where(
        outbox.OutboxJob.kind == owner_sms.JOB_KIND
    )
    return int(db.scalar(stmt) or 0)


def deliver(sessions: sessionmaker[Session], settings: Settings) -> None:
    """The scheduler, twice: the alert jobs queue the SMS, the SMS jobs send it."""
    OutboxRunner(sessions, settings).run_due()
    OutboxRunner(sessions, settings).run_due()


def texts_to(gateway: FakeGateway, digits: str = DIGITS) -> list[str]:
    return [str(r.fields["message"]) for r in gateway.received if r.fields["mobiles"] == digits]


def uses(db: Session) -> list[audit.AuditEntry]:
    stmt = select(audit.AuditEntry).where(audit.AuditEntry.action == owner_sms.ACTION)
    return list(db.scalars(stmt))


@pytest.fixture()
def tree(db: Session) -> None:
    make_tree(db)


@pytest.fixture(autouse=True)
def _at(freeze: Freeze) -> None:
    freeze(T0 + 16 * M)


@pytest.mark.usefixtures("tree")
def test_the_form_asks_off_by_default_and_the_owner_page_turns_it_off(
    browser: TestClient, db: Session
) -> None:
    db.commit()
    sign_in_citizen(browser, db, "9876543210")
    form = browser.get("/citizen/cameras/new").text
    assert 'name="health_sms" value="yes" >' in form  # offered, not ticked
    assert "Send me an SMS when my camera seems to be offline" in form
    token = csrf_from(browser, "/citizen/cameras/new")
    browser.post("/citizen/cameras", data={**FORM, "csrf_token": token})
    token = csrf_from(browser, "/citizen/cameras/new")
    data = {**FORM, "name": "Sharma Shop", "lat": "26.48", "health_sms": "yes"}
    browser.post("/citizen/cameras", data={**data, "csrf_token": token})
    plain, asked = db.scalars(select(Site).order_by(Site.id)).all()
    assert (plain.health_sms, plain.health_sms_at) == (False, None)
    assert asked.health_sms and asked.health_sms_at == T0 + 16 * M
    page = browser.get(f"/citizen/cameras/{asked.id}").text
    assert "You get an SMS when a camera seems to be offline." in page and "Stop these SMS" in page
    token = csrf_from(browser, f"/citizen/cameras/{asked.id}")
    answer = browser.post(
        f"/citizen/cameras/{asked.id}/health-sms",
        data={"on": "no", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    db.refresh(asked)
    assert not asked.health_sms
    bad = browser.post(
        f"/citizen/cameras/{asked.id}/health-sms", data={"on": "maybe", "csrf_token": token}
    )
    assert bad.status_code == 422
    log = browser.get(f"/citizen/cameras/{asked.id}").text
    assert "SMS when a camera seems offline: turned off" in log


@pytest.mark.usefixtures("tree")
def test_an_opted_in_owner_is_texted_once_per_outage_with_the_camera_name_only(
    db: Session, sessions: sessionmaker[Session], sms_settings: Settings, gateway: FakeGateway
) -> None:
    user = owner_of(db, sms_settings)
    site, [camera] = opted_in(db, sms_settings, user=user)
    _other, [quiet] = opted_in(db, sms_settings, user=user, sms=False, name="B", lat=26.5)
    down(db, camera, 0 * M)
    down(db, quiet, 0 * M)
    assert alerts.sweep(db, T0 + 16 * M, sms_settings) == 2
    assert alerts.sweep(db, T0 + 17 * M, sms_settings) == 0
    assert owner_jobs(db) == 1  # the one who asked, once
    db.commit()
    deliver(sessions, sms_settings)
    [text] = texts_to(gateway)
    assert "Sharma House" in text and "seems offline since 02-11 11:30" in text
    assert f"/citizen/cameras/{site.id}" in text  # how to stop them
    assert "Sunita" not in text and "Kakadeo" not in text and "9876543210" not in text
    [use] = uses(db)
    assert (use.actor_id, use.reason, use.object_id) == (None, "health alert", str(site.id))
    deliver(sessions, sms_settings)
    assert len(texts_to(gateway)) == 1


@pytest.mark.usefixtures("tree")
def test_opting_out_after_the_alert_sends_nothing(
    db: Session, sessions: sessionmaker[Session], sms_settings: Settings, gateway: FakeGateway
) -> None:
    user = owner_of(db, sms_settings)
    site, [camera] = opted_in(db, sms_settings, user=user)
    down(db, camera, 0 * M)
    alerts.sweep(db, T0 + 16 * M, sms_settings)
    assert owner_jobs(db) == 1
    camera_service.set_health_sms(db, site=site, on=False, actor=audit.SYSTEM)
    db.commit()
    deliver(sessions, sms_settings)
    assert texts_to(gateway) == [] and uses(db) == []


@pytest.mark.usefixtures("tree")
def test_a_daily_cap_per_owner_over_all_their_listings(
    db: Session, sessions: sessionmaker[Session], sms_settings: Settings, gateway: FakeGateway
) -> None:
    capped = sms_settings.model_copy(update={"health_owner_sms_per_day": 2})
    user = owner_of(db, capped)
    _one, [a, b] = opted_in(db, capped, user=user, cameras=2)
    _two, [c] = opted_in(db, capped, user=user, name="Sharma Shop", lat=26.5)
    for at, target in ((0, a), (20, b), (40, c)):  # apart: three outages, not an area
        down(db, target, at * M)
    assert alerts.sweep(db, T0 + 60 * M, capped) == 3 and owner_jobs(db) == 3
    db.commit()
    deliver(sessions, capped)
    texts = texts_to(gateway)
    assert len(texts) == 2 and len(uses(db)) == 2
    assert any("Sharma House · camera 1 of 2" in t for t in texts)


@pytest.mark.usefixtures("tree")
def test_staff_may_turn_it_off_but_not_on(
    client: TestClient, db: Session, settings: Settings
) -> None:
    site, _targets = opted_in(db, settings, user=owner_of(db, settings))
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    login(client, "sho1")
    headers = {"X-CSRF-Token": csrf_from(client, "/dashboard")}
    url = f"/api/v1/cameras/sites/{site.id}"
    assert client.patch(url, json={"health_sms": True}, headers=headers).status_code == 422
    assert client.patch(url, json={"health_sms": False}, headers=headers).status_code == 200
    db.refresh(site)
    assert not site.health_sms and site.health_sms_at == T0 + 16 * M


# Two sweeps at once, each on its own connection to a database of its own (own_db).
def test_two_sweeps_at_once_queue_one_owner_sms(
    own_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = own_db
    with transaction(sessions) as session:
        make_tree(session)
        _site, [camera] = opted_in(session, settings, user=owner_of(session, settings))
        down(session, camera, 0 * M)
    raised: list[int] = []
    lock = threading.Lock()

    def sweeper(barrier: threading.Barrier) -> None:
        barrier.wait()
        with transaction(sessions) as session:
            found = alerts.sweep(session, T0 + 20 * M, settings)
        with lock:
            raised.append(found)

    assert at_once(sweeper) == [] and sorted(raised) == [0, 1]
    with sessions() as session:
        assert owner_jobs(session) == 1
