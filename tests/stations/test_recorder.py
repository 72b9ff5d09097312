"""The recorder against the real RTSP simulator: segments with sound on disk and in the
database, the live playlists, a camera killed and restarted, and leases between two
recorders (SQLite, or PostgreSQL with NIGRANI_TEST_DATABASE_URL)."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import av
import pytest

from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.stations.models import RecordingSegment
from nigrani.stations.recorder.journal import LOST_REASON, STOPPED_REASON
from nigrani.stations.recorder.process import Recorder
from nigrani.stations.simulator import Simulator
from tests.conftest import command_env, fresh_database_url, make_settings
from tests.stations.recorder_fixtures import (
    SEGMENT_S,
    STATIONS,
    RecorderDb,
    Running,
    wait_for,
)
from tests.stations.station_fixtures import make_camera

TOLERANCE_S = 0.35


@pytest.fixture(scope="module")
def recorder_db(
    rtsp_cameras: Simulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecorderDb]:
    tmp = tmp_path_factory.mktemp("recorder-db")
    for url in fresh_database_url(tmp):
        settings = make_settings(url, tmp / "var")
        upgrade(settings)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        ids: dict[str, int] = {}
        with transaction(factory) as session:
            for camera, station in zip(rtsp_cameras.cameras, STATIONS, strict=True):
                row = make_camera(
                    session,
                    settings,
                    station=station,
                    name=camera.name,
                    main_url=camera.main_url,
                    sub_url=camera.sub_url,
                )
                ids[camera.name] = row.id
        yield RecorderDb(url, factory, ids)
        engine.dispose()


def probe_seconds(path: Path) -> tuple[set[str], float]:
    """The codecs of a segment file and the span of its video packets (s)."""
    with av.open(str(path)) as container:
        codecs = {s.codec_context.name for s in container.streams}
        video = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(video) if p.pts is not None]
    step = (times[-1] - times[0]) / max(1, len(times) - 1)
    return codecs, times[-1] - times[0] + step


def assert_contiguous(rows: list[RecordingSegment]) -> None:
    for before, after in itertools.pairwise(rows):
        assert after.start_at == before.end_at, (before.path, after.path)
        assert abs(before.duration_s - (before.end_at - before.start_at).total_seconds()) < 1e-3


def assert_playlist_fresh(folder: Path) -> None:
    playlist = folder / "index.m3u8"
    assert playlist.is_file(), folder
    # the file's age in the clock that stamped it (the filesystem's)
    probe = folder / ".age"
    probe.touch()
    assert probe.stat().st_mtime - playlist.stat().st_mtime < 5
    probe.unlink()
    text = playlist.read_text()
    assert "#EXT-X-PROGRAM-DATE-TIME:" in text and "#EXT-X-ENDLIST" not in text
    names = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert 1 <= len(names) <= 6 and all((folder / n).is_file() for n in names)
    init = text.split('#EXT-X-MAP:URI="', 1)[1].split('"', 1)[0]
    assert (folder / init).is_file()


@pytest.mark.usefixtures("rtsp_cameras")
def test_records_every_camera_with_sound_in_contiguous_segments(
    recorder_db: RecorderDb, tmp_path: Path
) -> None:
    recorder_db.reset()
    settings = recorder_db.settings(tmp_path)
    running = Running(Recorder(recorder_db.factory, settings, timeout_s=3, name="rec-a"))
    began = time.monotonic()
    try:
        ids = list(recorder_db.camera_ids.values())
        wait_for(lambda: all(len(recorder_db.segments(i)) >= 2 for i in ids), 15, "2 segments each")
        for camera_id in ids:
            for stream in ("main", "sub"):
                assert_playlist_fresh(settings.live_path / str(camera_id) / stream)
        assert {recorder_db.camera(i).leased_by for i in ids} == {"rec-a"}
    finally:
        running.stop()
    elapsed = time.monotonic() - began
    for camera_id in ids:
        rows = recorder_db.segments(camera_id)
        assert_contiguous(rows)
        total = sum(r.duration_s for r in rows)
        assert SEGMENT_S * 1.5 < total < elapsed
        for row in rows:
            path = settings.recordings_path / row.path
            assert path.stat().st_size == row.bytes > 0
            assert (row.video_codec, row.audio_codec, row.width, row.height) == (
                "h264",
                "aac",
                768,
                576,
            )
            codecs, seconds = probe_seconds(path)
            assert codecs == {"h264", "aac"}
            assert abs(seconds - row.duration_s) < TOLERANCE_S, (row.path, seconds)
            start = row.start_at
            assert row.path.startswith(f"{camera_id}/{start:%Y/%m/%d}/{start:%H%M%S}_")
            assert row.path.endswith(f"_{round(start.timestamp() * 1000)}.ts")
        for row in rows[:-1]:
            assert row.duration_s >= SEGMENT_S - 1e-3  # cut at the first keyframe after 2 s
        camera = recorder_db.camera(camera_id)
        assert camera.last_segment_at == rows[-1].end_at
        assert camera.leased_by is None and camera.lease_until is None
        [gap] = recorder_db.gaps(camera_id)  # clean shutdown: an open gap from the last packet
        assert (gap.start_at, gap.end_at, gap.reason) == (rows[-1].end_at, None, STOPPED_REASON)


def test_killed_camera_leaves_a_gap_and_recording_resumes(
    recorder_db: RecorderDb, rtsp_cameras: Simulator, tmp_path: Path
) -> None:
    camera = rtsp_cameras.cameras[1]
    camera_id = recorder_db.camera_ids[camera.name]
    recorder_db.reset(enabled={camera.name})
    recorder = Recorder(
        recorder_db.factory, recorder_db.settings(tmp_path), timeout_s=1.5, transport="udp"
    )
    running = Running(recorder)
    try:
        wait_for(lambda: len(recorder_db.segments(camera_id)) >= 1, 10, "a first segment")
        rtsp_cameras.kill(camera.name)
        killed_at = time.monotonic()
        try:
            wait_for(lambda: bool(recorder_db.gaps(camera_id)), 10, "a gap opened")
            assert recorder_db.camera(camera_id).last_error
        finally:
            rtsp_cameras.restart(camera.name)
        down_s = time.monotonic() - killed_at
        wait_for(lambda: recorder_db.gaps(camera_id)[0].end_at is not None, 20, "the gap closed")
        [gap] = recorder_db.gaps(camera_id)
        wait_for(lambda: recorder_db.segments(camera_id)[-1].start_at > gap.start_at, 10, "more")
        assert recorder.status()[0].state == "recording"
        assert recorder_db.camera(camera_id).last_error == ""
    finally:
        running.stop()
    rows = recorder_db.segments(camera_id)
    before = [r for r in rows if r.end_at <= gap.start_at]
    after = [r for r in rows if r.start_at >= gap.start_at]
    assert before and after and len(before) + len(after) == len(rows)
    assert gap.start_at == before[-1].end_at and gap.end_at == after[0].start_at
    assert gap.reason and gap.reason != STOPPED_REASON
    assert gap.end_at is not None
    assert (gap.end_at - gap.start_at) >= timedelta(seconds=down_s * 0.5)
    assert_contiguous(before)
    assert_contiguous(after)


@pytest.mark.usefixtures("rtsp_cameras")
def test_two_recorders_never_record_the_same_camera(
    recorder_db: RecorderDb, tmp_path: Path
) -> None:
    recorder_db.reset()
    settings = recorder_db.settings(tmp_path)
    a = Recorder(recorder_db.factory, settings, max_cameras=2, name="rec-a", transport="udp")
    b = Recorder(recorder_db.factory, settings, max_cameras=3, name="rec-b", transport="udp")
    ids = set(recorder_db.camera_ids.values())
    run_a, run_b = Running(a), Running(b)
    stopped_a = False
    try:
        wait_for(lambda: set(a.cameras) | set(b.cameras) == ids, 10, "all cameras leased")
        assert not set(a.cameras) & set(b.cameras)
        assert len(a.cameras) <= 2
        held = {i: recorder_db.camera(i).leased_by for i in ids}
        assert held == {i: "rec-a" if i in a.cameras else "rec-b" for i in ids}
        wait_for(lambda: all(recorder_db.segments(i) for i in ids), 10, "each camera recorded")
        run_a.stop()
        stopped_a = True
        wait_for(lambda: set(b.cameras) == ids, 10, "rec-b takes rec-a's cameras")
        wait_for(lambda: all(g.end_at for i in ids for g in recorder_db.gaps(i)), 10, "gaps closed")
    finally:
        if not stopped_a:
            run_a.stop()
        run_b.stop()
    for camera_id in ids:
        rows = recorder_db.segments(camera_id)
        for before, after in itertools.pairwise(rows):
            assert after.start_at >= before.end_at, "two recorders wrote the same time"


@pytest.mark.usefixtures("rtsp_cameras")
def test_station_option_limits_the_cameras(recorder_db: RecorderDb, tmp_path: Path) -> None:
    recorder_db.reset()
    settings = recorder_db.settings(tmp_path)
    circle = Recorder(recorder_db.factory, settings, station="C1", name="c1", transport="udp")
    circle.start()
    try:
        names = {n for n, i in recorder_db.camera_ids.items() if i in circle.cameras}
        assert names == {"cam01", "cam02"}
    finally:
        circle.shutdown()
    assert all(recorder_db.camera(i).leased_by is None for i in recorder_db.camera_ids.values())


def recorder_env(recorder_db: RecorderDb, var_dir: Path) -> dict[str, str]:
    """The environment of a `nigrani recorder` process on the tests' database."""
    extra = {"NIGRANI_RECORDING_SEGMENT_SECONDS": str(SEGMENT_S)}
    return {**os.environ, **command_env(recorder_db.url, var_dir, **extra)}


