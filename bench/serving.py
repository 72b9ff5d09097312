"""A server process on a loopback port for a benchmark, so the load generator does not share
its interpreter lock."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

START_S = 60.0


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(argv: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run argv until the block ends; yields its URL once /healthz answers 200."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own argv
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], *, start_s: float = START_S) -> None:
    """Return once url's /healthz answers 200; RuntimeError if proc dies or start_s passes."""
    deadline = time.monotonic() + start_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url}: the server did not start")
