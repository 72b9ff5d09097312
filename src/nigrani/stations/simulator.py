"""Live RTSP cameras on loopback for development and tests (`nigrani dev-cameras`).

One RTSP server (Debian's rtsp-server-perl) and, per camera, one FFmpeg publisher that
loops a prepared file in real time (`-re -stream_loop -1 -c copy`) to the server's source
port: a main stream and a sub-stream, as a station's CCTV camera has. Readers pull from
the client port over UDP (the server sends RTP over UDP only), see `stations.streams`.

The server keeps a mount after its publisher dies without a TEARDOWN (a SIGKILL, a
crash) and then refuses the next ANNOUNCE on that path with 403; the simulator therefore
sends the TEARDOWN itself before every (re)start and after every kill.

A camera can be given a fault (`faults={"cam03": "covered"}`, or `set_fault` while it
runs): a picture fault publishes footage made with FFmpeg filters (simulator_media), a
`stopped` camera is not published, and a `hung` one lives on a TCP port that accepts
the connection and never says a word.
"""

from __future__ import annotations

import ctypes
import logging
import os
import random
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Self

from nigrani.stations.simulator_media import (
    FAULTS,
    MEDIA_FAULTS,
    SimulatorError,
    faulty_media,
    require_tools,
)
from nigrani.stations.streams import Transport

log = logging.getLogger(__name__)

HOST: Final = "127.0.0.1"
# The server binds RTP ports upwards from its base, two per stream and per reader, as they
# come; FFmpeg binds its own local RTP ports at random in 5000-65000, so a base in the
# range below keeps the two apart (a collision makes the server refuse a publisher).
RTP_LOW, RTP_HIGH = 1_100, 5_000
RTP_SPAN: Final = 1_000
WATCH_INTERVAL_S: Final = 0.5
RESTART_AFTER_S: Final = 2.0
_PR_SET_PDEATHSIG: Final = 1
# Debian's /usr/bin/rtsp-server-perl with the mends the rig needs (RTP ports kept in their
# span, a dead publisher's or reader's ports released): see the script's comments.
SERVER_SCRIPT: Final = Path(__file__).with_name("rtsp_server.pl")


@dataclass(frozen=True)
class Ports:
    """The server's TCP ports (readers, publishers), the first of its RTP/UDP ports and how
    many it cycles through, and the port of the `hung` cameras (0: any free one)."""

    client: int = 8554
    source: int = 8555
    rtp: int = 2_000
    hung: int = 0
    rtp_span: int = RTP_SPAN

    @classmethod
    def free(cls) -> Ports:
        """Ports nobody on this machine uses now (tests running side by side)."""
        return cls(client=_free_tcp_port(), source=_free_tcp_port(), rtp=_free_rtp_base())


@dataclass
class SimulatedCamera:
    """One camera: where readers pull its streams, and its publisher process."""

    number: int
    name: str
    main_url: str
    sub_url: str | None
    main_file: Path
    sub_file: Path | None
    transport: Transport = "udp"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    held_down: bool = False  # killed on purpose: the watcher leaves it down
    restarts: int = 0
    started_at: float = 0.0
    fault: str = ""  # one of simulator_media.FAULTS, or "" for a healthy camera
    healthy: tuple[Path, Path | None] = field(default=(Path(), None), repr=False)

    @property
    def paths(self) -> list[str]:
        return [_path(url) for url in (self.main_url, self.sub_url) if url]

    @property
    def published(self) -> bool:
        """Whether the RTSP server should serve this camera now."""
        return not self.held_down and self.fault not in ("stopped", "hung")


