"""Complaint creation over HTTP: complaints/s and p50/p99 at 1, 8 and 32 concurrent clients.

Goal (issue 5): at least 300 complaints/s with p99 under 100 ms at 8 clients, on the
embedded default (SQLite) on a 2-core machine. A fresh database gets the Kanpur demo tree
and an Open311 API key; `nigrani serve --no-scheduler` runs in its own process on loopback
(the outbox's SMS jobs queue up for a separate scheduler, as in production). Each client
is a thread with its own keep-alive httpx connection, filing GeoReport v2 requests
(`POST /open311/v2/requests.json`, form-encoded, with a mobile number, so each complaint is
routed by its place, numbered, audited and queues its SMS). complaints/s counts 2xx answers
only; any other answer or a dropped connection is counted as failed (latencies include
them).

The reference, measured in the same run and served the same way (uvicorn in its own
process, the same log settings and gc.freeze): a bare FastAPI app whose one POST endpoint
reads the same form and returns a JSON list. The ratio is reference req/s / complaints/s.
Both servers run side by side; each level is timed on the reference and then on the app,
and the whole round is repeated (3 times by default). The table gives the median of each
figure, and the verdict is on the medians.

    .venv/bin/python -m bench.bench_grievances [--requests 2000] [--repeat 3]
    NIGRANI_BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/python -m bench.bench_grievances          # SQLite, then PostgreSQL
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from bench import serving
from bench.bench_map import PG_ENV, pg_database
from nigrani.accounts import service as accounts
from nigrani.accounts.models import JurisdictionNode, User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.grievances.models import Complaint

LEVELS = (1, 8, 32)
GOAL_CLIENTS, GOAL_RATE, GOAL_P99_MS = 8, 300.0, 100.0
PATH = "/open311/v2/requests.json"
CATEGORIES = ("theft", "women_safety", "nuisance", "traffic", "cyber_fraud")


@dataclass(frozen=True, slots=True)
class Load:
    """One measured level: requests per second and latencies in milliseconds."""

    clients: int
    rate: float
    p50: float
    p99: float
    failed: int


def reference_app() -> FastAPI:
    """The bare FastAPI reference: read the form, answer one JSON object in a list."""
    app = FastAPI()

    @app.post(PATH)
    async def create(request: Request) -> JSONResponse:
        form = await request.form()
        return JSONResponse([{"service_request_id": "X-1", "token": form.get("api_key")}])

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:  # what serving.server waits for
        return {"status": "ok"}

    return app


def serve_reference(port: int) -> None:
    """Serve the reference as `nigrani serve` serves the app (log level, gc.freeze)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO)
    gc.collect()
    gc.freeze()
    uvicorn.run(reference_app(), host="127.0.0.1", port=port, log_level="info")


