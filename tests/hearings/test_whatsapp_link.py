"""The waiting room's link on WhatsApp too: a citizen who wrote to our WhatsApp number today
gets the link there beside the SMS (through a local fake of WhatsApp's servers, which checks
the wire format), kept masked in our tables; a citizen who never wrote, or wrote more than
24 hours ago, gets the SMS alone (the Cloud API allows no free text outside that window)."""

from __future__ import annotations

import json
from datetime import time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import otp
from nigrani.accounts.roles import Role
from nigrani.core import clock as clocks
from nigrani.core.clock import FixedClock
from nigrani.core.db import utcnow
from nigrani.core.outbox import OutboxJob
from nigrani.core.sms import service as sms
from nigrani.grievances.channels.models import WhatsAppOutbound
from nigrani.hearings import hours, service
from nigrani.hearings.schemas import PlaceCreate, WindowCreate
from tests.accounts.factories import make_staff
from tests.grievances import fake_whatsapp as wa
from tests.grievances.test_whatsapp_webhook import Channel, channel

__all__ = ["channel"]  # the fixture: our app and the fake WhatsApp, served
ON_WHATSAPP = "919876543210"  # wrote to us today
SMS_ONLY = "919876543211"  # never wrote


def _take_place(channel: Channel, db: Session, wa_id: str) -> str:
    """Tomorrow's first slot in the DCP's window (whatever the hour now); the link's secret."""
    settings = channel.settings
    now = clocks.now()
    window = hours.all_windows(db)[0]
    citizen = otp.citizen_for(db, settings=settings, e164="+" + wa_id)
    tomorrow = hours.local_today(now) + timedelta(days=1)
    slot = 0 if wa_id == ON_WHATSAPP else 1
    data = PlaceCreate(window_id=window.id, day=tomorrow, slot=slot, topic="A noisy generator")
    _ticket, secret = service.take_place(
        db,
        settings=settings,
        citizen=citizen,
        window=window,
        data=data,
        topic_complaint_id=None,
        now=now,
        language="en",
    )
    db.commit()
    return secret


def _open_window(db: Session) -> None:
    """The DCP's window, every day 12:00-14:00 IST."""
    dcp = make_staff(db, Role.DCP, "Z1")
    data = WindowCreate(
        weekdays=list(range(7)), starts=time(12), ends=time(14), slot_minutes=10, panel=[]
    )
    hours.publish_window(db, data=data, owner=dcp, actor=dcp, now=utcnow())
    db.commit()


def test_the_link_goes_on_whatsapp_to_a_citizen_who_wrote_today(
    channel: Channel, db: Session
) -> None:
    _open_window(db)
    assert channel.fake.deliver(wa.text(ON_WHATSAPP, "wamid.HI", "नमस्ते")).status_code == 200
    assert channel.send_out() >= 1  # the menu
    before = len(channel.fake.sent)
    secret = _take_place(channel, db, ON_WHATSAPP)
    _take_place(channel, db, SMS_ONLY)
    channel.send_out()
    sent = channel.fake.sent[before:]
    assert [m["to"] for m in sent] == [ON_WHATSAPP]  # WhatsApp for one; SMS for both
    assert f"/hearings/t/{secret}" in sent[0]["text"]["body"]
    kept = db.scalars(select(WhatsAppOutbound.body).order_by(WhatsAppOutbound.id)).all()
    assert secret not in kept[-1] and "******" in kept[-1]
    jobs = db.scalars(select(OutboxJob.payload).where(OutboxJob.kind == sms.JOB_KIND)).all()
    assert sum(secret in json.loads(p)["body"] for p in jobs) == 1  # the SMS went too


def test_no_whatsapp_after_the_24_hour_window(channel: Channel, db: Session) -> None:
    _open_window(db)
    assert channel.fake.deliver(wa.text(ON_WHATSAPP, "wamid.OLD", "hello")).status_code == 200
    channel.send_out()
    before = len(channel.fake.sent)
    with clocks.use(FixedClock(utcnow() + timedelta(hours=24, minutes=1))):
        _take_place(channel, db, ON_WHATSAPP)
    channel.send_out()
    assert channel.fake.sent[before:] == []
