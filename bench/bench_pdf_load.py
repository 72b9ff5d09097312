"""Other users' pages while compliance PDFs render: latency and status, SQLite (issue 13).

A fresh SQLite database gets the Kanpur demo (tree, users, camera sites, incidents,
complaints, station cameras). `nigrani serve` runs it in its own process on loopback. First
a page reader (the SHO's complaint queue, `GET /grievances`) and a writer (the desk
officer's walk-in complaints, `POST /grievances/walk-in`) run alone; then again while
`--pdfs` commissioner clients each download the city-wide compliance PDF `--rounds` times.

Printed: p50 and max of each, and every answer's status (a 500 or a 503 is counted, not
raised), so the figures before and after a change can be set side by side.

    .venv/bin/python -m bench.bench_pdf_load [--pdfs 8] [--rounds 3] [--alone 30]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import serving
from bench.bench_map import sign_in
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.incidents import seed_incidents
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.demo.stations import seed_station_cameras

PDF_URL = "/stations/compliance/report.pdf"
PAGE_URL = "/grievances"
WALK_IN = "/grievances/walk-in"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
CATEGORY = re.compile(r'<option value="([a-z_]+)"')
# A connection per request: under this load uvicorn resets some idle keep-alive ones.
ONE_SHOT = httpx.Limits(max_keepalive_connections=0)


@dataclass
class Samples:
    """Milliseconds and statuses of one kind of request."""

    ms: list[float] = field(default_factory=list)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)

    def add(self, started: float, status: int) -> None:
        self.ms.append((time.perf_counter() - started) * 1000)
        self.statuses[status] += 1

    def line(self, label: str) -> str:
        if not self.ms:
            return f"  {label:<44} (none)"
        codes = " ".join(f"{code}x{n}" for code, n in sorted(self.statuses.items()))
        return (
            f"  {label:<44} n={len(self.ms):>4}  p50 {statistics.median(self.ms):>8.1f} ms"
            f"  max {max(self.ms):>8.1f} ms  [{codes}]"
        )


def prepare(settings: Settings) -> dict[str, str]:
    """Migrate and load the demo; the demo users' passwords by username."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            seed_tree(session)
            logins = {login.username: login.password for login in seed_users(session)}
            seed_cameras(session, settings)
            seed_incidents(session, settings)
            seed_grievances(session, settings)
            seed_station_cameras(session, settings)
        return logins
    finally:
        engine.dispose()


@contextmanager
def serve_process(settings: Settings) -> Iterator[str]:
    """`nigrani serve` (no scheduler) for these settings on a free port, in its own process."""
    port = serving.free_port()
    env = {
        **os.environ,
        "NIGRANI_DATABASE_URL": settings.db_url,
        "NIGRANI_VAR_DIR": str(settings.var_dir),
        "NIGRANI_DEMO": "1",
        "NIGRANI_COOKIE_SECURE": "false",
    }
    argv = [sys.executable, "-m", "nigrani", "serve", "--no-scheduler", "--port", str(port)]
    with serving.server(argv, env, port) as url:
        yield url


def _client(url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120, limits=ONE_SHOT)
    sign_in(client, username, password)
    return client


def _reader(client: httpx.Client, samples: Samples) -> Callable[[], None]:
    def read() -> None:
        started = time.perf_counter()
        samples.add(started, client.get(PAGE_URL).status_code)

    return read


def _writer(client: httpx.Client, samples: Samples) -> Callable[[], None]:
    form = client.get(WALK_IN).text
    token = TOKEN.search(form)
    category = CATEGORY.search(form, form.find('name="category"'))
    assert token and category, "the walk-in form has no CSRF token or category"
    n = iter(range(10**6))

    def write() -> None:
        data = {
            "csrf_token": token.group(1),
            "category": category.group(1),
            "text": f"Bench walk-in complaint {next(n)}: street light broken near the market",
            "mobile": "9876500001",
            "name": "Bench Visitor",
            "station_code": "KNP-S-KOTWALI",
            "language": "en",
        }
        started = time.perf_counter()
        samples.add(started, client.post(WALK_IN, data=data).status_code)

    return write


def _loop(call: Callable[[], None], stop: threading.Event, limit: int | None = None) -> None:
    done = 0
    while not stop.is_set() and (limit is None or done < limit):
        call()
        done += 1


def _pdfs(browser: httpx.Client, clients: int, rounds: int, samples: Samples) -> None:
    """`clients` threads at once, each `rounds` PDFs, all with the browser's cookies (signed
    in once: repeated sign-ins from one address are slowed down on purpose)."""

    def run() -> None:
        with httpx.Client(
            base_url=browser.base_url, timeout=120, cookies=browser.cookies, limits=ONE_SHOT
        ) as client:
            for _ in range(rounds):
                started = time.perf_counter()
                samples.add(started, client.get(PDF_URL).status_code)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def measure(url: str, logins: dict[str, str], pdfs: int, rounds: int, alone: int) -> None:
    """The page and the writer alone, then beside the PDFs; print each figure."""
    reader = _client(url, "sho.kotwali", logins["sho.kotwali"])
    writer = _client(url, "staff.kotwali", logins["staff.kotwali"])
    commissioner = _client(url, "commissioner", logins["commissioner"])
    quiet_read, quiet_write = Samples(), Samples()
    never = threading.Event()
    _loop(_reader(reader, quiet_read), never, alone)
    _loop(_writer(writer, quiet_write), never, alone)
    one_pdf = Samples()
    _pdfs(commissioner, 1, 3, one_pdf)
    print(quiet_read.line(f"GET {PAGE_URL} alone"))
    print(quiet_write.line(f"POST {WALK_IN} alone"))
    print(one_pdf.line(f"GET {PDF_URL} alone"))
    busy_read, busy_write, pdf = Samples(), Samples(), Samples()
    stop = threading.Event()
    side = [
        threading.Thread(target=_loop, args=(_reader(reader, busy_read), stop)),
        threading.Thread(target=_loop, args=(_writer(writer, busy_write), stop)),
    ]
    for thread in side:
        thread.start()
    started = time.perf_counter()
    _pdfs(commissioner, pdfs, rounds, pdf)
    stop.set()
    for thread in side:
        thread.join()
    print(pdf.line(f"GET {PDF_URL} ({pdfs} at once)"))
    print(busy_read.line(f"GET {PAGE_URL} while the PDFs render"))
    print(busy_write.line(f"POST {WALK_IN} while the PDFs render"))
    print(f"  the PDFs took {time.perf_counter() - started:.1f} s in all")


def main() -> None:
    """Parse arguments, build the database, serve and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--alone", type=int, default=30)
    args = parser.parse_args()
    print(
        f"bench_pdf_load: {args.pdfs} PDF clients x {args.rounds}, {os.cpu_count()} CPUs, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="nigrani-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings(database_url=url, var_dir=Path(tmp), demo=True, cookie_secure=False)
        logins = prepare(settings)
        with serve_process(settings) as served:
            measure(served, logins, args.pdfs, args.rounds, args.alone)


if __name__ == "__main__":
    main()