def prepare(settings: Settings) -> str:
    """Migrate, seed the demo tree and users, issue an Open311 key; the key's secret."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            seed_tree(session)
            seed_users(session)
            admin = session.scalars(select(User).where(User.username == "admin")).one()
            issued = accounts.issue_token(
                session, user=admin, name="bench", scopes=["open311"], actor=audit.SYSTEM
            )
            return issued.secret
    finally:
        engine.dispose()


def places(settings: Settings) -> list[tuple[float, float]]:
    """The demo stations' points: each falls inside its station's area."""
    engine = make_engine(settings.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            stmt = select(JurisdictionNode).where(JurisdictionNode.level == "station")
            return [(n.lat, n.lon) for n in session.scalars(stmt) if n.lat and n.lon]
    finally:
        engine.dispose()


def _forms(key: str, where: list[tuple[float, float]], n: int, tag: str) -> list[dict[str, str]]:
    return [
        {
            "api_key": key,
            "service_code": CATEGORIES[i % len(CATEGORIES)],
            "lat": f"{where[i % len(where)][0]:.5f}",
            "long": f"{where[i % len(where)][1]:.5f}",
            "address_string": "Near the main crossing",
            "description": f"Bench complaint {tag}-{i}: my phone was snatched near the market.",
            "first_name": "Ramesh",
            "phone": f"98765{i % 100000:05d}",
            "attribute[landmark]": "Gupta Sweets",
        }
        for i in range(n)
    ]


def _client(
    url: str, forms: list[dict[str, str]], out: list[float], failed: list[int], go: threading.Event
) -> None:
    """File each form in turn; count what fails (a 500, a dropped connection) and go on."""
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post(PATH, data=forms[0])  # connect before the clock runs
        go.wait()
        for form in forms[1:]:
            started = time.perf_counter()
            try:
                status = client.post(PATH, data=form).status_code
            except httpx.TransportError:  # the server dropped the connection
                status = 0
            out.append((time.perf_counter() - started) * 1000)
            if not 200 <= status < 300:
                failed.append(status)


def load(url: str, clients: int, forms: list[dict[str, str]]) -> Load:
    """`clients` threads share the forms out and file them as fast as answers come."""
    go = threading.Event()
    samples: list[list[float]] = [[] for _ in range(clients)]
    failed: list[int] = []
    threads = [
        threading.Thread(target=_client, args=(url, forms[i::clients], samples[i], failed, go))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [s for part in samples for s in part]
    cuts = statistics.quantiles(flat, n=100, method="inclusive")
    ok = len(flat) - len(failed)
    return Load(clients, ok / elapsed, statistics.median(flat), cuts[98], len(failed))


def median_load(runs: list[Load]) -> Load:
    """One cell from repeated runs: the median of each figure, failures added up."""
    return Load(
        runs[0].clients,
        statistics.median(r.rate for r in runs),
        statistics.median(r.p50 for r in runs),
        statistics.median(r.p99 for r in runs),
        sum(r.failed for r in runs),
    )


def table(app: list[Load], ref: list[Load], goal_runs: list[Load]) -> None:
    """The printed figures, one line per level, and the verdict on the medians."""
    print(f"  {'clients':>7} {'complaints/s':>13} {'p50 ms':>8} {'p99 ms':>8}", end="")
    print(f" {'failed':>6} {'ref req/s':>10} {'ref p50':>8} {'ref p99':>8} {'ratio':>6}")
    for a, r in zip(app, ref, strict=True):
        print(f"  {a.clients:>7} {a.rate:>13.0f} {a.p50:>8.2f} {a.p99:>8.2f} {a.failed:>6}", end="")
        print(f" {r.rate:>10.0f} {r.p50:>8.2f} {r.p99:>8.2f} {r.rate / a.rate:>5.1f}x")
    goal = next(a for a in app if a.clients == GOAL_CLIENTS)
    met = goal.rate >= GOAL_RATE and goal.p99 < GOAL_P99_MS and not goal.failed
    each = " / ".join(f"{r.rate:.0f}" for r in goal_runs)
    print(
        f"  at {GOAL_CLIENTS} clients: {goal.rate:.0f} complaints/s (runs: {each}), "
        f"p99 {goal.p99:.1f} ms: {'meets' if met else 'MISSES'} the goal "
        f"(>= {GOAL_RATE:.0f}/s, p99 < {GOAL_P99_MS:.0f} ms)"
    )


def run(label: str, database_url: str, var_dir: Path, requests: int, repeat: int) -> None:
    """One database: prepare it, serve the reference and the app side by side, and time
    each level on both, one right after the other, `repeat` times; print the medians."""
    print(f"\n{label}")
    key = generate_key()
    settings = Settings(
        database_url=database_url, var_dir=var_dir, encryption_key=key, secret_key="b" * 40
    )
    api_key = prepare(settings)
    where = places(settings)
    env = {
        **os.environ,
        "NIGRANI_DATABASE_URL": database_url,
        "NIGRANI_VAR_DIR": str(var_dir),
        "NIGRANI_ENCRYPTION_KEY": key,
        "NIGRANI_SECRET_KEY": "b" * 40,
        "NIGRANI_COOKIE_SECURE": "0",
    }
    ref_port, app_port = serving.free_port(), serving.free_port()
    ref_cmd = [sys.executable, "-m", "bench.bench_grievances", "--serve-reference", str(ref_port)]
    app_cmd = [sys.executable, "-m", "nigrani", "serve", "--no-scheduler", "--port", str(app_port)]
    ref_forms = _forms(api_key, where, requests, "ref")
    runs: dict[str, dict[int, list[Load]]] = {"app": {}, "ref": {}}
    with (
        serving.server(ref_cmd, env, ref_port) as ref,
        serving.server(app_cmd, env, app_port) as at,
    ):
        load(ref, 4, ref_forms[:200])
        load(at, 4, _forms(api_key, where, 200, "warm"))
        for round_no in range(repeat):
            for clients in LEVELS:
                forms = _forms(api_key, where, requests, f"{round_no}-{clients}")
                runs["ref"].setdefault(clients, []).append(load(ref, clients, ref_forms))
                runs["app"].setdefault(clients, []).append(load(at, clients, forms))
    app = [median_load(runs["app"][c]) for c in LEVELS]
    table(app, [median_load(runs["ref"][c]) for c in LEVELS], runs["app"][GOAL_CLIENTS])
    _report_rows(settings)


def _report_rows(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as session:
        total = session.scalar(select(func.count(Complaint.id))) or 0
        routed = session.scalar(select(func.count(Complaint.station_id))) or 0
    engine.dispose()
    print(f"  {total:,} complaints stored, {routed:,} routed to a station")


def main() -> None:
    """Parse arguments and run on SQLite, then PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per level and run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of every level (medians)")
    parser.add_argument("--serve-reference", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_reference:
        serve_reference(args.serve_reference)
        return
    print(
        f"bench_grievances: {args.requests} complaints per level and run, {args.repeat} runs, "
        f"{os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory(prefix="nigrani-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        run("SQLite (WAL, file in a temp folder)", url, Path(tmp), args.requests, args.repeat)
        if pg := os.environ.get(PG_ENV):
            with pg_database(pg) as pg_url:
                run("PostgreSQL", pg_url, Path(tmp), args.requests, args.repeat)


if __name__ == "__main__":
    main()
