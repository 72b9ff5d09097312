"""The demo's live station video: simulated RTSP cameras and a recorder, while it serves.

`nigrani demo` runs this around the web server, so the live wall shows moving tiles with
sound. Without the media tools (`make media-tools`) the demo still serves, without video.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from nigrani.core.commands import progress_bar
from nigrani.core.config import Settings
from nigrani.demo.stations import DEMO_RTSP_PORT, LIVE, LIVE_PREFIX
from nigrani.stations.simulator import Ports, Simulator, death_signal, end_process
from nigrani.stations.simulator_media import (
    SimulatorError,
    media_steps,
    prepare_media,
    require_tools,
)


def _check_can_start() -> None:
    """Raise SimulatorError now, before minutes of preparing footage, when the simulator
    cannot start: a media tool is missing, or something else listens on the camera port."""
    require_tools()
    for port in (DEMO_RTSP_PORT, DEMO_RTSP_PORT + 1):  # the cameras' port, the feeds' port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            continue  # nobody listens there: free
        raise SimulatorError(
            f"Port {port} (the demo cameras' RTSP server) is in use by another program. "
            f"Stop it (`ss -ltnp 'sport = :{port}'` names it), then restart the demo."
        )


def _start_simulator(settings: Settings, console: Console) -> Simulator:
    _check_can_start()
    directory = settings.var_dir / "simulator"
    with progress_bar(console) as bar:
        task = bar.add_task("Preparing demo footage", total=media_steps(["sd", "sub"]))
        media = prepare_media(
            directory=directory,
            on_step=lambda step: bar.update(task, advance=1, description=f"Prepared {step}"),
        )
    simulator = Simulator(
        main=media["sd"],
        sub=media["sub"],
        count=len(LIVE),
        ports=Ports(client=DEMO_RTSP_PORT, source=DEMO_RTSP_PORT + 1),
        log_dir=directory / "logs",
        name_prefix=LIVE_PREFIX,
    )
    simulator.start()
    return simulator


@contextmanager
def live_cameras(settings: Settings, console: Console) -> Iterator[str | None]:
    """Serve the demo's live cameras and record them until the block ends. The block gets
    None, or why live video is off (the demo then serves without it, and says so)."""
    try:
        simulator = _start_simulator(settings, console)
    except SimulatorError as exc:
        yield str(exc)
        return
    env = {**os.environ, "NIGRANI_DEMO": "true", "NIGRANI_VAR_DIR": str(settings.var_dir)}
    log_path = settings.var_dir / "recorder.log"
    with log_path.open("ab") as log:
        recorder = subprocess.Popen(
            [sys.executable, "-m", "nigrani", "recorder", "--cameras", "1000"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=death_signal(signal.SIGTERM),  # even if we are killed: close its files
        )
    console.print(
        f"Station video: {len(LIVE)} demo cameras live and recording; the rest show as "
        f"offline (recorder log: {log_path})."
    )
    try:
        yield None
    finally:
        end_process(recorder, timeout_s=15)  # time to close its files and release cameras
        simulator.stop()
