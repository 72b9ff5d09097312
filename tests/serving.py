"""Servers for tests on a free loopback port, handed over once /healthz answers: an app in
a thread of the test's process, or a command (`nigrani serve`, `nigrani demo`) as a process.

Tests use these, never bench/serving.py: the tests do not import the benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn

START_S = 60.0
STOP_S = 15.0


class LoopbackFake:
    """A fake of a service outside (an SMS gateway, WhatsApp's servers): a real HTTP server
    on a free loopback port, serving in a thread, that hands each GET and POST to the fake's
    `_get` and `_post`, which answer as the service does over the wire."""

    server: ThreadingHTTPServer | None
    server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer

    def start(self) -> None:
        """Serve on a free loopback port in a thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 - silences the request log
                return

            def do_GET(self) -> None:
                fake._get(self)

            def do_POST(self) -> None:
                fake._post(self)

        self.server = self.server_class(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _get(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def _post(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nigrani(*args: str) -> list[str]:
    """The argv of a `nigrani` command run by this interpreter."""
    return [sys.executable, "-m", "nigrani", *args]


def wait_healthy(url: str, alive: Callable[[], bool], *, start_s: float = START_S) -> None:
    """Return once url's /healthz answers 200; RuntimeError once alive() is false (the
    server died) or start_s has passed."""
    deadline = time.monotonic() + start_s
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url}: the server did not start")


@contextmanager
def in_thread(
    app: Any,
    *,
    lifespan: Literal["on", "off"] = "off",
    start_s: float = 20.0,
    ws: Literal["none", "auto"] = "none",
) -> Iterator[str]:
    """Serve app with uvicorn in a thread until the block ends; yields its URL.

    With lifespan "off" the app's own start and stop (scheduler, engine disposal) do not
    run: the caller disposes what it made. RuntimeError if the server does not stop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", lifespan=lifespan, ws=ws)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="test-server", daemon=True
    )
    thread.start()
    try:
        wait_healthy(url, thread.is_alive, start_s=start_s)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_S)
        sock.close()
    if thread.is_alive():
        raise RuntimeError(f"{url}: the server did not stop")


def start(
    argv: list[str],
    env: dict[str, str],
    port: int,
    *,
    start_s: float = START_S,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start argv (which serves on port) and return it once /healthz answers; a process
    that does not get there is killed, and RuntimeError raised."""
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", lambda: proc.poll() is None, start_s=start_s)
    except RuntimeError:
        proc.kill()
        proc.wait()
        raise
    return proc
