"""`nigrani demo` as a process: SIGTERM (a service manager, `kill`) ends everything it
started, the recorder, the prober, the analytics worker and the simulated cameras included."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

from tests import serving
from tests.conftest import command_env, fresh_database_url
from tests.stations.conftest import MEDIA_DIR

START_S, STOP_S = 180.0, 40.0


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):  # the thread or process ended
                continue
            found.update(int(c) for c in children)
            todo.extend(int(c) for c in children)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_for_line(log: Path, pattern: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not (log.is_file() and re.search(pattern, log.read_text(errors="replace"))):
        assert time.monotonic() < deadline, f"{log.name}: no {pattern!r}"
        time.sleep(0.2)


def test_sigterm_stops_the_recorder_prober_worker_and_simulated_cameras(tmp_path: Path) -> None:
    port = serving.free_port()
    (tmp_path / "var").mkdir()
    # The footage and the faulty cameras' clips, prepared once per checkout (the station
    # tests' cache), rather than encoded again for every run.
    (tmp_path / "var" / "simulator").symlink_to(MEDIA_DIR, target_is_directory=True)
    for url in fresh_database_url(tmp_path):
        env = {**os.environ, **command_env(url, tmp_path / "var")}
        demo = serving.start(
            serving.nigrani("demo", "--port", str(port)), env, port, start_s=START_S
        )
        try:
            children = _descendants(demo.pid)
            names = {Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children}
            assert any(b"recorder" in name for name in names), names
            assert any(b"prober" in name for name in names), names
            assert any(b"ffmpeg" in name for name in names), names
            assert any(b"worker\x00--camera" in name for name in names), names
            # the worker is up (its detector warmed, its signals handled), with the demo's key
            worker_log = tmp_path / "var" / "worker.log"
            _wait_for_line(worker_log, r"Worker\s+\S+:\s+up\s+to\s+3\s+cameras", 30)
            assert (tmp_path / "var" / "demo-worker-key").is_file()
            demo.send_signal(signal.SIGTERM)
            assert demo.wait(timeout=STOP_S) == 0
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(_alive(pid) for pid in children):
                time.sleep(0.2)
            assert not [pid for pid in children if _alive(pid)]
            log = (tmp_path / "var" / "recorder.log").read_text()
            assert "leases released" in log  # it stopped cleanly, not killed
            probed = (tmp_path / "var" / "prober.log").read_text()
            assert re.search(r"Prober \S+ after \d+ s", probed)  # its last status: a clean stop
            watched = worker_log.read_text(errors="replace")
            assert re.search(r"Worker \S+ stopped after \d+ s", watched), watched[-2000:]
            assert "Traceback" not in watched
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
