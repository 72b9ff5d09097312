"""The canvass HTTP endpoint: p50/p99 of GET /api/v1/incidents/{id}/canvass at 300 m.

Goal (issue 4): the HTTP endpoint's p99 under 20 ms. A fresh database (SQLite file;
PostgreSQL too when NIGRANI_BENCH_PG_URL names a server) gets the Kanpur demo tree and
`--sites` camera sites clustered around the station points (bench_map's loader: a dense
city), then incidents at random sites. `nigrani serve` runs it in its own process (so the
load generator does not share its interpreter lock) on loopback; one keep-alive client
cycles through the incidents.

The default, 20,000 sites in one city, is the issue's density: 1,000,000 cameras around 50
cities. `--sites 100000` is a city five times as dense.

Printed beside it, from the same run: the /healthz round trip (the HTTP floor) and the same
canvass service call in-process (spatial search, ranking, no HTTP), plus the incident page.

    .venv/bin/python -m bench.bench_canvass_http [--sites 20000] [--requests 1000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from bench import serving
from bench.bench_map import PG_ENV, line, pg_database, prepare, sign_in, timed
from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.canvass import service
from nigrani.canvass.schemas import IncidentCreate
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow

RADIUS_M = 300
INCIDENTS = 50


def make_incidents(settings: Settings, n: int) -> list[int]:
    """n incidents, each 40 m north of a random site, recorded by the commissioner."""
    engine = make_engine(settings.db_url)
    rng = np.random.default_rng(20261201)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = session.scalars(select(User).where(User.username == "commissioner")).one()
            total = session.scalar(select(func.count(Site.id))) or 0
            end = utcnow() - timedelta(hours=2)
            ids = []
            for offset in rng.choice(total, size=n, replace=False):
                site = session.scalars(select(Site).offset(int(offset)).limit(1)).one()
                data = IncidentCreate(
                    kind="theft",
                    lat=site.lat + 0.00036,
                    lon=site.lon,
                    window_start=end - timedelta(hours=1),
                    window_end=end,
                )
                incident = service.create_incident(
                    session, data=data, user=user, scope_path=user.node.path if user.node else "/"
                )
                ids.append(incident.id)
            return ids
    finally:
        engine.dispose()


def _cycle(client: httpx.Client, urls: list[str]) -> Callable[[], httpx.Response]:
    turn = itertools.cycle(urls)
    return lambda: client.get(next(turn)).raise_for_status()


def _in_process(settings: Settings, ids: list[int]) -> Callable[[], object]:
    sessions = make_sessionmaker(make_engine(settings.db_url))
    turn = itertools.cycle(ids)

    def call() -> object:
        with transaction(sessions) as session:
            incident = service.get_incident(session, next(turn))
            return service.canvass(session, incident=incident, radius_m=RADIUS_M)

    return call


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


def measure(settings: Settings, password: str, ids: list[int], requests: int) -> None:
    """Floor, the JSON endpoint, the service call in-process and the HTML page."""
    api = [f"/api/v1/incidents/{i}/canvass?radius_m={RADIUS_M}" for i in ids]
    with serve_process(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        sign_in(client, "commissioner", password)
        hits = [len(client.get(u).json()["hits"]) for u in api]
        middle = statistics.median(hits)
        print(
            f"  {len(ids)} incidents; sites in {RADIUS_M} m: median {middle:.0f}, max {max(hits)}"
        )
        floor = timed(lambda: client.get("/healthz").raise_for_status(), requests)
        print(line("GET /healthz (HTTP floor)", floor))
        base = statistics.median(floor)
        endpoint = timed(_cycle(client, api), requests)
        print(line(f"GET /api/v1/incidents/{{id}}/canvass ({RADIUS_M} m)", endpoint, base))
        print(
            line(
                "same canvass service call in-process",
                timed(_in_process(settings, ids), requests),
                base,
            )
        )
        pages = [f"/incidents/{i}?radius={RADIUS_M}" for i in ids]
        print(
            line(
                "GET /incidents/{id} (the whole page)",
                timed(_cycle(client, pages), requests // 2),
                base,
            )
        )
        p99 = statistics.quantiles(endpoint, n=100, method="inclusive")[98]
        verdict = "meets" if p99 < 20 else "MISSES"
        print(f"  endpoint p99 {p99:.2f} ms {verdict} the goal of < 20 ms")


def run(label: str, database_url: str, var_dir: Path, sites: int, requests: int) -> None:
    """One database: build it, then print its figures."""
    print(f"\n{label}")
    settings = Settings(database_url=database_url, var_dir=var_dir, demo=True, cookie_secure=False)
    views = prepare(settings, sites)
    ids = make_incidents(settings, INCIDENTS)
    measure(settings, views.password, ids, requests)


def main() -> None:
    """Parse arguments and run on SQLite, then PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"bench_canvass_http: {args.sites:,} sites, {args.requests} requests per figure, "
        f"{os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="nigrani-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        run("SQLite (WAL, file in a temp folder)", url, Path(tmp), args.sites, args.requests)
        if server := os.environ.get(PG_ENV):
            with pg_database(server) as pg_url:
                run("PostgreSQL", pg_url, Path(tmp), args.sites, args.requests)


if __name__ == "__main__":
    main()
