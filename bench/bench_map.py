"""The camera map's data endpoint with 100,000 sites: p50/p99 through HTTP, next to floors.

A fresh database (SQLite file; PostgreSQL too when NIGRANI_BENCH_PG_URL names a server) is
migrated, seeded with the Kanpur demo tree and bulk-loaded with sites placed around the
station points inside their station's area. A real uvicorn serves it on loopback; one
keep-alive client times the city-wide view (grid clusters) and a street-level view (points).

Printed beside each: the same service call in-process (the SQL and the row handling, no
HTTP) and the /healthz round trip (the HTTP floor), measured in the same run.

    .venv/bin/python -m bench.bench_map [--sites 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import socket
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
import uvicorn
from shapely.geometry import shape
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.app import create_app
from nigrani.cameras import mapdata
from nigrani.cameras.categories import DEFAULT_CATEGORIES
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.migrate import upgrade
from nigrani.demo.seed import seed_tree, seed_users

PG_ENV = "NIGRANI_BENCH_PG_URL"
MAP_URL = "/api/v1/cameras/map"
SPREAD_DEG = 0.012  # sites cluster around station points, like a city around its bazaars
LINKED_SHARE = 0.02  # about 2,000 sites with a camera linked to the control room
STREET_ZOOM = 17  # about 1.5 x 0.9 km on a 1280x800 screen: a busy bazaar
SCREEN = (1280, 800)
CITY_ZOOM = 11


@dataclass(frozen=True, slots=True)
class Views:
    password: str
    city: mapdata.BBox
    street: mapdata.BBox
    scope_path: str
    floor: float = 0.0
    requests: int = 0


def _categories(session: Session) -> list[str]:
    have = set(session.scalars(select(CameraCategory.code)))
    for i, c in enumerate(DEFAULT_CATEGORIES):
        if c.code not in have:
            session.add(CameraCategory(**c._asdict(), sort_order=i))
    session.flush()
    return [c.code for c in DEFAULT_CATEGORIES]


def _points_in(node: JurisdictionNode, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points around the station point that fall inside the station's area."""
    area = shape(json.loads(node.boundary or "{}"))
    shapely.prepare(area)
    centre = np.array([node.lon or area.centroid.x, node.lat or area.centroid.y])
    found = np.empty((0, 2))
    while len(found) < n:
        tries = centre + rng.normal(0, SPREAD_DEG, size=(2 * n, 2))
        found = np.vstack([found, tries[shapely.contains_xy(area, tries[:, 0], tries[:, 1])]])
    return found[:n]