def test_nigrani_recorder_command_records_until_sigterm(
    recorder_db: RecorderDb, rtsp_cameras: Simulator, tmp_path: Path
) -> None:
    camera = rtsp_cameras.cameras[2]
    camera_id = recorder_db.camera_ids[camera.name]
    recorder_db.reset()
    env = recorder_env(recorder_db, tmp_path)
    command = [sys.executable, "-m", "nigrani", "recorder", "--station", "S3", "--transport", "udp"]
    process = subprocess.Popen(
        [*command, "--status-every", "1", "--name", "cli"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: len(recorder_db.segments(camera_id)) >= 1, 15, "a segment from the CLI")
        assert recorder_db.camera(camera_id).leased_by == "cli"
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "Recorder cli" in output and "recording" in output
    assert recorder_db.camera(camera_id).leased_by is None
    others = [i for n, i in recorder_db.camera_ids.items() if n != camera.name]
    assert all(not recorder_db.segments(i) for i in others)


def test_a_killed_recorder_leaves_a_file_the_next_one_indexes(
    recorder_db: RecorderDb, rtsp_cameras: Simulator, tmp_path: Path
) -> None:
    camera = rtsp_cameras.cameras[2]
    camera_id = recorder_db.camera_ids[camera.name]
    recorder_db.reset(enabled={camera.name})
    settings = recorder_db.settings(tmp_path, recorder_lease_seconds=5)
    # Long files for the doomed recorder: it dies 4 s into its first one, which has no row.
    env = recorder_env(recorder_db, tmp_path) | {
        "NIGRANI_RECORDER_LEASE_SECONDS": "5",
        "NIGRANI_RECORDING_SEGMENT_SECONDS": "30",
    }
    argv = [sys.executable, "-m", "nigrani", "recorder", "--transport", "udp", "--name", "doomed"]
    doomed = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL)
    playlist = settings.live_path / str(camera_id) / "main" / "index.m3u8"
    try:
        wait_for(playlist.exists, 15, "the doomed recorder's live view")
        time.sleep(4.0)
    finally:
        doomed.kill()
        doomed.wait(10)
    [left] = sorted(settings.recordings_path.rglob("*.ts"))
    assert recorder_db.segments(camera_id) == [] and left.stat().st_size > 0
    running = Running(Recorder(recorder_db.factory, settings, name="next", transport="udp"))
    try:
        wait_for(lambda: recorder_db.camera(camera_id).leased_by == "next", 15, "the take-over")
        wait_for(lambda: bool(recorder_db.gaps(camera_id)), 5, "the gap of the dead recorder")
        wait_for(lambda: recorder_db.gaps(camera_id)[0].end_at is not None, 10, "recording again")
    finally:
        running.stop()
    first, *rest = recorder_db.segments(camera_id)
    assert settings.recordings_path / first.path == left
    # About the 4 s recorded, less the tail the muxer had not written out yet (1-2 s; more
    # on a loaded machine, so only a lower bound that shows something real was indexed).
    assert 0.5 < first.duration_s < 8.0 and first.audio_codec == "aac"
    gap = recorder_db.gaps(camera_id)[0]
    assert (gap.reason, gap.start_at) == (LOST_REASON, first.end_at)
    assert rest and rest[0].start_at == gap.end_at
