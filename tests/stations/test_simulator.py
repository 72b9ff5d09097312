"""The camera simulator through PyAV, as the recorder sees it: video and sound arrive, a
killed camera's stream fails, a restarted one works again."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

from nigrani.cli import app
from nigrani.stations import simulator_media
from nigrani.stations.simulator import Ports, SimulatedCamera, Simulator
from nigrani.stations.simulator_media import SimulatorError, prepare_media
from nigrani.stations.streams import open_stream, reader_options
from tests.stations.conftest import CAMERAS, MEDIA_DIR

READ_S = 2.0


def packets_by_kind(url: str, camera: SimulatedCamera, seconds: float) -> dict[str, int]:
    counts: dict[str, int] = {}
    with open_stream(url, transport=camera.transport, timeout_s=8) as container:
        assert {s.codec_context.name for s in container.streams} == {"h264", "aac"}
        until = time.monotonic() + seconds
        for packet in container.demux():
            counts[packet.stream.type] = counts.get(packet.stream.type, 0) + 1
            if time.monotonic() > until:
                break
    return counts


def test_every_camera_sends_h264_video_and_aac_sound(rtsp_cameras: Simulator) -> None:
    for camera in rtsp_cameras.cameras:
        for url in (camera.main_url, camera.sub_url):
            assert url
            counts = packets_by_kind(url, camera, READ_S)
            # 10 frames a second; 48 kHz AAC is ~47 packets a second
            assert counts.get("video", 0) >= 8 * READ_S, (url, counts)
            assert counts.get("audio", 0) >= 30 * READ_S, (url, counts)


def test_main_and_sub_stream_sizes(rtsp_cameras: Simulator) -> None:
    camera = rtsp_cameras.cameras[0]
    sizes = []
    for url in (camera.main_url, camera.sub_url):
        assert url
        with open_stream(url, transport="udp") as container:
            video = container.streams.video[0]
            sizes.append((video.codec_context.width, video.codec_context.height))
            assert container.streams.audio[0].codec_context.sample_rate == 48000
    assert sizes == [(768, 576), (384, 288)]


def test_killed_camera_fails_and_works_again_after_restart(rtsp_cameras: Simulator) -> None:
    camera = rtsp_cameras.cameras[1]
    reader = open_stream(camera.main_url, transport=camera.transport, timeout_s=2)
    try:
        packets = reader.demux()
        next(packets)
        rtsp_cameras.kill(camera.name)
        with pytest.raises(av.FFmpegError):
            for _ in packets:  # what was in flight, then the read times out
                pass
        with pytest.raises(av.FFmpegError):
            open_stream(camera.main_url, transport=camera.transport, timeout_s=2)
    finally:
        reader.close()
        rtsp_cameras.restart(camera.name)
    assert packets_by_kind(camera.main_url, camera, 1.0).get("video", 0) >= 5
    assert camera.restarts >= 1


def test_a_publisher_that_dies_is_restarted(rtsp_cameras: Simulator) -> None:
    camera = rtsp_cameras.cameras[2]
    before = camera.restarts
    assert camera.process
    camera.process.kill()  # a crash, not kill(): the simulator must notice on its own
    deadline = time.monotonic() + 10
    while camera.restarts == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert camera.restarts == before + 1
    rtsp_cameras.restart(camera.name)  # waits until it is served again
    try:
        counts = packets_by_kind(camera.main_url, camera, 1.0)
    except av.FFmpegError:  # a loaded machine can take longer than one open to serve it
        counts = packets_by_kind(camera.main_url, camera, 1.0)
    assert counts.get("audio", 0) >= 20


def _rtsp(conn: socket.socket, request: str) -> str:
    conn.sendall(request.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(4096)
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = re.search(rb"Content-Length: *(\d+)", head, re.I)
    while length and len(rest) < int(length.group(1)):
        rest += conn.recv(4096)
    return (head + b"\r\n\r\n" + rest).decode()


def _udp_pair() -> tuple[socket.socket, socket.socket]:
    """Two UDP sockets on an even port and the next one (RTP, RTCP)."""
    for _ in range(200):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if port % 2:
                raise OSError("odd")
            rtcp.bind(("127.0.0.1", port + 1))
        except OSError:
            rtp.close()
            rtcp.close()
            continue
        return rtp, rtcp
    raise AssertionError("no free UDP port pair")


def _packets(sock: socket.socket, seconds: float) -> int:
    sock.settimeout(0.05)
    count, until = 0, time.monotonic() + seconds
    while time.monotonic() < until:
        try:
            sock.recv(65536)
            count += 1
        except TimeoutError:
            pass
    return count


def test_a_reader_that_hangs_up_without_teardown_gets_no_more_packets(
    rtsp_cameras: Simulator,
) -> None:
    """A killed reader's UDP ports must go quiet: packets still sent there land in whatever
    reader binds them next (a main-stream recording once got the sub-stream's frames)."""
    camera = rtsp_cameras.cameras[0]
    assert camera.sub_url
    url = camera.sub_url
    host, port = url.split("/")[2].split(":")
    rtp, rtcp = _udp_pair()
    client_port = rtp.getsockname()[1]
    try:
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            _rtsp(conn, f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n")
            setup = _rtsp(
                conn,
                f"SETUP {url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\n"
                f"Transport: RTP/AVP;unicast;client_port={client_port}-{client_port + 1}\r\n\r\n",
            )
            assert setup.startswith("RTSP/1.0 200"), setup
            session = re.search(r"Session: *([^;\r\n]+)", setup)
            assert session, setup
            play = _rtsp(
                conn, f"PLAY {url} RTSP/1.0\r\nCSeq: 3\r\nSession: {session.group(1)}\r\n\r\n"
            )
            assert play.startswith("RTSP/1.0 200"), play
            assert _packets(rtp, 1.0) > 5  # the stream flows while the reader is there
        # the TCP connection is gone, no TEARDOWN sent: what was in flight, then silence
        _packets(rtp, 0.5)
        assert _packets(rtp, 1.5) == 0
    finally:
        rtp.close()
        rtcp.close()


def test_neighbouring_cameras_show_different_moments(rtsp_cameras: Simulator) -> None:
    files = [camera.main_file for camera in rtsp_cameras.cameras]
    assert len(set(files)) == len(files) == CAMERAS
    assert rtsp_cameras.server is not None
    assert rtsp_cameras.pids() == [
        rtsp_cameras.server.pid,
        *(c.process.pid for c in rtsp_cameras.cameras if c.process),
    ]


def test_prepared_media_is_cached_and_as_promised() -> None:
    media = prepare_media(directory=MEDIA_DIR)
    began = time.monotonic()
    assert prepare_media(directory=MEDIA_DIR) == media
    assert time.monotonic() - began < 2  # nothing encoded twice
    with av.open(str(media["sd"][0])) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 768, 576)
        assert (audio.codec_context.name, audio.codec_context.sample_rate) == ("aac", 48000)
        assert 60 < float(container.duration or 0) / av.time_base < 100
        stamps = [(p.pts, p.dts) for _, p in zip(range(50), container.demux(video), strict=False)]
        assert all(pts == dts for pts, dts in stamps if pts is not None)  # no B-frames
    assert len(media["sub"]) == 4


def test_media_is_prepared_from_any_footage(tmp_path: Path) -> None:
    clip = tmp_path / "short.mkv"  # Matroska: no per-stream duration, the container's counts
    ffmpeg = simulator_media.require_tools()["ffmpeg"]
    subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(simulator_media.find_source()),
            "-t",
            "4",
            "-c:v",
            "mpeg4",
            str(clip),
        ],
        check=True,
    )
    steps: list[str] = []
    media = prepare_media(
        directory=tmp_path / "out", variants=["sub"], source=clip, phases=2, on_step=steps.append
    )
    assert steps == ["speech", "room audio", "sub"]
    assert [p.name.split("-")[0] for p in media["sub"]] == ["sub", "sub"]
    with av.open(str(media["sub"][1])) as container:
        assert {s.codec_context.name for s in container.streams} == {"h264", "aac"}
        assert 3 < float(container.duration or 0) / av.time_base < 5