def _site_rows(session: Session, total: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    codes = _categories(session)
    stations = list(
        session.scalars(select(JurisdictionNode).where(JurisdictionNode.level == "station"))
    )
    per_station = np.bincount(rng.integers(0, len(stations), total), minlength=len(stations))
    now, rows = utcnow(), list[dict[str, Any]]()
    for station, n in zip(stations, per_station, strict=True):
        for lon, lat in _points_in(station, int(n), rng):
            code = codes[int(rng.integers(0, len(codes)))]
            rows.append(
                {
                    "name": f"bench site {len(rows)}",
                    "lat": float(lat),
                    "lon": float(lon),
                    "station_id": station.id,
                    "node_path": station.path,
                    "category_code": code,
                    "is_public": code in {"smart_city", "road", "nagar_nigam", "kda"},
                    "camera_count": int(rng.integers(1, 9)),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows


def _load(session: Session, total: int) -> None:
    rng = np.random.default_rng(20261124)
    session.execute(insert(Site), _site_rows(session, total, rng))
    ids = list(session.scalars(select(Site.id)))
    chosen = rng.choice(ids, size=int(len(ids) * LINKED_SHARE), replace=False)
    now = utcnow()
    session.execute(
        insert(Camera),
        [{"site_id": int(i), "linked": True, "created_at": now} for i in chosen],
    )


def prepare(settings: Settings, total: int) -> Views:
    """Migrate, seed the demo tree, its users and the sites; the two views to time."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_tree(session)
        logins = {login.username: login for login in seed_users(session)}
        started = time.perf_counter()
        _load(session, total)
        print(f"  loaded {total:,} sites in {time.perf_counter() - started:.1f} s")
        root = session.scalars(select(JurisdictionNode).where(JurisdictionNode.code == "KNP"))
        knp = root.one()
        kotwali = session.scalars(
            select(JurisdictionNode).where(JurisdictionNode.code == "KNP-S-KOTWALI")
        ).one()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    city = mapdata.BBox(*shape(json.loads(knp.boundary or "{}")).bounds)
    return Views(logins["commissioner"].password, city, _screen(kotwali), knp.path)


def _screen(node: JurisdictionNode) -> mapdata.BBox:
    """What a 1280x800 screen shows at STREET_ZOOM around a station point (Web Mercator)."""
    lon, lat = node.lon or 0.0, node.lat or 0.0
    per_px = 360.0 / 2**STREET_ZOOM / 256
    dx = SCREEN[0] * per_px / 2
    dy = SCREEN[1] * per_px * math.cos(math.radians(lat)) / 2
    return mapdata.BBox(lon - dx, lat - dy, lon + dx, lat + dy)


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(settings), log_level="warning", access_log=False, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def timed(call: Callable[[], object], n: int) -> list[float]:
    """Milliseconds per call, after a few warm-up calls."""
    for _ in range(5):
        call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(label: str, samples: list[float], floor: float | None = None) -> str:
    """One printed figure: p50, p99 and, when given, the p50 as a multiple of a floor."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    p50, p99 = statistics.median(samples), cuts[98]
    ratio = f"  ({p50 / floor:5.1f}x floor)" if floor else ""
    return f"  {label:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms{ratio}"


def _params(box: mapdata.BBox, zoom: int) -> dict[str, str | int]:
    return {"bbox": f"{box.west},{box.south},{box.east},{box.north}", "zoom": zoom}


def _in_process(
    settings: Settings, views: Views, box: mapdata.BBox, zoom: int
) -> Callable[[], Any]:
    engine = make_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    query = mapdata.MapQuery(bbox=box, zoom=zoom)

    def call() -> Any:
        with transaction(sessions) as session:
            return mapdata.to_geojson(
                mapdata.map_data(session, scope_path=views.scope_path, query=query)
            )

    return call


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    """Sign in through the staff form, as the map page's browser does (session cookie)."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/login").text)
    assert match, "no CSRF token on /login"
    form = {"username": username, "password": password, "csrf_token": match.group(1)}
    assert client.post("/login", data=form).status_code == 303


def _http(client: httpx.Client, box: mapdata.BBox, zoom: int) -> Callable[[], httpx.Response]:
    params = _params(box, zoom)

    def call() -> httpx.Response:
        return client.get(MAP_URL, params=params).raise_for_status()

    return call


def measure_view(
    client: httpx.Client, settings: Settings, views: Views, view: tuple[str, mapdata.BBox, int]
) -> None:
    """One view: what it returns, then its HTTP and in-process timings."""
    name, box, zoom = view
    reply = _http(client, box, zoom)().json()
    kind = f"{len(reply['features'])} {reply['mode']}, {reply['total']:,} sites in view"
    print(f"  {name} view, zoom {zoom}: {kind}")
    http = timed(_http(client, box, zoom), views.requests)
    service = timed(_in_process(settings, views, box, zoom), views.requests)
    print(line(f"{name}: GET {MAP_URL}", http, views.floor))
    print(line(f"{name}: same service call in-process", service, views.floor))


def measure(settings: Settings, views: Views, requests: int) -> None:
    """Time the /healthz floor, then both views over HTTP and in-process."""
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        sign_in(client, "commissioner", views.password)
        floor = timed(lambda: client.get("/healthz").raise_for_status(), requests)
        print(line("GET /healthz (HTTP floor)", floor))
        timing = replace(views, floor=statistics.median(floor), requests=requests)
        measure_view(client, settings, timing, ("city-wide", views.city, CITY_ZOOM))
        measure_view(client, settings, timing, ("street-level", views.street, STREET_ZOOM))


@contextmanager
def pg_database(server: str) -> Iterator[str]:
    """A new database on the PostgreSQL server, dropped afterwards."""
    server = server.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"nigrani_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(label: str, database_url: str, var_dir: Path, sites: int, requests: int) -> None:
    """One database: build it, then print its figures."""
    print(f"\n{label}")
    settings = Settings(database_url=database_url, var_dir=var_dir, demo=True, cookie_secure=False)
    views = prepare(settings, sites)
    measure(settings, views, requests)


def main() -> None:
    """Parse arguments and run on SQLite, then PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(
        f"bench_map: {args.sites:,} sites, {args.requests} requests per figure, "
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
