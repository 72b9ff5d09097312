"""Live RTSP cameras for the station tests: one simulator for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nigrani.stations.simulator import Ports, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media

# Prepared once per checkout, kept between runs (`make clean` removes it).
MEDIA_DIR = Path(__file__).resolve().parents[2] / "var" / "simulator"
CAMERAS = 3


@pytest.fixture(scope="session")
def rtsp_cameras(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """Three cameras (main 768×576 and sub 384×288, H.264 + AAC) on free loopback ports.

    `rtsp_cameras.cameras[i].main_url / .sub_url / .transport`; kill(name) stops one
    camera's publisher until restart(name). A test that kills a camera restarts it.
    """
    try:
        media = prepare_media(directory=MEDIA_DIR)
        simulator = Simulator(
            main=media["sd"],
            sub=media["sub"],
            count=CAMERAS,
            ports=Ports.free(),
            log_dir=tmp_path_factory.mktemp("rtsp-cameras"),
        )
        simulator.start()
    except SimulatorError as exc:
        pytest.fail(f"The camera simulator cannot run: {exc}", pytrace=False)
    yield simulator
    simulator.stop()