def test_a_failing_step_says_which_tool_and_why() -> None:
    with pytest.raises(SimulatorError, match="failed: no such input"):
        simulator_media._run([sys.executable, "-c", "import sys; sys.exit('no such input')"])


def test_missing_tools_fail_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SimulatorError, match="make media-tools"):
        simulator_media.require_tools()


def test_unknown_variant_and_missing_footage(tmp_path: Path) -> None:
    with pytest.raises(SimulatorError, match="Unknown variant"):
        prepare_media(directory=tmp_path, variants=["4k"])
    with pytest.raises(SimulatorError, match="No source footage"):
        prepare_media(directory=tmp_path, source=tmp_path / "missing.avi")


def test_reader_options_are_the_measured_ones() -> None:
    options = reader_options(transport="udp", timeout_s=2.5)
    assert options["rtsp_transport"] == "udp"
    assert options["timeout"] == "2500000"
    assert options["probesize"] == "32768"


def test_dev_cameras_command_prints_urls() -> None:
    ports = Ports.free()
    args = ["dev-cameras", "--count", "1", "--no-sub", "--seconds", "0.5"]
    args += ["--client-port", str(ports.client), "--source-port", str(ports.source)]
    args += ["--rtp-port", str(ports.rtp), "--media-dir", str(MEDIA_DIR)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"rtsp://127.0.0.1:{ports.client}/cam01" in result.output


def test_dev_cameras_command_reports_a_busy_port() -> None:
    ports = Ports.free()
    with Simulator(main=prepare_media(directory=MEDIA_DIR)["sd"], count=1, ports=ports):
        args = ["dev-cameras", "--count", "1", "--no-sub", "--seconds", "0.5"]
        args += ["--client-port", str(ports.client), "--source-port", str(ports.source)]
        args += ["--rtp-port", str(ports.rtp + 500), "--media-dir", str(MEDIA_DIR)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "did not start" in result.output


def _setup_port(url: str) -> int:
    """DESCRIBE and SETUP the first stream of `url` as a reader; the server's RTP port."""
    host, port = url.split("/")[2].split(":")
    rtp, rtcp = _udp_pair()
    client_port = rtp.getsockname()[1]
    try:
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            _rtsp(conn, f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n")
            setup = _rtsp(
                conn,
                f"SETUP {url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\n"
                f"Transport: RTP/AVP;unicast;client_port={client_port}-{client_port + 1}\r\n\r\n",
            )
        ports = re.search(r"server_port=(\d+)", setup)
        assert setup.startswith("RTSP/1.0 200") and ports, setup
        return int(ports.group(1))
    finally:
        rtp.close()
        rtcp.close()


def test_the_rtp_ports_stay_in_their_span_and_a_killed_publishers_come_back(
    tmp_path: Path,
) -> None:
    """Every SETUP, a reader's too, takes the server's next RTP pair: a rig that lives for
    a whole test session once walked out of its span into ports others had bound, and its
    restarted publishers were refused (RECORD 404) until the tests gave up. The pairs now
    go round the span, skip a bound port, and a killed publisher's ports are free again."""
    media = simulator_media.prepare_media(directory=MEDIA_DIR)
    span = 16  # one camera publishes four streams (main and sub, video and sound): 8 ports
    ports = replace(Ports.free(), rtp_span=span)
    base = ports.rtp
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", base + 10))  # someone else's port inside the span
    simulator = Simulator(
        main=media["sd"], sub=media["sub"], count=1, ports=ports, log_dir=tmp_path
    )
    try:
        simulator.start()
        camera = simulator.cameras[0]
        given = [_setup_port(camera.main_url) for _ in range(3 * span)]
        assert all(base <= port < base + span for port in given), given
        assert base + 10 not in given and base + 11 not in given
        for _ in range(3):  # the publisher's new streams find free ports in the span again
            simulator.kill(camera.name)
            simulator.restart(camera.name, ready_timeout_s=10)
            assert packets_by_kind(camera.main_url, camera, 0.5).get("video", 0) >= 2
    finally:
        simulator.stop()
        busy.close()
