"""A database of its own for the recorder tests (its threads commit for real), the three
simulator cameras registered in it, and helpers to run a Recorder for a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.stations.models import RecordingGap, RecordingSegment, StationCamera
from nigrani.stations.recorder.process import Recorder
from tests.conftest import make_settings

SEGMENT_S = 2.0
STATIONS = ("S1", "S1", "S3")  # cam01 and cam02 at S1 (circle C1), cam03 at S3


@dataclass
class RecorderDb:
    """The recorder tests' database: URL, session factory, camera ids by simulator name."""

    url: str
    factory: sessionmaker[Session]
    camera_ids: dict[str, int]

    def settings(self, var_dir: Path, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "recording_segment_seconds": SEGMENT_S,
            "recorder_lease_seconds": 6,
        }
        return make_settings(self.url, var_dir, **(values | overrides))

    def reset(self, *, enabled: set[str] | None = None) -> None:
        """No rows recorded, no leases; only the `enabled` cameras on (all by default)."""
        with transaction(self.factory) as session:
            session.execute(delete(RecordingSegment))
            session.execute(delete(RecordingGap))
            for name, camera_id in self.camera_ids.items():
                session.execute(
                    update(StationCamera)
                    .where(StationCamera.id == camera_id)
                    .values(
                        leased_by=None,
                        lease_until=None,
                        last_error="",
                        last_segment_at=None,
                        enabled=enabled is None or name in enabled,
                    )
                )

    def segments(self, camera_id: int) -> list[RecordingSegment]:
        with transaction(self.factory) as session:
            stmt = select(RecordingSegment).where(RecordingSegment.camera_id == camera_id)
            return list(session.scalars(stmt.order_by(RecordingSegment.start_at)))

    def gaps(self, camera_id: int) -> list[RecordingGap]:
        with transaction(self.factory) as session:
            stmt = select(RecordingGap).where(RecordingGap.camera_id == camera_id)
            return list(session.scalars(stmt.order_by(RecordingGap.start_at)))

    def camera(self, camera_id: int) -> StationCamera:
        with transaction(self.factory) as session:
            camera = session.get(StationCamera, camera_id)
            assert camera is not None
            return camera


class Running:
    """A Recorder running in a thread; stop() shuts it down and re-raises what it raised."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"test-{recorder.id}")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.recorder.run()
        except BaseException as exc:  # handed to the test by stop()
            self.error = exc

    def stop(self) -> None:
        self.recorder.stop_event.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the recorder did not stop"
        if self.error is not None:
            raise self.error


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll until `check()` holds, or fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for: {what}")
        time.sleep(0.1)
