"""Consented recording of hearings through HTTP: the citizen's answer (asked only where
hearings are recorded, changeable until the call, audited), the refusals of a recording
offer (no consent, no call, another officer's call, not an offer), and a real WebRTC
sender (aiortc, playing generated picture and tone) recorded by the server's peer into the
evidence store, where it is hashed, decodes, plays and enters custody when played; and a
file a stopped server left unfinished, kept once its call is over."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.models import User
from nigrani.core.audit import AuditEntry
from nigrani.evidence import store
from nigrani.evidence.models import CustodyEvent
from nigrani.hearings import recordings, service
from nigrani.hearings.models import HearingRecording
from nigrani.hearings.recorder import STAGING, existing_recorder
from tests.accounts.factories import csrf_from, login
from tests.accounts.test_otp import sign_in_citizen
from tests.conftest import Freeze
from tests.hearings.test_service import MOBILES, OPEN, _place, _post, _tickets, officers

__all__ = ["officers"]  # the fixture, shared with test_service


@pytest.fixture()
def recorded(app: FastAPI) -> Iterator[FastAPI]:
    """The app as a deployment that records hearings (one machine: loopback only)."""
    app.state.settings = app.state.settings.model_copy(
        update={"hearings_recording": True, "hearings_recorder_addresses": "127.0.0.1"}
    )
    yield app
    recorder = existing_recorder(app.state)
    if recorder is not None:
        recorder.close()


def _walk_in(client: TestClient, db: Session, freeze: Freeze) -> str:
    """At 11:50 IST a citizen signs in and joins the queue; their room's address."""
    freeze(OPEN)
    sign_in_citizen(client, db, MOBILES[0])
    return _place(client, db, "now")


def _answer(client: TestClient, room: str, consent: str) -> int:
    token = csrf_from(client, room)
    answer = client.post(
        room + "/consent", data={"csrf_token": token, "consent": consent}, follow_redirects=False
    )
    return int(answer.status_code)


def _offer(client: TestClient, path: str, page: str, body: dict[str, Any]) -> Any:
    token = csrf_from(client, page)
    return client.post(path, json=body, headers={"X-CSRF-Token": token})


def _in_call(client: TestClient, db: Session, dcp: User) -> int:
    """The DCP calls the head of the line and the citizen answers (as the room's socket does)."""
    assert login(client, dcp.username or "").status_code == 303
    sitting = _tickets(db)[0].sitting_id
    assert _post(client, f"/hearings/console/{sitting}/next") == 303
    ticket = _tickets(db)[0]
    service.answer(db, ticket, now=OPEN)
    db.commit()
    return ticket.id


@pytest.mark.usefixtures("officers")
def test_the_question_is_asked_only_where_hearings_are_recorded(
    client: TestClient, db: Session, freeze: Freeze
) -> None:
    room = _walk_in(client, db, freeze)
    assert "May this hearing be recorded?" not in client.get(room).text
    assert _answer(client, room, "yes") == 409
    assert _tickets(db)[0].record_consent is None


@pytest.mark.usefixtures("recorded")
def test_the_citizen_answers_until_the_call_begins_and_each_answer_is_audited(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    room = _walk_in(other_client, db, freeze)
    page = other_client.get(room).text
    assert "May this hearing be recorded?" in page and "You have not answered" in page
    assert _answer(other_client, room, "maybe") == 422
    assert _tickets(db)[0].record_consent is None  # refused: nothing changed
    assert _answer(other_client, room, "yes") == 303
    assert "You said yes" in other_client.get(room).text
    assert _answer(other_client, room, "yes") == 303  # a double tap: one audit row
    assert _answer(other_client, room, "no") == 303
    assert _tickets(db)[0].record_consent is False
    assert _answer(other_client, room, "yes") == 303
    _in_call(client, db, officers[0])
    assert _answer(other_client, room, "no") == 409  # the call is on: the answer holds
    ticket = _tickets(db)[0]
    assert ticket.record_consent is True and ticket.consent_at == OPEN
    audited = db.scalars(
        select(AuditEntry.detail)
        .where(AuditEntry.action == "hearing.record_consent")
        .order_by(AuditEntry.id)
    ).all()
    assert audited == ['{"consent": true}', '{"consent": false}', '{"consent": true}']
    console = client.get("/hearings/console").text
    assert "The citizen agreed to a recording" in console


@pytest.mark.usefixtures("recorded")
def test_a_recording_offer_is_refused_without_consent_or_call_or_by_another_officer(
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
) -> None:
    room = _walk_in(other_client, db, freeze)
    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}
    citizen_path = room + "/recording"
    assert _offer(other_client, citizen_path, room, offer).status_code == 409  # no call yet
    dcp, acp = officers
    ticket_id = _in_call(client, db, dcp)
    officer_path = f"/hearings/tickets/{ticket_id}/recording"
    refused = _offer(client, officer_path, "/hearings/console", offer)
    assert refused.status_code == 409 and "did not agree" in refused.text
    ticket = _tickets(db)[0]
    ticket.record_consent = True
    db.commit()
    not_offer = _offer(client, officer_path, "/hearings/console", {**offer, "type": "answer"})
    assert not_offer.status_code == 422
    garbled = _offer(client, officer_path, "/hearings/console", offer)  # an SDP with no media
    assert garbled.status_code == 422
    junk = {"type": "offer", "sdp": "v=0\r\nm=video x\r\na=fingerprint:\r\n" * 3}
    assert _offer(client, officer_path, "/hearings/console", junk).status_code == 422
    client.cookies.clear()
    assert login(client, acp.username or "").status_code == 303
    other = _offer(client, officer_path, "/hearings/console", offer)
    assert other.status_code == 409 and "another officer" in other.text
    assert db.scalar(select(func.count()).select_from(HearingRecording)) == 0