class HungListener:
    """A port that accepts every connection, reads what the client sends and never
    answers: a camera whose network is up and whose firmware hangs. A connection is held
    until the client gives up (or close())."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_server((HOST, port), backlog=64)
        self.port = int(self.socket.getsockname()[1])
        self.accepted = 0
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hung-camera", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is self.socket:
                    conn, _ = sock.accept()
                    self.accepted += 1
                    self._selector.register(conn, selectors.EVENT_READ)
                elif not _drain(sock):
                    self._selector.unregister(sock)
                    sock.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for key in list(self._selector.get_map().values()):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            sock.close()
        self._selector.close()


def _drain(conn: socket.socket) -> bool:
    """Read and drop what the client sent; False once it has hung up."""
    try:
        return bool(conn.recv(4096))
    except OSError:
        return False


class Simulator:
    """The camera rig: start() the server and publishers, stop() them; restarts dead ones."""

    def __init__(
        self,
        *,
        main: Sequence[Path],
        sub: Sequence[Path] = (),
        count: int = 4,
        ports: Ports | None = None,
        log_dir: Path | None = None,
        name_prefix: str = "cam",
        faults: Mapping[str, str] | None = None,
    ) -> None:
        self.tools = require_tools()
        self.main, self.sub, self.ports, self.log_dir = main, sub, ports or Ports(), log_dir
        faults = dict(faults or {})
        self.hung: HungListener | None = None
        if "hung" in faults.values():  # bound now: the hung cameras' URLs carry its port
            self.hung = HungListener(self.ports.hung)
        try:
            self.cameras = [
                self._camera(n, name_prefix, faults.pop(f"{name_prefix}{n:02d}", ""))
                for n in range(1, count + 1)
            ]
            if faults:
                raise SimulatorError(f"No such camera for a fault: {', '.join(sorted(faults))}")
        except SimulatorError:
            self.close()
            raise
        self.stop_event = threading.Event()
        self.server: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()
        self._watcher: threading.Thread | None = None
        self._death_signal = death_signal(signal.SIGKILL)

    def _camera(self, number: int, prefix: str, fault: str) -> SimulatedCamera:
        name = f"{prefix}{number:02d}"
        port = self.hung.port if self.hung and fault == "hung" else self.ports.client
        base = f"rtsp://{HOST}:{port}/{name}"
        main_file, sub_file = camera_media(self.main, self.sub, number)
        camera = SimulatedCamera(
            number=number,
            name=name,
            main_url=base,
            sub_url=f"{base}-sub" if self.sub else None,
            main_file=main_file,
            sub_file=sub_file,
            healthy=(main_file, sub_file),
        )
        self._apply_fault(camera, fault)
        return camera

    def _apply_fault(self, camera: SimulatedCamera, fault: str) -> None:
        """Point the camera at the footage of `fault` (made once, cached)."""
        if fault and fault not in FAULTS:
            raise SimulatorError(f"Unknown fault {fault}; known: {', '.join(FAULTS)}")
        main, sub = camera.healthy
        if fault in MEDIA_FAULTS:
            main, sub = faulty_media(main, fault), sub and faulty_media(sub, fault)
        camera.main_file, camera.sub_file, camera.fault = main, sub, fault

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def camera(self, name: str) -> SimulatedCamera:
        """The camera called `name` (e.g. "cam01")."""
        for camera in self.cameras:
            if camera.name == name:
                return camera
        raise KeyError(name)

    def start(self, *, ready_timeout_s: float = 15.0) -> None:
        """Start the server, then every publisher; return when every stream is served."""
        self.stop_event.clear()
        if self.hung is None and any(camera.fault == "hung" for camera in self.cameras):
            hung = next(c for c in self.cameras if c.fault == "hung")  # again, after stop()
            self.hung = HungListener(int(hung.main_url.split(":")[2].split("/")[0]))
        self._start_server(ready_timeout_s)
        served = [camera for camera in self.cameras if camera.published]
        with self._lock:
            for camera in served:
                self._start_publisher(camera)
        self._wait_served(served, ready_timeout_s)
        self._watcher = threading.Thread(target=self._watch, name="dev-cameras", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Stop the watcher, the publishers (each sends its TEARDOWN), then the server."""
        self.stop_event.set()
        if self._watcher:
            self._watcher.join()
        with self._lock:
            for camera in self.cameras:
                end_process(camera.process)
                camera.process = None
            end_process(self.server)
            self.server = None
        with _CHOSEN_LOCK:
            _CHOSEN_RTP.discard(self.ports.rtp)
        self.close()

    def close(self) -> None:
        """Close the hung cameras' port (stop() does it too)."""
        if self.hung:
            self.hung.close()
            self.hung = None

    def set_fault(self, name: str, fault: str = "", *, ready_timeout_s: float = 10.0) -> None:
        """Give a running camera a fault ("" heals it); returns once it is served as such.
        A `hung` camera listens on another port, so no camera becomes or stops being one."""
        with self._lock:
            camera = self.camera(name)
            if "hung" in (fault, camera.fault) and fault != camera.fault:
                raise SimulatorError(f"{name}: a hung camera has its own URL; it stays hung")
            self._apply_fault(camera, fault)
            end_process(camera.process)
            camera.process = None
            if camera.published:
                self._start_publisher(camera)
            else:
                self._teardown(camera)
        if camera.published:
            self._wait_served([camera], ready_timeout_s)

    def kill(self, name: str) -> None:
        """Kill one camera's publisher as if the camera died; it stays down until restart()."""
        with self._lock:
            camera = self.camera(name)
            camera.held_down = True
            if camera.process:
                camera.process.kill()
                camera.process.wait()
            self._teardown(camera)

    def restart(self, name: str, *, ready_timeout_s: float = 10.0) -> None:
        """Start one camera's publisher again (after kill()); returns once it is served."""
        with self._lock:
            camera = self.camera(name)
            end_process(camera.process)
            camera.held_down = False
            if not camera.published:
                return  # a stopped or hung camera stays so: set_fault heals it
            self._start_publisher(camera)
            camera.restarts += 1
        self._wait_served([camera], ready_timeout_s)

    def pids(self) -> list[int]:
        """The server's and the publishers' process ids (to measure their CPU)."""
        processes = [self.server, *(camera.process for camera in self.cameras)]
        return [p.pid for p in processes if p and p.poll() is None]

    def _start_server(self, timeout_s: float) -> None:
        ports = self.ports
        for port in (ports.client, ports.source):
            if _listening(port):
                raise SimulatorError(f"The RTSP server did not start: port {port} is in use")
        args = [
            self.tools["perl"],
            str(SERVER_SCRIPT),
            *("--clientport", str(ports.client), "--serverport", str(ports.source)),
            *("--client_listen_address", HOST, "--source_listen_address", HOST),
            *("--rtp_start_port", str(ports.rtp), "--max_clients", "100000", "--loglevel", "2"),
        ]
        self.server = self._spawn(
            args,
            "server",
            env={
                "NIGRANI_RTP_START_PORT": str(ports.rtp),
                "NIGRANI_RTP_SPAN": str(ports.rtp_span),
                "NIGRANI_HOST": HOST,
            },
        )
        deadline = time.monotonic() + timeout_s
        while not (_listening(ports.client) and _listening(ports.source)):
            if self.server.poll() is not None or time.monotonic() > deadline:
                end_process(self.server)
                raise SimulatorError(f"The RTSP server did not start: {self._log_tail('server')}")
            time.sleep(0.05)

    def _publisher_args(self, camera: SimulatedCamera) -> list[str]:
        args = [self.tools["ffmpeg"], "-nostdin", "-hide_banner", "-v", "error"]
        outputs: list[str] = []
        files = [(camera.main_file, camera.main_url), (camera.sub_file, camera.sub_url)]
        for index, (media, url) in enumerate((m, u) for m, u in files if m and u):
            args += ["-re", "-stream_loop", "-1", "-i", str(media)]
            target = url.replace(f":{self.ports.client}/", f":{self.ports.source}/")
            outputs += ["-map", str(index), "-c", "copy", "-f", "rtsp", target]
        return args + outputs

    def _start_publisher(self, camera: SimulatedCamera) -> None:
        self._teardown(camera)
        camera.process = self._spawn(self._publisher_args(camera), camera.name)
        camera.started_at = time.monotonic()

    def _teardown(self, camera: SimulatedCamera) -> None:
        """Unmount the camera's paths (the server answers nothing; it just forgets them)."""
        for path in camera.paths:
            request = (
                f"TEARDOWN rtsp://{HOST}:{self.ports.source}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n"
            )
            with socket.create_connection((HOST, self.ports.source), timeout=2) as conn:
                conn.sendall(request.encode())
        time.sleep(0.05)  # let the server read the request before the next ANNOUNCE

    def wait_served(self, *, timeout_s: float = 30.0) -> None:
        """Return once every camera that should be served is (a publisher that died or was
        refused is started again meanwhile); SimulatorError after timeout_s."""
        with self._lock:
            published = [c for c in self.cameras if c.published]
        self._wait_served(published, timeout_s)

    def _wait_served(self, cameras: list[SimulatedCamera], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for camera in cameras:
            for path in camera.paths:
                while not self._described(path):
                    if time.monotonic() > deadline:
                        tail = self._log_tail(camera.name)
                        raise SimulatorError(f"{camera.name} is not served ({path}): {tail}")
                    process = camera.process
                    if process and process.poll() is not None:
                        # refused, e.g. RECORD 404 while the server still holds the mount of
                        # the publisher just killed: publish again until the deadline
                        time.sleep(0.3)
                        with self._lock:
                            if camera.process is process and not camera.held_down:
                                self._start_publisher(camera)
                    time.sleep(0.05)
        time.sleep(0.2)  # DESCRIBE answers after ANNOUNCE; SETUP and RECORD follow at once

    def _described(self, path: str) -> bool:
        request = f"DESCRIBE rtsp://{HOST}:{self.ports.client}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n"
        try:
            with socket.create_connection((HOST, self.ports.client), timeout=2) as conn:
                conn.sendall(request.encode())
                return conn.recv(64).startswith(b"RTSP/1.0 200")
        except OSError:
            return False

    def _watch(self) -> None:
        """Restart publishers that died on their own (not those killed on purpose)."""
        while not self.stop_event.wait(WATCH_INTERVAL_S):
            with self._lock:
                for camera in self.cameras:
                    process = camera.process
                    if not camera.published or (process and process.poll() is None):
                        continue
                    if time.monotonic() - camera.started_at < RESTART_AFTER_S:
                        continue  # one that fails at once is retried no faster than this
                    log.warning("%s publisher exited; restarting", camera.name)
                    self._start_publisher(camera)
                    camera.restarts += 1

    def _spawn(
        self, args: list[str], name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        if self.log_dir is None:
            return self._popen(args, subprocess.DEVNULL, env)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as out:
            return self._popen(args, out, env)

    def _popen(
        self, args: list[str], out: IO[bytes] | int, env: dict[str, str] | None
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=self._death_signal,
        )

    def _log_tail(self, name: str) -> str:
        if self.log_dir is None:
            return "(no log_dir given)"
        path = self.log_dir / f"{name}.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return " | ".join(lines[-5:]) or "(log empty)"


def camera_media(
    main: Sequence[Path], sub: Sequence[Path], number: int
) -> tuple[Path, Path | None]:
    """The healthy footage camera `number` (from 1) loops: the files taken in turn."""
    return main[(number - 1) % len(main)], sub[(number - 1) % len(sub)] if sub else None


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def end_process(process: subprocess.Popen[bytes] | None, *, timeout_s: float = 3.0) -> None:
    """Stop a child politely (SIGTERM), then for good once timeout_s has passed."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _listening(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _udp_free(ports: range) -> bool:
    sockets: list[socket.socket] = []
    try:
        for port in ports:
            sockets.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            sockets[-1].bind((HOST, port))
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()
    return True


# The RTP bases of this process's simulators chosen by Ports.free() and not yet stopped: the
# server binds its ports lazily, as readers come, so a span free when a second simulator
# starts may be the first one's, and two servers on one port mix their cameras' packets.
_CHOSEN_RTP: set[int] = set()
_CHOSEN_LOCK = threading.Lock()


def _free_rtp_base() -> int:
    """An even base whose span of UDP ports is free now (the server binds them as it goes)
    and apart from the spans of this process's other running simulators."""
    with _CHOSEN_LOCK:
        for tries in range(400):
            base = random.randrange(RTP_LOW, RTP_HIGH - RTP_SPAN, 2)  # noqa: S311 - not a secret
            apart = all(abs(base - other) >= RTP_SPAN for other in _CHOSEN_RTP)
            if (apart or tries >= 300) and _udp_free(range(base, base + RTP_SPAN, 97)):
                _CHOSEN_RTP.add(base)
                return base
    raise SimulatorError("No free UDP port range for the RTSP server's RTP ports")


def death_signal(sig: signal.Signals) -> Callable[[], None]:
    """A pre-exec hook: the child gets `sig` when we die, so a killed run leaves none behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, sig)

    return hook
