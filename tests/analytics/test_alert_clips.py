"""An alert's clip: cut by an outbox job from the camera's recorded segments once the alert
ends (10 s either side), waiting while the recorder has not written the end, once however
often the job runs, "no recording" where the camera has none; shown on the alert page in a
player fed in byte ranges from the evidence store, the views kept in its custody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.roles import Role
from nigrani.analytics import clips
from nigrani.analytics.models import AnalyticsEvent
from nigrani.core.config import Settings
from nigrani.core.outbox import OutboxJob, OutboxRunner
from nigrani.core.web_context import LANG_COOKIE
from nigrani.evidence import store
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from nigrani.stations.models import RecordingHold, StationCamera
from tests.accounts.factories import login, make_staff
from tests.analytics.event_fixtures import T0, event_body, worker_key
from tests.conftest import Freeze
from tests.stations.footage import SEGMENT_S, Template, add_segments, encode_template
from tests.stations.station_fixtures import camera_with

URL = "/api/v1/analytics/events"
S = timedelta(seconds=1)
FOOTAGE = T0 - timedelta(seconds=40)  # the recordings' start: 14 segments, to T0 - 12 s
SEGMENTS = 14
STARTED, ENDED = T0 - timedelta(seconds=30), T0 - timedelta(seconds=25)  # the clip: -40..-15


@pytest.fixture(scope="session")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("alert-footage"), SEGMENTS)


@dataclass
class Desk:
    """A recorded camera in S1 (its recorder holds it), a worker's key, S1's SHO, and what
    the tests do with them."""

    client: TestClient
    db: Session
    sessions: sessionmaker[Session]
    settings: Settings
    freeze: Freeze
    camera: StationCamera
    key: dict[str, str]

    def record(self, footage: Template, **kwargs: Any) -> None:
        add_segments(self.db, self.settings, self.camera, footage, FOOTAGE, **kwargs)
        self.db.commit()

    def post_ended(self) -> int:
        body = event_body(self.camera.id, started_at=STARTED.isoformat(),
                          ended_at=ENDED.isoformat())  # fmt: skip
        posted = self.client.post(URL, json=body, headers=self.key)
        assert posted.status_code == 201, posted.text
        again = self.client.post(URL, json=body, headers=self.key)  # a retry queues no more
        assert again.status_code == 200
        return int(posted.json()["id"])

    def jobs(self) -> list[OutboxJob]:
        return list(self.db.scalars(select(OutboxJob).where(OutboxJob.kind == clips.JOB_KIND)))

    def event(self, event_id: int) -> AnalyticsEvent:
        self.db.expire_all()
        return self.db.get_one(AnalyticsEvent, event_id)

    def run(self, at: Any) -> int:
        self.freeze(at)
        return OutboxRunner(self.sessions, self.settings).run_due()


@pytest.fixture()
def desk(
    client: TestClient,
    db: Session,
    sessions: sessionmaker[Session],
    settings: Settings,
    freeze: Freeze,
) -> Desk:
    freeze(T0)
    camera = camera_with(db, settings, "Front desk", leased_by="rec-1", lease_until=T0 + 3600 * S)
    key = worker_key(db)
    make_staff(db, Role.SHO, "S1", "sho-s1")
    db.commit()
    return Desk(client, db, sessions, settings, freeze, camera, key)


def test_the_clip_is_cut_once_from_the_recordings_when_the_alert_ends(
    desk: Desk, footage: Template
) -> None:
    desk.record(footage)
    event_id = desk.post_ended()
    [job] = desk.jobs()
    assert desk.event(event_id).clip_state == "pending"
    # the first try waits for the recorder to close the file that holds the clip's end
    assert desk.run(T0) == 0
    assert desk.run(job.run_after) == 1
    event = desk.event(event_id)
    assert event.clip_state == "ready" and event.clip_item_id is not None
    item = desk.db.get_one(EvidenceItem, event.clip_item_id)
    assert (item.kind, item.media_type) == ("clip", "video/mp4")
    assert (item.claimed_start, item.claimed_end) == (STARTED - 10 * S, ENDED + 10 * S)
    path = store.blob_path(desk.settings, item.sha256)
    assert store.hash_file(path) == item.sha256
    with av.open(str(path)) as clip:
        assert [s.type for s in clip.streams] == ["video", "audio"]
        seconds = (clip.duration or 0) / av.time_base
    assert 25 <= seconds < 25 + SEGMENT_S  # from the keyframe at or before the start
    [received] = desk.db.scalars(select(CustodyEvent).where(CustodyEvent.item_id == item.id))
    assert (received.action, received.actor_label) == ("received", "analytics")
    hold = desk.db.scalars(select(RecordingHold).where(RecordingHold.evidence_item_id == item.id))
    assert [h.kind for h in hold] == ["evidence"]
    # the job run again, a second job for the event, a direct cut: still one clip
    second = OutboxJob(
        kind=clips.JOB_KIND, payload=f'{{"event": {event_id}}}', status="pending", attempts=0,
        max_attempts=8, run_after=job.run_after, created_at=T0,
    )  # fmt: skip
    desk.db.add(second)
    desk.db.commit()
    assert desk.run(job.run_after + S) == 1
    assert clips.cut_clip(desk.db, settings=desk.settings, event_id=event_id) == "ready"
    assert (
        desk.db.scalar(select(func.count(EvidenceItem.id)).where(EvidenceItem.kind == "clip")) == 1
    )
    assert desk.event(event_id).clip_item_id == item.id


def test_the_job_waits_for_the_recorder_to_write_the_end(desk: Desk, footage: Template) -> None:
    desk.record(footage, count=10)  # to T0 - 20 s: short
    event_id = desk.post_ended()
    [job] = desk.jobs()
    assert desk.run(job.run_after) == 0
    desk.db.expire_all()
    assert (job.status, job.attempts) == ("pending", 1) and "recorded until" in (
        job.last_error or ""
    )
    assert desk.event(event_id).clip_state == "pending"
    desk.record(footage, skip=tuple(range(10)))
    assert desk.run(job.run_after + 30 * S) == 1
    assert desk.event(event_id).clip_state == "ready"


def test_no_recorder_means_no_recording_on_the_page(desk: Desk) -> None:
    desk.camera.lease_until = None  # no recorder holds this camera, and nothing was recorded
    desk.db.commit()
    event_id = desk.post_ended()
    [job] = desk.jobs()
    assert desk.run(job.run_after) == 1
    event = desk.event(event_id)
    assert (event.clip_state, event.clip_item_id) == ("no_recording", None)
    assert login(desk.client, "sho-s1").status_code == 303
    page = desk.client.get(f"/analytics/events/{event_id}").text
    assert 'id="clip-none"' in page and "<video" not in page
    desk.client.cookies.set(LANG_COOKIE, "hi")
    page = desk.client.get(f"/analytics/events/{event_id}").text
    assert "इस समय की कोई रिकॉर्डिंग नहीं" in page


def test_the_page_plays_the_clip_in_ranges_with_its_custody(desk: Desk, footage: Template) -> None:
    desk.record(footage)
    event_id = desk.post_ended()
    assert login(desk.client, "sho-s1").status_code == 303
    waiting = desk.client.get(f"/analytics/events/{event_id}")
    assert 'id="clip-pending"' in waiting.text and 'hx-trigger="every 15s"' in waiting.text
    assert desk.client.get(f"/analytics/events/{event_id}/clip").status_code == 404
    [job] = desk.jobs()
    assert desk.run(job.run_after) == 1
    item = desk.db.get_one(EvidenceItem, desk.event(event_id).clip_item_id)
    part = desk.client.get(f"/analytics/events/{event_id}/media").text
    assert f'src="/analytics/events/{event_id}/clip"' in part and item.sha256 in part
    assert "hx-trigger" not in part  # nothing more to wait for
    data = store.blob_path(desk.settings, item.sha256).read_bytes()
    head = desk.client.get(f"/analytics/events/{event_id}/clip", headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == data[:100]
    assert head.headers["content-type"] == "video/mp4"
    whole = desk.client.get(f"/analytics/events/{event_id}/clip")
    assert whole.status_code == 200 and whole.content == data
    views = desk.db.scalars(
        select(CustodyEvent).where(CustodyEvent.item_id == item.id, CustodyEvent.action == "viewed")
    ).all()
    assert [v.actor_label for v in views] == ["sho-s1"]  # one row for the player's requests
    desk.freeze(job.run_after + 11 * 60 * S)
    assert desk.client.get(f"/analytics/events/{event_id}/clip").status_code == 200
    desk.db.expire_all()
    count = select(func.count(CustodyEvent.id)).where(
        CustodyEvent.item_id == item.id, CustodyEvent.action == "viewed"
    )
    assert desk.db.scalar(count) == 2  # watched again after a quiet spell: recorded again


def test_an_alert_still_open_gets_a_clip_of_its_first_minutes(desk: Desk) -> None:
    body = event_body(desk.camera.id, started_at=(T0 - 5 * 60 * S).isoformat())
    assert desk.client.post(URL, json=body, headers=desk.key).status_code == 201
    assert clips.clip_open_events(desk.db, settings=desk.settings) == 0  # open for 5 minutes only
    desk.freeze(T0 + 6 * 60 * S)
    assert clips.clip_open_events(desk.db, settings=desk.settings) == 1
    assert clips.clip_open_events(desk.db, settings=desk.settings) == 0
    [event] = desk.db.scalars(select(AnalyticsEvent))
    assert clips.clip_range(event) == (event.started_at - 10 * S, event.started_at + 170 * S)
    ended = body | {"ended_at": (T0 + 5 * 60 * S).isoformat()}
    assert desk.client.post(URL, json=ended, headers=desk.key).status_code == 200
    assert len(desk.jobs()) == 1  # its end asks for no second clip
