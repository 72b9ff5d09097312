"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when
NIGRANI_TEST_DATABASE_URL is set), one savepoint rolled back per test, and an HTTP client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import typer

# Commands print through rich consoles made at import, whose width comes from the terminal
# they find, which differs between a plain run and an xdist worker: give them one.
os.environ["COLUMNS"] = "200"
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from nigrani.app import create_app
from nigrani.core import clock as clocks
from nigrani.core import security
from nigrani.core.config import Settings, get_settings
from nigrani.core.db import make_engine
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key

PG_ENV = "NIGRANI_TEST_DATABASE_URL"
# Real media the tests send (OpenCV's vtest.avi …): ../shared/data beside the checkout.
MEDIA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The SMS fake gateway and an app that sends through it, for tests of any feature.
pytest_plugins = ["tests.core.sms_fixtures"]

# Passwords hash with argon2's cheapest profile in tests: the product's default costs about
# 0.36 s a hash on a CI machine, and every test user and sign-in pays it. A hash records its
# own parameters, so verifying and the product's rules are the same with either profile.
security._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


def _admin_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_database_url(tmp: Path) -> Iterator[str]:
    """A new empty database: a SQLite file, or a new database on the PostgreSQL server."""
    server = os.environ.get(PG_ENV)
    if not server:
        yield f"sqlite:///{tmp / f'nigrani-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"nigrani_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(_admin_url(server)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_settings(database_url: str, var_dir: Path, **overrides: object) -> Settings:
    """Production-like settings (not demo) for tests."""
    values: dict[str, object] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "secret_key": TEST_SECRET,
        "encryption_key": TEST_KEY,
        "cookie_secure": False,
        "default_language": "en",
        # One core for the detector: the other test worker's live streams need the other.
        "analytics_detector_threads": 1,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


TEST_KEY = generate_key()
TEST_SECRET = "t" * 40


def command_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The NIGRANI_* variables of a command on a test database, with make_settings' keys
    (add `**os.environ` for a process)."""
    return {
        "NIGRANI_DATABASE_URL": database_url,
        "NIGRANI_SECRET_KEY": TEST_SECRET,
        "NIGRANI_ENCRYPTION_KEY": TEST_KEY,
        "NIGRANI_VAR_DIR": str(var_dir),
        **extra,
    }


def invoke(
    env: dict[str, str], *args: str, app: typer.Typer | None = None, stdin: str | None = None
) -> Result:
    """Run a `nigrani` command (or a sub-app's) in-process with env; settings read afresh."""
    from nigrani.cli import app as nigrani

    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app or nigrani, list(args), env=env, input=stdin)
    finally:
        get_settings.cache_clear()


@pytest.fixture()
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh empty database, and the environment of a command on it (var under tmp_path)."""
    for url in fresh_database_url(tmp_path):
        yield command_env(url, tmp_path / "var")


def required_media(path: Path) -> Path:
    """path, if it exists; otherwise the test fails (it is never skipped), naming the path."""
    if not path.exists():
        where = f"the test media folder {MEDIA} (../shared/data beside the checkout)"
        pytest.fail(f"{path} is missing: the tests need {where}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared_media() -> Path:
    """The folder of real test media."""
    return required_media(MEDIA)


@pytest.fixture(scope="session")
def vtest(shared_media: Path) -> Path:
    """OpenCV's vtest.avi (8 MB of real outdoor video)."""
    return required_media(shared_media / "vtest.avi")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(database_url, tmp_path_factory.mktemp("var"))


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    upgrade(settings)
    engine = make_engine(settings.db_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture()
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits only release a savepoint of the test's outer transaction."""
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture()
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    session = sessions()
    yield session
    session.close()


class SwitchClock:
    """The test's one clock: the system's until the test freezes it, then a FixedClock.

    The app's routes (through its clock) and the test's own code (bound in its thread)
    read the same object, so a test never mixes a fixed date with the real clock."""

    def __init__(self) -> None:
        self.fixed: clocks.FixedClock | None = None

    def now(self) -> datetime:
        return (self.fixed or clocks.SYSTEM).now()


@pytest.fixture()
def clock() -> Iterator[SwitchClock]:
    test_clock = SwitchClock()
    with clocks.use(test_clock):
        yield test_clock


Freeze = Callable[[datetime], clocks.FixedClock]


@pytest.fixture()
def freeze(clock: SwitchClock) -> Freeze:
    """`freeze(moment)`: from now on "now" is `moment` (move it with `.advance`)."""

    def at(moment: datetime) -> clocks.FixedClock:
        clock.fixed = clocks.FixedClock(moment)
        return clock.fixed

    return at


@pytest.fixture(scope="session")
def shared_app(settings: Settings) -> FastAPI:
    """One app per worker for the session's settings: FastAPI builds a new app's routes
    (every dependency's signature) in about a third of a second, which each test would pay
    again. Tests that need other settings build their own app."""
    return create_app(settings)


@pytest.fixture()
def app(
    shared_app: FastAPI, sessions: sessionmaker[Session], clock: SwitchClock
) -> Iterator[FastAPI]:
    """The app with this test's sessions and clock; what a test or a request puts in its
    state (a live-view grant table, say) is gone before the next test."""
    state = dict(shared_app.state._state)
    shared_app.state.sessions, shared_app.state.clock = sessions, clock
    try:
        yield shared_app
    finally:
        shared_app.state._state.clear()
        shared_app.state._state.update(state)
        shared_app.dependency_overrides.clear()


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture()
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser (its own cookies) against the same app."""
    with TestClient(app) as test_client:
        yield test_client


# Tests that hold real-time streams or fixed ports run one after another on one worker
# (`--dist loadgroup`): two of them side by side on two cores starve each other's real-time
# work, and the demo process binds the demo's fixed camera ports. Everything else, browser
# pages included (each worker has its own demo server and browser), spreads over the
# workers.
SERIAL_FILES = {
    "demo/test_demo_process.py",
    "e2e/test_demo_wall.py",
    "e2e/test_stations.py",
}
SERIAL_FIXTURES = {"rtsp_cameras"}
LAST_FILES = {"analytics/test_worker.py"}


def _relative(item: pytest.Item) -> str:
    return item.path.relative_to(Path(__file__).parent).as_posix()


# Files whose tests use no database (media, models, rules' logic, templates): CI runs them in
# its SQLite pass only, and its PostgreSQL pass (NIGRANI_TEST_DATABASE_ONLY=1) leaves them
# out, since a second database cannot change what they test. A test in one of them that asks
# for a database fixture stops the run, so the list cannot hide a database test.
DATABASE_FREE_FILES = {
    "analytics/test_audio.py",
    "analytics/test_detector.py",
    "analytics/test_rules.py",
    "analytics/test_tracking.py",
    "analytics/test_zones.py",
    "core/test_i18n.py",
    "core/test_sms_templates.py",
    "demo/test_kanpur.py",
    "health/test_eval_cli.py",
    "health/test_picture.py",
    "health/test_probe.py",
    "hearings/test_eta.py",
    "hearings/test_queue.py",
    "hearings/test_windows.py",
    "stations/test_simulator.py",
    "stations/test_simulator_faults.py",
    "test_architecture.py",
    "test_media.py",
}
DATABASE_FIXTURES = {"database_url", "engine", "cli_env", "e2e_database_url", "live_server"}
DATABASE_ONLY_ENV = "NIGRANI_TEST_DATABASE_ONLY"


def _database_only(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check DATABASE_FREE_FILES, and leave their tests out when DATABASE_ONLY_ENV is set."""
    free = [item for item in items if _relative(item) in DATABASE_FREE_FILES]
    for item in free:
        if asked := DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            raise pytest.UsageError(
                f"{item.nodeid} uses {sorted(asked)}: take its file out of DATABASE_FREE_FILES"
            )
    if os.environ.get(DATABASE_ONLY_ENV) == "1" and free:
        config.hook.pytest_deselected(items=free)
        items[:] = [item for item in items if _relative(item) not in DATABASE_FREE_FILES]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _database_only(config, items)
    for item in items:
        if _relative(item) in SERIAL_FILES or SERIAL_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.xdist_group("streams"))
    # The analytics worker's stream test goes last. It sorts first (tests/analytics), and
    # there it started the session's simulator (tests/stations/conftest.py, serving until
    # the run ends) before the demo's tests, whose cameras take the demo's fixed ports:
    # the later stream tests failed with publishers that kept exiting. (Moving the demo's
    # tests first instead started Playwright early, and a worker's main thread then holds
    # its event loop, which the tests that call asyncio.run refuse.)
    items.sort(key=lambda item: _relative(item) in LAST_FILES)
