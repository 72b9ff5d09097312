"""Footage requests end to end over HTTP: the SMS link, one browser, tus uploads, refusals."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.cameras import access_log
from nigrani.cameras import service as camera_service
from nigrani.cameras.models import Site
from nigrani.canvass import footage, uploads
from nigrani.canvass.models import FootageRequest, FootageUpload, Incident
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.outbox import OutboxJob, OutboxRunner
from nigrani.core.sms import SmsMessage
from nigrani.evidence import store
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.canvass.factories import make_incident
from tests.conftest import Freeze

LINK = re.compile(r"http://\S+/f/([A-Za-z0-9_-]+)")
CHUNK = 1024 * 1024
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_HI = ("जन॰", "फ़र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्टू॰", "नव॰", "दिस॰")


class Case:
    """An officer's incident near an owner's shop, and the officer signed in."""

    def __init__(self, db: Session, settings: Settings, client: TestClient) -> None:
        make_tree(db)
        self.io: User = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
        self.site: Site = make_site(db, settings)
        self.incident: Incident = make_incident(db, self.io)
        login(client, self.io.username or "")
        self.client = client

    def ask(self) -> FootageRequest:
        """Press "Ask for footage" on the incident page."""
        token = csrf_from(self.client, f"/incidents/{self.incident.id}")
        reply = self.client.post(
            f"/incidents/{self.incident.id}/requests",
            data={"site_id": str(self.site.id), "csrf_token": token},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        return self.incident.requests[-1]


@pytest.fixture()
def case(db: Session, settings: Settings, client: TestClient) -> Case:
    return Case(db, settings, client)


def _deliver(sessions: sessionmaker[Session], settings: Settings, db: Session) -> str:
    """Run the outbox like the scheduler does; the token from the last SMS sent."""
    OutboxRunner(sessions, settings).run_due()
    # The text as it went out is in the outbox job (sms_log keeps it masked).
    job = db.scalar(select(SmsMessage.job_id).order_by(SmsMessage.id.desc()).limit(1))
    payload = db.scalar(select(OutboxJob.payload).where(OutboxJob.id == job))
    assert payload is not None
    body = str(json.loads(payload)["body"])
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def _open(owner: TestClient, token: str) -> str:
    """Tap the SMS link, then "Open the request"; the CSRF token of the owner's page."""
    landing = owner.get(f"/f/{token}", follow_redirects=False)
    assert landing.status_code == 200, landing.text
    token_field = csrf_from(owner, f"/f/{token}")
    reply = owner.post(f"/f/{token}", data={"csrf_token": token_field}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    assert owner.get(f"/f/{token}", follow_redirects=False).headers["location"] == "/footage"
    return csrf_from(owner, "/footage")


def _tus(owner: TestClient, csrf: str, data: bytes, name: str, chunk: int = CHUNK) -> list[int]:
    """Upload bytes in parts; the status of every request made."""
    head = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, "Accept": "application/json"}
    meta = "filename " + __import__("base64").b64encode(name.encode()).decode()
    created = owner.post(
        "/footage/uploads",
        headers={**head, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
    )
    statuses = [created.status_code]
    if created.status_code != 201:
        return statuses
    url, offset = created.headers["location"], 0
    while offset < len(data):
        reply = owner.patch(
            url,
            content=data[offset : offset + chunk],
            headers={
                **head,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        statuses.append(reply.status_code)
        if reply.status_code != 204:
            return statuses
        offset = int(reply.headers["upload-offset"])
    return statuses


def test_owner_gets_a_link_and_uploads_real_video_with_a_resume(
    case: Case,
    db: Session,
    settings: Settings,
    sessions: sessionmaker[Session],
    app: object,
    other_client: TestClient,
    vtest: Path,
) -> None:
    request = case.ask()
    assert request.status == "sent"
    token = _deliver(sessions, settings, db)
    assert case.incident.number in db.scalar(select(SmsMessage.body))  # type: ignore[operator]

    owner = TestClient(app)  # type: ignore[arg-type]
    csrf = _open(owner, token)
    page = owner.get("/footage").text
    assert case.incident.number in page and "Gupta Sweets" in page
    db.refresh(request)
    assert request.status == "opened"

    data = vtest.read_bytes()
    head = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, "Accept": "application/json"}
    created = owner.post("/footage/uploads", headers={**head, "Upload-Length": str(len(data))})
    assert created.status_code == 201
    url = created.headers["location"]
    upload_id = url.rstrip("/").rsplit("/", 1)[-1]
    patch = {**head, "Content-Type": "application/offset+octet-stream"}
    first = owner.patch(url, content=data[:CHUNK], headers={**patch, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["upload-offset"] == str(CHUNK)
    # The connection dropped; the client lost count. A wrong offset is refused, HEAD tells.
    stale = owner.patch(url, content=data[:CHUNK], headers={**patch, "Upload-Offset": "0"})
    assert stale.status_code == 409
    offset = int(owner.head(url, headers=head).headers["upload-offset"])
    assert offset == CHUNK
    while offset < len(data):
        reply = owner.patch(
            url,
            content=data[offset : offset + 3 * CHUNK],
            headers={**patch, "Upload-Offset": str(offset)},
        )
        assert reply.status_code == 204, reply.text
        offset = int(reply.headers["upload-offset"])

    sha = hashlib.sha256(data).hexdigest()
    assert reply.headers["nigrani-evidence-sha256"] == sha
    item = db.scalar(select(EvidenceItem).where(EvidenceItem.incident_id == case.incident.id))
    assert item is not None and item.sha256 == sha and item.size_bytes == len(data)
    assert item.node_path == case.incident.node_path and item.duration_s == pytest.approx(79.5)
    assert store.blob_path(settings, sha).read_bytes() == data
    db.refresh(request)
    assert request.status == "uploaded"
    # This upload's staging file is gone (other tests on this worker share the folder).
    assert not list(uploads.staging_dir(settings).glob(f"{upload_id}*"))
    assert sha in owner.get("/footage").text

    # A second phone with the same link gets nothing, not even the landing page.
    assert other_client.get(f"/f/{token}", follow_redirects=False).status_code == 403
    forged = other_client.post(
        f"/f/{token}", data={"csrf_token": csrf_from(other_client)}, follow_redirects=False
    )
    assert forged.status_code == 403 and "already been used" in forged.text

    download = case.client.get(f"/evidence/{item.id}/download")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    actions = db.scalars(select(CustodyEvent.action).where(CustodyEvent.item_id == item.id)).all()
    assert actions == ["received", "copied"]
    whats = [row.what for row in access_log.for_site(db, site=case.site)]
    assert "Police asked you for footage" in whats


def _evidence_count(db: Session) -> int:
    return db.scalar(select(func.count(EvidenceItem.id))) or 0


def test_the_sms_dates_read_the_same_in_both_of_its_languages(
    case: Case, db: Session, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    """The owner's SMS is in Hindi and English: its dates have no month names of either
    language, whichever language the officer works in."""
    case.client.cookies.set("nigrani_lang", "hi")
    case.ask()
    _deliver(sessions, settings, db)
    body = db.scalar(select(SmsMessage.body).order_by(SmsMessage.id.desc())) or ""
    assert re.search(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2} IST", body), body
    months = MONTHS_EN + MONTHS_HI
    assert not [m for m in months if m in body], body


def test_what_is_not_video_is_refused_and_not_stored(
    case: Case, db: Session, settings: Settings, sessions: sessionmaker[Session], app: object
) -> None:
    case.ask()
    owner = TestClient(app)  # type: ignore[arg-type]
    csrf = _open(owner, _deliver(sessions, settings, db))
    staged_before = set(uploads.staging_dir(settings).glob("*.part"))
    text = b"This is a letter, not a video.\n" * 200
    assert _tus(owner, csrf, text, "letter.mp4") == [201, 415]
    noise = hashlib.sha256(b"x").digest() * 40000  # binary, passes the first look
    assert _tus(owner, csrf, noise, "clip.avi", chunk=len(noise)) == [201, 415]
    program = b"MZ\x90\x00" + bytes(5000)
    assert _tus(owner, csrf, program, "video.exe") == [201, 415]
    too_big = owner.post(
        "/footage/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "X-CSRF-Token": csrf,
            "Accept": "application/json",
            "Upload-Length": str(settings.footage_max_bytes + 1),
        },
    )
    assert too_big.status_code == 413
    assert _evidence_count(db) == 0
    # other tests on this worker share the staging folder: none of these uploads is left there
    assert set(uploads.staging_dir(settings).glob("*.part")) <= staged_before
    stored = list((settings.media_path / "evidence").rglob("*"))
    assert not [
        p
        for p in stored
        if p.is_file()
        and hashlib.sha256(p.read_bytes()).hexdigest()
        in {hashlib.sha256(noise).hexdigest(), hashlib.sha256(text).hexdigest()}
    ]


def test_expired_declined_and_replaced_links_are_refused(
    case: Case,
    db: Session,
    settings: Settings,
    sessions: sessionmaker[Session],
    app: object,
    vtest: Path,
) -> None:
    request = case.ask()
    old = _deliver(sessions, settings, db)
    # The officer sends a new link: the old one stops working.
    csrf = csrf_from(case.client, f"/incidents/{case.incident.id}")
    reply = case.client.post(
        f"/incidents/{case.incident.id}/requests/{request.id}/resend",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    new = _deliver(sessions, settings, db)
    assert new != old
    owner = TestClient(app)  # type: ignore[arg-type]
    assert owner.get(f"/f/{old}", follow_redirects=False).status_code == 404
    assert "not valid" in owner.get(f"/f/{old}").text

    request.expires_at = utcnow() - timedelta(minutes=1)
    db.flush()
    assert owner.get(f"/f/{new}", follow_redirects=False).status_code == 403
    request.expires_at = utcnow() + timedelta(days=1)
    db.flush()
    token = _open(owner, new)
    request.expires_at = utcnow() - timedelta(minutes=1)  # lapses while the page is open
    db.flush()
    lapsed = owner.get("/footage").text
    assert "has expired" in lapsed and 'id="uploader"' not in lapsed
    request.expires_at = utcnow() + timedelta(days=1)
    db.flush()
    reply = owner.post(
        "/footage/decline", data={"csrf_token": token, "reason": "Not kept"}, follow_redirects=False
    )
    assert reply.status_code == 303
    db.refresh(request)
    assert request.status == "declined" and request.decline_reason == "Not kept"
    assert "declined" in owner.get("/footage").text
    assert _tus(owner, token, vtest.read_bytes()[:1000], "a.avi") == [403]


def test_reminders_then_expiry(
    case: Case, db: Session, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    request = case.ask()
    first = _deliver(sessions, settings, db)
    later = request.sent_at + timedelta(hours=settings.footage_reminder_hours + 1)
    assert footage.expire_and_remind(db, settings=settings, now=later) == (0, 1)
    assert footage.expire_and_remind(db, settings=settings, now=later) == (0, 0)  # not twice
    reminder = _deliver(sessions, settings, db)
    assert reminder == first  # the same link, again
    assert "Reminder" in (db.scalar(select(SmsMessage.body).order_by(SmsMessage.id.desc())) or "")
    assert footage.expire_and_remind(db, settings=settings, now=request.expires_at) == (1, 0)
    assert request.status == "expired"


def test_unfinished_uploads_of_a_closed_request_are_swept(
    case: Case,
    db: Session,
    settings: Settings,
    sessions: sessionmaker[Session],
    app: object,
    vtest: Path,
) -> None:
    request = case.ask()
    owner = TestClient(app)  # type: ignore[arg-type]
    csrf = _open(owner, _deliver(sessions, settings, db))
    half = vtest.read_bytes()[: 2 * CHUNK]
    head = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, "Accept": "application/json"}
    created = owner.post("/footage/uploads", headers={**head, "Upload-Length": str(10 * CHUNK)})
    reply = owner.patch(
        created.headers["location"],
        content=half,
        headers={**head, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert reply.status_code == 204
    # Its own staging file (other tests on this worker share the folder).
    part = uploads.staging_dir(settings) / f"{created.headers['location'].rsplit('/', 1)[-1]}.part"
    assert part.exists()
    assert uploads.sweep(db, settings=settings, now=utcnow()) == 0  # still answerable
    later = request.expires_at + timedelta(seconds=1)
    assert uploads.sweep(db, settings=settings, now=later) == 1
    assert not part.exists()
    assert owner.head(created.headers["location"], headers=head).status_code == 404


def _start(owner: TestClient, csrf: str, length: int) -> Response:
    head = {"Tus-Resumable": "1.0.0", "X-CSRF-Token": csrf, "Accept": "application/json"}
    reply: Response = owner.post("/footage/uploads", headers={**head, "Upload-Length": str(length)})
    return reply


def _opened(db: Session) -> int:
    return (
        db.scalar(select(func.count(FootageUpload.id)).where(FootageUpload.status == "open")) or 0
    )


def test_refused_uploads_are_closed_and_do_not_count_as_unfinished(
    case: Case,
    db: Session,
    settings: Settings,
    sessions: sessionmaker[Session],
    app: object,
    vtest: Path,
) -> None:
    case.ask()
    owner = TestClient(app)  # type: ignore[arg-type]
    csrf = _open(owner, _deliver(sessions, settings, db))
    letter = b"This is a letter, not a video.\n" * 200
    noise = hashlib.sha256(b"x").digest() * 40000  # refused only once complete
    for i in range(uploads.MAX_OPEN_UPLOADS + 2):
        refused = _tus(owner, csrf, noise if i % 2 else letter, "clip.avi", chunk=len(noise))
        assert refused == [201, 415]
    assert _opened(db) == 0
    statuses = set(db.scalars(select(FootageUpload.status)))
    assert statuses == {"refused"}
    assert "not a video" in (db.scalar(select(FootageUpload.refused_reason)) or "")
    url = f"/footage/uploads/{db.scalar(select(FootageUpload.id))}"
    assert owner.head(url, headers={"Tus-Resumable": "1.0.0"}).status_code == 404

    data = vtest.read_bytes()
    assert _tus(owner, csrf, data, "cam1.avi", chunk=4 * CHUNK)[-1] == 204
    assert _evidence_count(db) == 1


def test_unfinished_uploads_are_limited_until_one_goes_quiet(
    case: Case,
    db: Session,
    settings: Settings,
    sessions: sessionmaker[Session],
    app: object,
    freeze: Freeze,
) -> None:
    case.ask()
    owner = TestClient(app)  # type: ignore[arg-type]
    csrf = _open(owner, _deliver(sessions, settings, db))
    moment = freeze(utcnow())
    for _ in range(uploads.MAX_OPEN_UPLOADS):
        assert _start(owner, csrf, 9).status_code == 201
        moment.advance(timedelta(minutes=1))
    refused = _start(owner, csrf, 9)
    assert refused.status_code == 429 and "already in progress" in refused.text
    # The first began 20 minutes ago: it goes quiet (UPLOAD_IDLE) in 40 minutes.
    assert int(refused.headers["retry-after"]) == 40 * 60
    moment.advance(timedelta(minutes=40))
    assert _start(owner, csrf, 9).status_code == 201
    assert _opened(db) == uploads.MAX_OPEN_UPLOADS
    assert db.scalar(select(func.count()).where(FootageUpload.status == "abandoned")) == 1


def test_a_paused_listing_is_not_asked_for_footage(case: Case, db: Session) -> None:
    camera_service.set_paused(db, site=case.site, paused=True, actor=audit.SYSTEM)
    db.flush()
    token = csrf_from(case.client, f"/incidents/{case.incident.id}")
    reply = case.client.post(
        f"/incidents/{case.incident.id}/requests",
        data={"site_id": str(case.site.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 409 and "paused or withdrawn" in reply.text
    assert db.scalar(select(func.count(FootageRequest.id))) == 0
    assert db.scalar(select(func.count(SmsMessage.id))) == 0
