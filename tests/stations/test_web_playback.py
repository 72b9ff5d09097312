"""Playback through HTTP: the day's timeline with gaps listed, the VOD playlist over real
MPEG-TS segments (a discontinuity at the gap), segments behind sign-in and jurisdiction,
IST times in the query, one audit row per opened view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.evidence.models import EvidenceItem
from nigrani.stations import playback
from nigrani.stations.models import RecordingGap
from tests.accounts.factories import csrf_from, login, make_staff
from tests.canvass.factories import make_incident
from tests.conftest import Freeze
from tests.stations.footage import SEGMENT_S, Template, add_segments, encode_template
from tests.stations.station_fixtures import make_camera

# 10:00:00 IST on 1 December 2026.
START = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return encode_template(tmp_path_factory.mktemp("footage"), 4)


def _views(db: Session) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == "stations.playback.view")
    return list(db.scalars(stmt))


def test_vod_playlist_from_segments_with_a_gap(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    segs = add_segments(db, settings, camera, template, START, skip=(2,))
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    reply = client.get(f"/stations/playback/{camera.id}/2026-12-01.m3u8")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert reply.headers["cache-control"] == "no-store"
    lines = reply.text.splitlines()
    assert lines[:5] == [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f"#EXT-X-TARGETDURATION:{SEGMENT_S}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    assert lines[-1] == "#EXT-X-ENDLIST"
    assert lines.count(f"#EXTINF:{SEGMENT_S:.3f},") == 3
    uris = [f"/stations/playback/{camera.id}/segments/{s.id}.ts" for s in segs]
    assert [line for line in lines if not line.startswith("#")] == uris
    # The discontinuity sits between the second and third file, where the gap is.
    gap_at = lines.index("#EXT-X-DISCONTINUITY")
    assert lines.index(uris[1]) < gap_at < lines.index(uris[2])
    assert lines[gap_at + 1] == "#EXT-X-PROGRAM-DATE-TIME:2026-12-01T04:30:06.000Z"
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    segment = client.get(uris[0])
    assert segment.status_code == 200 and segment.headers["content-type"] == "video/mp2t"
    assert segment.content == (settings.recordings_path / segs[0].path).read_bytes()
    assert segment.content[0] == 0x47  # an MPEG-TS sync byte


def test_timeline_lists_gaps_and_audits_the_view(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START, skip=(2,))
    db.add(
        RecordingGap(
            camera_id=camera.id,
            start_at=START + timedelta(seconds=4),
            end_at=START + timedelta(seconds=6),
            reason="stream lost",
        )
    )
    db.flush()
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    before = len(_views(db))
    page = client.get(f"/stations/playback?camera={camera.id}&at=2026-12-01T10:00:03").text
    assert "2026-12-01 (IST)" in page and "10:00:04–10:00:06" in page and "stream lost" in page
    # Drawn twice: on the day and on the hour around the moment.
    assert page.count('class="run"') == 4 and page.count('class="gap"') == 2
    assert f"/stations/playback/{camera.id}/2026-12-01.m3u8" in page
    assert 'value="2026-12-01T10:00:03"' in page  # the export form starts at the chosen time
    [row] = _views(db)[before:]
    assert row.detail == '{"at": "2026-12-01T04:30:03+00:00", "cameras": [' + str(camera.id) + "]}"


def test_at_accepts_iso_with_offset_and_refuses_nonsense(
    client: TestClient, db: Session, settings: Settings
) -> None:
    camera = make_camera(db, settings)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    # 20:00 UTC on 30 November is already 1 December in IST.
    page = client.get(f"/stations/playback?camera={camera.id}&at=2026-11-30T20:00:00Z").text
    assert "2026-12-01 (IST)" in page and "No recording of Front desk on this day." in page
    assert client.get(f"/stations/playback?camera={camera.id}&at=yesterday").status_code == 422


def test_playback_refused_outside_the_charge(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    other = make_camera(db, settings, station="S2", name="Other desk")
    [seg, *_] = add_segments(db, settings, camera, template, START, count=1)
    make_staff(db, Role.ACP, "C2")
    make_staff(db, Role.SHO, "S1")
    login(client, "acp-c2")
    before = len(_views(db))
    paths = (
        f"/stations/playback?camera={camera.id}",
        f"/stations/playback/{camera.id}/2026-12-01.m3u8",
        f"/stations/playback/{camera.id}/segments/{seg.id}.ts",
    )
    for path in paths:
        assert client.get(path).status_code == 404
    assert len(_views(db)) == before
    client.cookies.clear()
    login(client, "sho-s1")
    # A segment asked for under another camera's id, and two stations at once.
    assert client.get(f"/stations/playback/{other.id}/segments/{seg.id}.ts").status_code == 404
    assert client.get(f"/stations/playback/{camera.id}/not-a-day.m3u8").status_code == 404
    both = client.get(f"/stations/playback?camera={camera.id}&camera={other.id}")
    assert both.status_code == 404  # S2 is not under the SHO of S1


def test_several_cameras_of_one_station_play_together(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    desk = make_camera(db, settings)
    lockup = make_camera(db, settings, role="lockup", name="Lock-up")
    far = make_camera(db, settings, station="S2", name="Other desk")
    add_segments(db, settings, desk, template, START)
    make_staff(db, Role.ACP, "C1")
    login(client, "acp-c1")
    query = f"camera={desk.id}&camera={lockup.id}&at=2026-12-01T10:00"
    page = client.get(f"/stations/playback?{query}").text
    assert page.count("<video controls") == 2 and "No recording of Lock-up on this day." in page
    mixed = client.get(f"/stations/playback?camera={desk.id}&camera={far.id}")
    assert mixed.status_code == 422 and "one station" in mixed.text
    picker = client.get("/stations/playback").text
    assert "Other desk" in picker and "<video" not in picker


def test_gaps_merge_recorder_gaps_with_holes() -> None:
    t = START
    runs = [
        playback.Span(t, t + timedelta(minutes=1)),
        playback.Span(t + timedelta(minutes=3), t + timedelta(minutes=4)),
    ]
    minute = timedelta(minutes=1)
    stored = [
        RecordingGap(
            camera_id=1, start_at=t + minute, end_at=t + 2 * minute, reason="recorder down"
        ),
        RecordingGap(camera_id=1, start_at=t + 5 * minute, end_at=None, reason="ongoing"),
    ]
    day_start, day_end = playback.day_bounds(playback.local_day(t, "Asia/Kolkata"), "Asia/Kolkata")
    gaps = playback.gaps_of(runs, stored, start=day_start, end=day_end)
    assert [(g.start, g.end, g.reason) for g in gaps[:1]] == [
        (t + timedelta(minutes=1), t + timedelta(minutes=3), "recorder down")
    ]
    assert gaps[1].reason == "ongoing" and gaps[1].end <= day_end
    assert playback.vod_playlist([], segment_url=str).splitlines()[-1] == "#EXT-X-ENDLIST"


def _evidence(db: Session) -> list[EvidenceItem]:
    return list(db.scalars(select(EvidenceItem).order_by(EvidenceItem.id)))


def test_export_clip_links_the_evidence_item(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START)
    sho = make_staff(db, Role.SHO, "S1")
    incident = make_incident(db, sho)
    login(client, "sho-s1")
    token = csrf_from(client, f"/stations/playback?camera={camera.id}&at=2026-12-01T10:00:01")
    form = {"start": "2026-12-01T10:00:01", "end": "2026-12-01T10:00:05", "csrf_token": token}
    form.update(reason="Complainant says the desk refused the FIR", incident=incident.number)
    url = f"/stations/playback/{camera.id}/clips"
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    before = len(_evidence(db))
    reply = client.post(url, data=form, follow_redirects=False)
    assert reply.status_code == 303 and "clip=" in reply.headers["location"]
    [item] = _evidence(db)[before:]
    assert item.incident_id == incident.id and item.kind == "clip"
    page = client.get(reply.headers["location"]).text
    assert f"/evidence/{item.id}/download" in page and item.sha256 in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end": "2026-12-01T09:59:00"}, "end after it starts"),
        ({"incident": "INC-NOPE"}, "No such incident"),
        ({"start": "2026-11-30T10:00:00", "end": "2026-11-30T10:01:00"}, "no recorded footage"),
        ({"start": "2026-12-02T10:00:00", "end": "2026-12-02T10:01:00"}, "reaches only"),
        ({"end": "2026-12-01T10:00:06"}, "reaches only 01-12-2026 10:00:04 IST"),
        ({"start": "2099-01-01T10:00:00", "end": "2099-01-01T10:01:00"}, "in the future"),
        ({"start": "soon"}, "Enter the date and time"),
    ],
)
def test_a_refused_clip_says_why_and_stores_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    template: Template,
    change: dict[str, str],
    message: str,
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START, count=2)
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    token = csrf_from(client, f"/stations/playback?camera={camera.id}")
    form = {"start": "2026-12-01T10:00:00", "end": "2026-12-01T10:00:03", "csrf_token": token}
    form.update(reason="For the inquiry into the complaint", **change)
    before = len(_evidence(db))
    reply = client.post(f"/stations/playback/{camera.id}/clips", data=form)
    assert reply.status_code == 422 and message in reply.text and 'role="alert"' in reply.text
    assert len(_evidence(db)) == before


def _form(client: TestClient, camera_id: int, start: str, end: str) -> dict[str, str]:
    token = csrf_from(client, f"/stations/playback?camera={camera_id}")
    return {"start": start, "end": end, "reason": "For the inquiry", "csrf_token": token}


def test_the_export_form_defaults_to_the_moment_being_played(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START)  # 10:00:00 to 10:00:08 IST
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    # Past the newest recording the range ends where the recording does, a minute long.
    page = client.get(f"/stations/playback?camera={camera.id}&at=2026-12-01T10:00:20").text
    assert (
        'name="start" type="datetime-local" step="1" required value="2026-12-01T09:59:08"' in page
    )
    assert 'required value="2026-12-01T10:00:08"' in page
    add_segments(db, settings, camera, template, START + timedelta(minutes=5), count=1)
    page = client.get(f"/stations/playback?camera={camera.id}&at=2026-12-01T10:00:03").text
    assert 'required value="2026-12-01T09:59:33"' in page  # 30 s either side
    assert 'required value="2026-12-01T10:00:33"' in page


def test_a_short_clip_is_saved_only_after_the_gaps_were_shown(
    client: TestClient, db: Session, settings: Settings, template: Template
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START, skip=(2,))  # nothing 10:00:04-06
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    url = f"/stations/playback/{camera.id}/clips"
    form = _form(client, camera.id, "2026-12-01T10:00:00", "2026-12-01T10:00:08")
    before = len(_evidence(db))
    warned = client.post(url, data=form)
    assert warned.status_code == 409 and len(_evidence(db)) == before
    assert "cover only 6 s of the 8 s asked" in warned.text
    assert "10:00:04–10:00:06" in warned.text and 'id="clip-confirm"' in warned.text
    assert "For the inquiry</textarea>" in warned.text  # the form keeps what was typed
    confirm = "2026-12-01T10:00:00|2026-12-01T10:00:08|6.0"
    assert f'name="confirm" value="{confirm}"' in warned.text
    # A confirmation given for another range, or for more than is covered, warns again.
    for other in ("2026-12-01T10:00:00|2026-12-01T10:00:07|6.0", confirm.replace("6.0", "8.0")):
        again = client.post(url, data={**form, "confirm": other})
        assert again.status_code == 409 and len(_evidence(db)) == before
    saved = client.post(url, data={**form, "confirm": confirm}, follow_redirects=False)
    assert saved.status_code == 303
    [item] = _evidence(db)[before:]
    page = client.get(saved.headers["location"]).text
    assert f"evidence item #{item.id}: {item.duration_s:.1f} s of footage for the 8 s asked" in page


def test_a_clip_ending_after_the_newest_recording_is_refused(
    client: TestClient, db: Session, settings: Settings, template: Template, freeze: Freeze
) -> None:
    camera = make_camera(db, settings)
    add_segments(db, settings, camera, template, START)
    freeze(START + timedelta(seconds=9))
    make_staff(db, Role.SHO, "S1")
    login(client, "sho-s1")
    url = f"/stations/playback/{camera.id}/clips"
    before = len(_evidence(db))
    late = client.post(
        url, data=_form(client, camera.id, "2026-12-01T10:00:00", "2026-12-01T10:00:30")
    )
    assert late.status_code == 422 and "cannot end in the future" in late.text
    unrecorded = _form(client, camera.id, "2026-12-01T10:00:00", "2026-12-01T10:00:09")
    freeze(START + timedelta(minutes=5))
    unrecorded["end"] = "2026-12-01T10:01:00"
    refused = client.post(url, data=unrecorded)
    assert refused.status_code == 422 and "reaches only 01-12-2026 10:00:08 IST" in refused.text
    assert len(_evidence(db)) == before
