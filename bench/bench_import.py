"""Camera-site import throughput: 100,000 CSV rows on the demo Kanpur tree.

Prints the median time and rows/s of a dry run, a first import (every row new) and the same
file imported again (every row unchanged), next to two floors measured in the same run on
the same data: a plain `csv.reader` pass over the file, and the import's own writer storing
the finished rows (then rolled back) — what the database alone costs. Every row carries an
owner name and mobile (the worst case: validated, encrypted, hashed) unless
--without-owners. A fresh SQLite database; PostgreSQL too when NIGRANI_BENCH_PG_URL names a
server (a scratch database is created on it and dropped afterwards).

    .venv/bin/python -m bench.bench_import [--rows 100000] [--runs 3] [--without-owners]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.bench_map import PG_ENV, pg_database
from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras import bulk, importer
from nigrani.cameras.categories import DEFAULT_CATEGORIES
from nigrani.cameras.models import Camera, Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key, sha256_hex
from nigrani.demo import cameras as demo_cameras
from nigrani.demo.seed import seed_tree

ACTOR = audit.Actor(None, "bench")


def make_csv(session: Session, rows: int, *, owners: bool = True) -> bytes:
    """`rows` valid sites spread over the demo stations, each with an owner unless not."""
    rng, cells = random.Random(2026), demo_cameras.station_cells(session)
    codes = [c.code for c in DEFAULT_CATEGORIES]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(importer.COLUMNS)
    for n in range(1, rows + 1):
        lat, lon = demo_cameras.point_in(rng.choice(cells), rng)
        count = rng.randint(1, 6)
        linked = rng.randint(0, min(count, 2))
        owner = (f"Bench Owner {n}", f"9{n:09d}") if owners else ("", "")
        place = (f"B{n:07d}", f"Bench site {n}", f"{n} Mall Road, Kanpur", lat, lon)
        writer.writerow((*place, rng.choice(codes), "", count, linked, *owner, 30, "N"))
    return out.getvalue().encode()


def run_import(
    sessions: sessionmaker[Session], settings: Settings, data: bytes, *, dry_run: bool
) -> float:
    """Seconds for one import, commit included."""
    start = time.perf_counter()
    with transaction(sessions) as session:
        importer.import_sites(
            session,
            settings=settings,
            data=data,
            file_name="bench.csv",
            actor=ACTOR,
            dry_run=dry_run,
        )
    return time.perf_counter() - start


def first_import(sessions: sessionmaker[Session], settings: Settings, data: bytes) -> float:
    """An import into an empty registry (emptying it is not timed)."""
    with transaction(sessions) as session:
        session.execute(delete(Camera))
        session.execute(delete(Site))
    return run_import(sessions, settings, data, dry_run=False)


def csv_floor(data: bytes) -> float:
    """Seconds for a plain csv.reader pass over the decoded file."""
    start = time.perf_counter()
    for _ in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
        pass
    return time.perf_counter() - start


def _finished_row(n: int, station: JurisdictionNode) -> dict[str, Any]:
    token, now = "g" * 140, utcnow()  # a Fernet token of a short name is ~140 characters
    return {
        "external_id": f"F{n:07d}", "name": f"Bench site {n}", "address": f"{n} Mall Road",
        "lat": 26.47, "lon": 80.35, "station_id": station.id, "node_path": station.path,
        "category_code": "shop", "is_public": False, "camera_count": 3, "source": "import",
        "status": "active", "owner_user_id": None, "owner_name_enc": token,
        "owner_phone_enc": token, "owner_phone_hash": sha256_hex(str(n)),
        "owner_name_masked": "B**** O****", "owner_phone_masked": "+91 ********12",
        "facing": "N", "retention_days": 30, "consent_version": None, "consent_at": None,
        "keep_point_on_withdrawal": False, "created_at": now, "updated_at": now,
        "withdrawn_at": None,
    }  # fmt: skip


def insert_floor(sessions: sessionmaker[Session], rows: int) -> float:
    """Seconds for the import's writer to store `rows` finished rows (then rolled back)."""
    with sessions() as session:
        stmt = select(JurisdictionNode).where(JurisdictionNode.level == "station")
        station = session.scalars(stmt).first()
        assert station is not None
        values = [_finished_row(n, station) for n in range(rows)]
        start = time.perf_counter()
        bulk.insert_sites(session, rows=values)
        elapsed = time.perf_counter() - start
        session.rollback()
    return elapsed


def median(fn: Callable[[], float], runs: int) -> float:
    """The median of `runs` timings."""
    return statistics.median(fn() for _ in range(runs))


def bench(url: str, rows: int, runs: int, *, owners: bool) -> None:
    """Print the figures for one database."""
    settings = Settings(database_url=url, secret_key="b" * 40, encryption_key=generate_key())
    upgrade(settings)
    engine = make_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        seed_tree(session)
        data = make_csv(session, rows, owners=owners)
    figures = {
        "csv.reader pass (floor)": median(lambda: csv_floor(data), runs),
        "write finished rows (floor)": median(lambda: insert_floor(sessions, rows), runs),
        "import, dry run": median(lambda: run_import(sessions, settings, data, dry_run=True), runs),
        "import, all rows new": median(lambda: first_import(sessions, settings, data), runs),
        "import again, all unchanged": median(
            lambda: run_import(sessions, settings, data, dry_run=False), runs
        ),
    }
    engine.dispose()
    backend, size = make_url(url).get_backend_name(), len(data) / 1e6
    who = "each with an owner" if owners else "no owners"
    print(f"\n{backend}: {rows:,} rows, {who} ({size:.1f} MB of CSV), median of {runs} runs")
    floor = figures["write finished rows (floor)"]
    for name, seconds in figures.items():
        ratio = f"{seconds / floor:5.1f}× write floor" if "import" in name else ""
        print(f"  {name:<30} {seconds:7.2f} s {rows / seconds:>10,.0f} rows/s  {ratio}")


def main() -> None:
    """Run on SQLite, then on PostgreSQL when a server is named."""
    parser = argparse.ArgumentParser(description="Camera-site import throughput.")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--without-owners", action="store_true", help="public cameras only")
    args = parser.parse_args()
    owners = not args.without_owners
    print(f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.platform()}")
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.rows, args.runs, owners=owners)
    if server := os.environ.get(PG_ENV):
        with pg_database(server) as url:
            bench(url, args.rows, args.runs, owners=owners)


if __name__ == "__main__":
    main()
