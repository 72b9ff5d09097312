"""No flapping: state changes per camera-hour on streams that drop for a few seconds at random.

Goal (issue 16): at most one state change per camera-hour. Each simulated camera's stream
drops at random (gaps between drops exponential, mean `--gap` s; each drop 2-8 s) and, once
in its run, really fails for ten minutes. A probe every `--interval` s reads for 2 s and
fails when that read overlaps a drop. The same seeded timeline is recorded with the real
`health.state.record` on a real database (SQLite in a temporary folder, or the server in
NIGRANI_BENCH_PG_URL), once with K=3 (the default) and once with K=1, the reference without
debounce, in the same run. Printed: state changes per camera-hour, outages opened, and how
many of the real ten-minute failures were caught.

    .venv/bin/python -m bench.bench_health_flapping [--cameras 20] [--hours 5] [--seed 16]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.health import state
from nigrani.health.models import HealthOutage, HealthTarget

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
READ_S, OUTAGE_S = 2.0, 600.0


def timeline(rng: random.Random, seconds: float, gap: float) -> list[tuple[float, float]]:
    """The stream's dead spans: brief drops at random, and one real ten-minute failure."""
    spans, t = [], rng.expovariate(1 / gap)
    while t < seconds:
        spans.append((t, t + rng.uniform(2.0, 8.0)))
        t += rng.expovariate(1 / gap)
    real = rng.uniform(0.1 * seconds, 0.8 * seconds)
    return sorted([*spans, (real, real + OUTAGE_S)])


def results(spans: list[tuple[float, float]], seconds: float, interval: float) -> list[bool]:
    """Whether each probe got frames (its read window overlaps no dead span)."""
    out, i, t = [], 0, 0.0
    while t < seconds:
        while i < len(spans) and spans[i][1] <= t:
            i += 1
        out.append(not any(a < t + READ_S and b > t for a, b in spans[i : i + 3]))
        t += interval
    return out


def run(
    session: Session, probes: list[list[bool]], interval: float, k: int
) -> tuple[int, int, int]:
    """Record every camera's probes with K=k; (state changes, outages of 5 min or more,
    shorter outages: false alarms)."""
    changes = 0
    ids = []
    for camera in probes:
        target = HealthTarget(node_path="/", category_code="smart_city", due_at=START)
        target.created_at = target.updated_at = START
        session.add(target)
        session.flush()
        ids.append(target.id)
        for n, ok in enumerate(camera):
            change = state.record(
                session,
                target,
                state="working" if ok else "offline",
                reason="" if ok else "no_frames",
                now=START + timedelta(seconds=n * interval),
                measurements={},
                confirm=k,
            )
            changes += change is not None and change.old != "unknown"
    spans = session.execute(
        select(HealthOutage.start_at, HealthOutage.end_at).where(HealthOutage.target_id.in_(ids))
    ).all()
    end = START + timedelta(seconds=len(probes[0]) * interval)
    long = sum(((b or end) - a).total_seconds() >= 300 for a, b in spans)
    return changes, long, len(spans) - long


def database(tmp: Path) -> tuple[str, str | None]:
    server = os.environ.get("NIGRANI_BENCH_PG_URL")
    if not server:
        return f"sqlite:///{tmp / 'flapping.sqlite3'}", None
    name = f"nigrani_flap_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgresql://", "postgresql+psycopg://", 1)
    with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin.rsplit("/", 1)[0] + f"/{name}", name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=20)
    parser.add_argument("--hours", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between probes")
    parser.add_argument("--gap", type=float, default=120.0, help="mean seconds between drops")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng, seconds = random.Random(args.seed), args.hours * 3600
    spans = [timeline(rng, seconds, args.gap) for _ in range(args.cameras)]
    probes = [results(s, seconds, args.interval) for s in spans]
    failed = sum(not ok for camera in probes for ok in camera)
    with tempfile.TemporaryDirectory() as tmp:
        url, name = database(Path(tmp))
        settings = Settings(demo=True, database_url=url, var_dir=Path(tmp))
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        hours = args.cameras * args.hours
        print(f"{engine.dialect.name}: {args.cameras} cameras × {args.hours:g} h = {hours:g}")
        print(f"camera-hours, a probe every {args.interval:g} s, {failed} of")
        print(f"{sum(map(len, probes))} probes failed (drops and one real 10-min failure each)")
        print(f"{'K':>3} {'changes':>8} {'per camera-hour':>16} {'real caught':>12} {'false':>6}")
        for k in (1, state.CONFIRM):
            with transaction(sessions) as session:
                changes, real, false = run(session, probes, args.interval, k)
            caught = f"{real}/{args.cameras}"
            print(f"{k:>3} {changes:>8} {changes / hours:>16.2f} {caught:>12} {false:>6}")
        engine.dispose()
        if name:  # the PostgreSQL database made for this run
            admin = os.environ["NIGRANI_BENCH_PG_URL"].replace(
                "postgresql://", "postgresql+psycopg://", 1
            )
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
