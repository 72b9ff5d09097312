"""The demo's live station video: simulated RTSP cameras, a recorder, a prober and an
analytics worker, while it serves.

`nigrani demo` runs this around the web server, so the live wall shows moving tiles with
sound, camera health shows fourteen faulty cameras (demo.stations.FAULTY: black,
covered, defocused, frozen, moved, silent, hung) caught within minutes, and the
Commissioner's alert wall shows the worker's alerts on a few of them (demo.analytics).
Without the media tools (`make media-tools`) the demo still serves, without video.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from nigrani.accounts.models import JurisdictionNode
from nigrani.core.commands import progress_bar, sessions
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.demo.analytics import ANALYSED, DemoAnalytics, seed_analytics
from nigrani.demo.health import due_soon, prime_references
from nigrani.demo.stations import (
    DEMO_HUNG_PORT_OFFSET,
    DEMO_RTSP_PORT,
    FAULTY,
    LIVE,
    LIVE_PREFIX,
    SIMULATED,
    mount,
    simulator_faults,
)
from nigrani.stations.models import StationCamera
from nigrani.stations.simulator import (
    Ports,
    Simulator,
    camera_media,
    death_signal,
    end_process,
)
from nigrani.stations.simulator_media import (
    MEDIA_FAULTS,
    SimulatorError,
    faulty_media,
    media_steps,
    prepare_media,
    require_tools,
)

WARM_UP_S = 30  # seconds the recorder needs for its first live segments


def _check_can_start() -> None:
    """Raise SimulatorError now, before minutes of preparing footage, when the simulator
    cannot start: a media tool is missing, or something else listens on the camera port."""
    require_tools()
    # the cameras' port, the feeds' port, the hung cameras' port
    for port in (DEMO_RTSP_PORT, DEMO_RTSP_PORT + 1, DEMO_RTSP_PORT + DEMO_HUNG_PORT_OFFSET):
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
    faults = simulator_faults()
    with progress_bar(console) as bar:
        task = bar.add_task("Preparing demo footage", total=media_steps(["sd", "sub"]))
        media = prepare_media(
            directory=directory,
            on_step=lambda step: bar.update(task, advance=1, description=f"Prepared {step}"),
        )
        faulty = bar.add_task("Preparing faulty cameras", total=len(faults))
        for number in range(1, len(SIMULATED) + 1):  # made once, cached like the footage
            fault = faults.get(f"{LIVE_PREFIX}{number:02d}", "")
            if fault in MEDIA_FAULTS:
                for footage in camera_media(media["sd"], media["sub"], number):
                    if footage:
                        faulty_media(footage, fault)
            bar.update(faulty, advance=1 if fault else 0)
    simulator = Simulator(
        main=media["sd"],
        sub=media["sub"],
        count=len(SIMULATED),
        ports=Ports(
            client=DEMO_RTSP_PORT,
            source=DEMO_RTSP_PORT + 1,
            hung=DEMO_RTSP_PORT + DEMO_HUNG_PORT_OFFSET,
        ),
        log_dir=directory / "logs",
        name_prefix=LIVE_PREFIX,
        faults=faults,
    )
    simulator.start()
    return simulator


def _prime_faulty(settings: Settings, simulator: Simulator) -> None:
    """The faulty cameras' baseline and reference view from their healthy footage (the
    sub-stream, as the prober sees it), as if each had worked before its fault; cameras
    never looked at fall due once the recorder is warm."""
    footage: dict[int, Path] = {}
    with sessions(settings) as factory, transaction(factory) as session:
        for code, role, _fault in FAULTY:
            camera_id = session.scalar(
                select(StationCamera.id)
                .join(JurisdictionNode, JurisdictionNode.id == StationCamera.station_id)
                .where(JurisdictionNode.code == code, StationCamera.role == role)
            )
            healthy = simulator.camera(mount(code, role)).healthy
            if camera_id is not None:
                footage[camera_id] = healthy[1] or healthy[0]
        now = utcnow()
        prime_references(session, settings, footage=footage, now=now)
        # First looks once the recorder has written a few live segments, not before.
        due_soon(session, now + timedelta(seconds=WARM_UP_S), settings.health_socket_interval_s)


def _start(
    name: str, args: list[str], settings: Settings, **env_extra: str
) -> subprocess.Popen[bytes]:
    """A demo worker process (`nigrani <args>`), its output in var/<name>.log."""
    env = {
        **os.environ,
        "NIGRANI_DEMO": "true",
        "NIGRANI_VAR_DIR": str(settings.var_dir),
        **env_extra,
    }
    with (settings.var_dir / f"{name}.log").open("ab") as log:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "nigrani", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=death_signal(signal.SIGTERM),  # even if we are killed: close its files
        )


def _start_worker(settings: Settings, server_url: str) -> subprocess.Popen[bytes] | None:
    """`nigrani worker` on the demo's analysed cameras (demo.analytics), posting to the
    demo's server: one detector thread, 2 frames a second, so a 2-core machine keeps up."""
    with sessions(settings) as factory, transaction(factory) as session:
        analysed: DemoAnalytics = seed_analytics(session, settings)
    if not analysed.camera_ids:
        return None  # a demo database without the station cameras
    chosen = [arg for camera_id in analysed.camera_ids for arg in ("--camera", str(camera_id))]
    count = str(len(analysed.camera_ids))
    return _start(
        "worker",
        ["worker", *chosen, "--cameras", count, "--status-every", "0"],
        settings,
        NIGRANI_ANALYTICS_TOKEN=analysed.token,
        NIGRANI_ANALYTICS_SERVER_URL=server_url,
        NIGRANI_ANALYTICS_DETECTOR_THREADS="1",
        NIGRANI_ANALYTICS_FPS="2",
    )


@contextmanager
def live_cameras(settings: Settings, console: Console, *, server_url: str) -> Iterator[str | None]:
    """Serve the demo's live cameras, record, check and analyse them until the block ends
    (the worker posts to server_url). The block gets None, or why live video is off (the
    demo then serves without it, and says so)."""
    try:
        simulator = _start_simulator(settings, console)
    except SimulatorError as exc:
        yield str(exc)
        return
    _prime_faulty(settings, simulator)
    recorder = _start("recorder", ["recorder", "--cameras", "1000"], settings)
    prober = _start("prober", ["prober", "--status-every", "0"], settings)
    worker = _start_worker(settings, server_url)
    console.print(
        f"Station video: {len(LIVE)} demo cameras live and recording, {len(FAULTY)} with a "
        "fault (black, covered, defocused, frozen, moved, silent, hung) that camera health "
        "catches within minutes; the rest show as offline (logs: "
        f"{settings.var_dir / 'recorder.log'}, {settings.var_dir / 'prober.log'})."
    )
    console.print(
        f"Station analytics: a worker watches {len(ANALYSED)} of them (crowds at two front "
        f"desks, a covered camera); alerts reach {server_url}/analytics within a minute or "
        f"two (log: {settings.var_dir / 'worker.log'})."
    )
    try:
        yield None
    finally:
        end_process(worker, timeout_s=20)  # it ends its open events into the spool
        end_process(prober, timeout_s=15)  # its running checks end within their timeout
        end_process(recorder, timeout_s=15)  # time to close its files and release cameras
        simulator.stop()