class Sender:
    """A browser stand-in: an aiortc peer sending a generated clip (picture and tone)."""

    def __init__(self, clip: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clip = clip
        self.pc: RTCPeerConnection | None = None

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    async def _offer(self) -> dict[str, str]:
        player = MediaPlayer(str(self.clip))
        self.pc = RTCPeerConnection()
        assert player.video is not None and player.audio is not None
        self.pc.addTrack(player.video)
        self.pc.addTrack(player.audio)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return {"type": "offer", "sdp": self.pc.localDescription.sdp}

    def offer(self) -> dict[str, str]:
        return dict(self.run(self._offer()))

    def accept(self, answer: dict[str, str]) -> None:
        assert self.pc is not None
        self.run(self.pc.setRemoteDescription(RTCSessionDescription(**answer)))

    def connected(self) -> bool:
        return self.pc is not None and self.pc.connectionState == "connected"

    def close(self) -> None:
        if self.pc is not None:
            self.run(self.pc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture()
def clip(tmp_path: Path) -> Path:
    """Eight seconds of a moving test picture and a 440 Hz tone (FFmpeg's own sources)."""
    path = tmp_path / "call.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "8",
         "-c:v", "libx264", "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture()
def sender(clip: Path) -> Iterator[Sender]:
    peer = Sender(clip)
    yield peer
    peer.close()


def test_the_servers_peer_records_a_webrtc_call_into_the_evidence_store(
    recorded: FastAPI,
    client: TestClient,
    other_client: TestClient,
    db: Session,
    officers: tuple[User, User],
    freeze: Freeze,
    sender: Sender,
) -> None:
    room = _walk_in(other_client, db, freeze)
    assert _answer(other_client, room, "yes") == 303
    ticket_id = _in_call(client, db, officers[0])
    answered = _offer(other_client, room + "/recording", room, sender.offer())
    assert answered.status_code == 200, answered.text
    assert answered.json()["type"] == "answer"
    sender.accept(answered.json())
    deadline = time.monotonic() + 15
    while not sender.connected() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sender.connected()
    recorder = existing_recorder(recorded.state)
    assert recorder is not None and recorder.recording(ticket_id)
    time.sleep(3)  # three seconds of the call
    assert _post(client, f"/hearings/tickets/{ticket_id}/finish") == 303
    assert not recorder.recording(ticket_id)
    [row] = db.scalars(select(HearingRecording)).all()
    assert (row.ticket_id, row.side, row.item.kind) == (ticket_id, "citizen", "hearing")
    path = store.blob_path(recorded.state.settings, row.item.sha256)
    assert store.hash_file(path) == row.item.sha256 and row.item.size_bytes == path.stat().st_size
    with av.open(str(path)) as played:
        assert {s.type for s in played.streams} == {"video", "audio"}
        pictures = sum(1 for _ in played.decode(video=0))
    with av.open(str(path)) as played:
        sound = sum(frame.samples for frame in played.decode(audio=0))
    assert pictures >= 20 and sound >= 48000  # over a second and a half of each
    assert 2 <= (row.ended_at - row.started_at).total_seconds() < 15
    assert not list(path.parent.parent.glob(".hearing-recordings/*.mp4"))  # staging emptied
    played = client.get(f"/hearings/recordings/{row.id}")
    assert played.status_code == 200 and played.headers["content-type"] == "video/mp4"
    assert hashlib.sha256(played.content).hexdigest() == row.item.sha256
    custody = db.scalars(
        select(CustodyEvent.action)
        .where(CustodyEvent.item_id == row.item.id)
        .order_by(CustodyEvent.id)
    ).all()
    assert custody == ["received", "viewed"]
    audited = db.scalar(select(func.count()).where(AuditEntry.action == "hearing.recorded"))
    assert audited == 1
    assert "recording-link" in client.get("/hearings/console").text


def test_a_file_left_by_a_stopped_server_is_kept_once_its_call_is_over(
    recorded: FastAPI,
    client: TestClient,
    other_client: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    officers: tuple[User, User],
    freeze: Freeze,
    clip: Path,
) -> None:
    settings = recorded.state.settings
    room = _walk_in(other_client, db, freeze)
    assert _answer(other_client, room, "yes") == 303
    ticket_id = _in_call(client, db, officers[0])
    staging = settings.media_path / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    left = staging / f"{ticket_id}-officer-0badc0de.mp4"
    shutil.copy(clip, left)
    broken = staging / f"{ticket_id}-citizen-00000000.mp4"
    broken.write_bytes(b"not a video")
    old = time.time() - 600
    for path in (left, broken):
        os.utime(path, (old, old))
    assert recordings.keep_left(sessions, settings, now=OPEN) == 0  # the call is still on
    assert left.exists()
    assert _post(client, f"/hearings/tickets/{ticket_id}/finish") == 303
    os.utime(left, None)  # written just now: a recorder may still hold it
    assert recordings.keep_left(sessions, settings, now=OPEN) == 0
    os.utime(left, (old, old))
    assert recordings.keep_left(sessions, settings, now=OPEN) == 1
    assert recordings.keep_left(sessions, settings, now=OPEN) == 0  # kept once
    assert not list(staging.iterdir())  # the broken one is dropped, nothing to keep
    db.expire_all()
    [row] = db.scalars(select(HearingRecording)).all()
    assert (row.ticket_id, row.side) == (ticket_id, "officer")
    assert 7 <= (row.ended_at - row.started_at).total_seconds() <= 9  # the clip's 8 s
    assert store.hash_file(store.blob_path(settings, row.item.sha256)) == row.item.sha256
