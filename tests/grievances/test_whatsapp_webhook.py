"""The WhatsApp channel end to end: a local fake of WhatsApp's servers signs and POSTs
webhooks to our app served on a loopback port, and receives our replies and media calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.app import create_app
from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.evidence.store import blob_path
from nigrani.grievances import service as grievances
from nigrani.grievances.channels.models import WhatsAppInbound, WhatsAppOutbound
from nigrani.grievances.models import Complaint
from tests import serving
from tests.accounts.factories import make_tree
from tests.conftest import make_settings
from tests.grievances import fake_whatsapp as wa
from tests.grievances.fake_whatsapp import FakeWhatsApp

USER = "919876543210"
VERIFY = "verify-me-please"
PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF photo of the broken lock" * 50
VOICE = b"OggS" + b"\x00voice note" * 100


@dataclass
class Channel:
    fake: FakeWhatsApp
    settings: Settings
    sessions: sessionmaker[Session]

    def send_out(self) -> int:
        """One scheduler pass: replies and media downloads go to the fake."""
        return outbox.OutboxRunner(self.sessions, self.settings).run_due()

    def last_reply(self) -> str:
        return str(self.fake.sent[-1]["text"]["body"])


@pytest.fixture()
def channel(settings: Settings, sessions: sessionmaker[Session], db: Session) -> Iterator[Channel]:
    make_tree(db)
    db.commit()
    fake = FakeWhatsApp(token="EAAG-test-token", app_secret="test-app-secret")
    fake.start()
    wa_settings = make_settings(
        settings.database_url,
        settings.var_dir,
        whatsapp_verify_token=VERIFY,
        whatsapp_app_secret=fake.app_secret,
        whatsapp_token=fake.token,
        whatsapp_phone_number_id=wa.PHONE_NUMBER_ID,
        whatsapp_api_base=fake.base,
    )
    app = create_app(wa_settings)
    app.state.sessions = sessions
    with serving.in_thread(app) as base:
        fake.webhook_url = f"{base}/webhooks/whatsapp"
        yield Channel(fake, wa_settings, sessions)
    fake.stop()


def _count(db: Session, column: object) -> int:
    return db.scalar(select(func.count(column))) or 0  # type: ignore[arg-type]


def _menu_number(db: Session, code: str) -> str:
    codes = [c.code for c in grievances.categories(db)]
    return str(codes.index(code) + 1)


def test_a_whole_conversation_in_hindi_files_a_complaint_with_its_photo(
    channel: Channel, db: Session
) -> None:
    fake = channel.fake
    fake.add_media("MEDIA-PHOTO-1", PHOTO, "image/jpeg")
    steps = [
        wa.text(USER, "wamid.IN1", "नमस्ते"),
        wa.text(USER, "wamid.IN2", _menu_number(db, "theft")),
        wa.text(USER, "wamid.IN3", "मेरी दुकान का ताला तोड़कर सामान चोरी हो गया"),
        wa.location(USER, "wamid.IN4", 26.47, 80.27, "माल रोड चौराहा"),
        wa.media(USER, "wamid.IN5", "image", "MEDIA-PHOTO-1", "image/jpeg", PHOTO),
        wa.text(USER, "wamid.IN6", "हाँ"),
    ]
    expected = ["चोरी", "क्या हुआ?", "कहाँ", "फ़ोटो", "दर्ज करें?", "शिकायत संख्या"]
    for step, words in zip(steps, expected, strict=True):
        answer = fake.deliver(step)
        assert answer.status_code == 200 and answer.json() == {"received": 1}
        assert channel.send_out() >= 1
        assert words in channel.last_reply()
        assert fake.sent[-1]["to"] == USER and fake.sent[-1]["messaging_product"] == "whatsapp"
    complaint = db.scalars(select(Complaint).where(Complaint.channel == "whatsapp")).one()
    assert complaint.number in channel.last_reply()
    assert complaint.category_code == "theft" and complaint.language == "hi"
    assert complaint.text == "मेरी दुकान का ताला तोड़कर सामान चोरी हो गया"
    assert (complaint.lat, complaint.lon, complaint.address) == (26.47, 80.27, "माल रोड चौराहा")
    assert complaint.mobile_verified and complaint.phone_masked == "+91 ********10"
    assert complaint.station is not None and complaint.station.code == "S1"
    files = grievances.attachments(db, complaint)
    assert len(files) == 1 and files[0].media_type == "image/jpeg"
    assert blob_path(channel.settings, files[0].sha256).read_bytes() == PHOTO
    assert fake.refused == []


def test_a_voice_note_and_a_typed_address_in_english(channel: Channel, db: Session) -> None:
    fake = channel.fake
    fake.add_media("MEDIA-VOICE-1", VOICE, "audio/ogg; codecs=opus")
    for step in [
        wa.text(USER, "m1", "Hello"),
        wa.text(USER, "m2", _menu_number(db, "nuisance")),
        wa.media(USER, "m3", "audio", "MEDIA-VOICE-1", "audio/ogg; codecs=opus", VOICE),
        wa.text(USER, "m4", "Near Gumti No. 5, Kanpur"),
        wa.text(USER, "m5", "0"),
        wa.text(USER, "m6", "yes"),
    ]:
        assert fake.deliver(step).status_code == 200
        channel.send_out()
    assert "Number:" in channel.last_reply()
    complaint = db.scalars(select(Complaint).where(Complaint.channel == "whatsapp")).one()
    assert complaint.language == "en" and complaint.address == "Near Gumti No. 5, Kanpur"
    assert complaint.lat is None and complaint.text == "Voice message (attached)"
    files = grievances.attachments(db, complaint)
    assert [f.media_type for f in files] == ["audio/ogg"]
    fake.deliver(wa.text(USER, "m7", complaint.number))
    channel.send_out()
    assert complaint.number in channel.last_reply()


def test_a_replayed_webhook_creates_nothing_new(channel: Channel, db: Session) -> None:
    fake = channel.fake
    confirm = wa.text(USER, "x6", "1")
    for step in [
        wa.text(USER, "x1", "hi"),
        wa.text(USER, "x2", "1"),
        wa.text(USER, "x3", "Someone stole my bicycle from outside the shop"),
        wa.location(USER, "x4", 26.47, 80.27),
        wa.text(USER, "x5", "0"),
        confirm,
    ]:
        fake.deliver(step)
    before = [_count(db, c) for c in (Complaint.id, WhatsAppInbound.id, WhatsAppOutbound.id)]
    jobs = _count(db, outbox.OutboxJob.id)
    for _ in range(2):
        answer = fake.deliver(confirm)
        assert answer.status_code == 200 and answer.json() == {"received": 0}
    after = [_count(db, c) for c in (Complaint.id, WhatsAppInbound.id, WhatsAppOutbound.id)]
    assert before == after and before[0] == 1 and _count(db, outbox.OutboxJob.id) == jobs


def test_bad_or_missing_signatures_are_refused_and_nothing_is_stored(
    channel: Channel, db: Session
) -> None:
    value = wa.text(USER, "evil1", "नमस्ते")
    assert channel.fake.deliver(value, signature="sha256=" + "0" * 64).status_code == 403
    other = FakeWhatsApp(token="x", app_secret="someone-elses-secret")
    forged = other.sign(b"{}")
    assert channel.fake.deliver(value, signature=forged).status_code == 403
    raw = channel.fake.webhook_url
    import httpx

    assert (
        httpx.post(raw, content=b"{}", headers={"Content-Type": "application/json"}).status_code
        == 401
    )
    assert _count(db, WhatsAppInbound.id) == 0 and _count(db, WhatsAppOutbound.id) == 0
    assert _count(db, outbox.OutboxJob.id) == 0


def test_delivery_statuses_only_move_forward(channel: Channel, db: Session) -> None:
    channel.fake.deliver(wa.text(USER, "s1", "नमस्ते"))
    channel.send_out()
    wamid = channel.fake.sent[-1]["id"]
    for state in ("delivered", "read", "delivered"):
        assert channel.fake.deliver(wa.status(wamid, USER, state)).status_code == 200
    sent = db.scalars(select(WhatsAppOutbound).where(WhatsAppOutbound.wamid == wamid)).one()
    db.refresh(sent)
    assert sent.status == "read"


def test_the_verification_handshake(channel: Channel) -> None:
    import httpx

    url = channel.fake.webhook_url
    ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
    answer = httpx.get(url, params=ok)
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert httpx.get(url, params={**ok, "hub.verify_token": "wrong"}).status_code == 403
    assert httpx.get(url, params={**ok, "hub.mode": "unsubscribe"}).status_code == 403


def test_control_characters_are_stripped_and_the_conversation_goes_on(
    channel: Channel, db: Session
) -> None:
    fake = channel.fake
    said = "My shop\u0000 was broken\u0007 into last night"
    steps = [
        wa.message(USER, "n1", "text", {"body": "hi\u0000"}, name="Sunita\u0000 Devi"),
        wa.text(USER, "n2", _menu_number(db, "theft")),
        wa.text(USER, "n3", said),
        wa.text(USER, "n4", "Mall\u0000 Road crossing"),
        wa.text(USER, "n5", "0\u0000"),  # skip the photo
        wa.text(USER, "n6", "1"),
    ]
    for step in steps:
        answer = fake.deliver(step)
        assert answer.status_code == 200 and answer.json() == {"received": 1}
        channel.send_out()
    complaint = db.scalars(select(Complaint).where(Complaint.channel == "whatsapp")).one()
    assert complaint.text == "My shop was broken into last night"
    assert complaint.address == "Mall Road crossing"
    assert complaint.number in channel.last_reply()
    assert all("\x00" not in sent["text"]["body"] for sent in fake.sent)


def _deep(depth: int) -> bytes:
    return b'{"object": "whatsapp_business_account", "entry": ' + b"[" * depth + b"]" * depth + b"}"


def _value(**fields: object) -> bytes:
    value = {"messaging_product": "whatsapp", "metadata": wa.metadata(), **fields}
    return wa.envelope(value)


MALFORMED = [
    b"not json",
    b"\xff\xfe",
    b"[]",
    b"null",
    b'{"object": 5}',
    b'{"object": "whatsapp_business_account", "entry": "x"}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]}',
    b'{"object": "whatsapp_business_account", "entry": [{"x": "\\ud800"}]}',
    _deep(100_000),
    b'{"object": "whatsapp_business_account", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    _value(messages="x"),
    _value(messages=[{"id": 7, "from": USER, "type": "text", "text": {"body": "hi"}}]),
    _value(messages=[{"id": "m", "from": USER, "type": "text", "text": "hi"}]),
    _value(messages=[{"id": "m", "from": USER, "type": "location", "location": {"latitude": "a"}}]),
    _value(messages=[{"id": f"m{i}", "from": USER, "type": "text"} for i in range(101)]),
    _value(statuses=[{"id": "w", "status": "read", "errors": [{"title": ["x"]}]}]),
    _value(contacts=[{"wa_id": USER, "profile": "x"}]),
]
ODD_BUT_HARMLESS = [
    _value(messages=[{"id": "o1", "from": "١٢٣٤٥٦٧", "type": "text", "text": {"body": "hi"}}]),
    _value(messages=[{"id": "o2", "from": "²³", "type": "text", "text": {"body": "hi"}}]),
    _value(messages=[{"from": USER, "type": "text", "text": {"body": "no id"}}]),
    _value(messages=[{"id": "o4", "from": USER, "type": "image", "image": {}}]),
    _value(statuses=[{"id": "w", "status": "read", "timestamp": "9" * 40}]),
    _value(messages=[], statuses=[], contacts=[], unknown={"deep": [[[[[]]]]]}),
    b'{"object": "whatsapp_business_account"}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "x"}]}]}',
]


def test_any_malformed_signed_body_is_a_400_and_nothing_is_stored(
    channel: Channel, db: Session
) -> None:
    answers = [channel.fake.deliver_raw(body) for body in MALFORMED]
    assert [a.status_code for a in answers] == [400] * len(MALFORMED)
    deep = answers[MALFORMED.index(_deep(100_000))]
    assert "The webhook body is nested too deeply." in deep.text
    assert _count(db, WhatsAppInbound.id) == 0 and _count(db, outbox.OutboxJob.id) == 0


def test_odd_but_well_formed_bodies_are_accepted_and_ignored(channel: Channel, db: Session) -> None:
    answers = [channel.fake.deliver_raw(body) for body in ODD_BUT_HARMLESS]
    assert [a.status_code for a in answers] == [200] * len(ODD_BUT_HARMLESS)
    kinds = db.scalars(select(WhatsAppInbound.kind)).all()
    assert kinds == ["other"]  # only the image without a media id is a message: "unsupported"
