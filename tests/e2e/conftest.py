"""A live Nigrani demo server (migrated, Kanpur demo seeded, scheduler running) and
Debian's Chromium driven by Playwright. One server and one browser for the whole session;
a fresh browser context for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from nigrani.app import create_app
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.seed import DemoLogin, seed_tree, seed_users
from tests import serving
from tests.conftest import fresh_database_url, make_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}
TIMEOUT_MS = 10_000

OpenPage = Callable[..., Page]
"""Opens a page in a new browser context; keyword arguments override DESKTOP."""


@dataclass(frozen=True, slots=True)
class LiveServer:
    """The running demo: its address, the demo sign-ins and the size of the demo tree."""

    url: str
    logins: dict[str, DemoLogin]
    nodes: int
    settings: Settings


def _seed(settings: Settings) -> tuple[int, list[DemoLogin]]:
    upgrade(settings)
    engine = make_engine(settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            nodes, logins = seed_tree(session), seed_users(session)
            seed_cameras(session, settings)
            seed_grievances(session, settings)
            return nodes, logins
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from fresh_database_url(tmp_path_factory.mktemp("e2e-db"))


@pytest.fixture(scope="session")
def live_server(
    e2e_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The demo, served by uvicorn on a free local port in a background thread."""
    settings = make_settings(
        e2e_database_url, tmp_path_factory.mktemp("e2e-var"), demo=True, default_language="hi"
    )
    nodes, logins = _seed(settings)
    with serving.in_thread(create_app(settings, run_scheduler=True), lifespan="on") as url:
        yield LiveServer(url, {login.username: login for login in logins}, nodes, settings)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def pages_on(browser: Browser, url: str) -> Iterator[OpenPage]:
    """A factory of pages on the server at `url`, each in its own context (own cookies);
    the contexts close when the generator does (a fixture's teardown)."""
    contexts: list[BrowserContext] = []

    def open_(**options: Any) -> Page:
        context = browser.new_context(base_url=url, **{**DESKTOP, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture()
def open_page(browser: Browser, live_server: LiveServer) -> Iterator[OpenPage]:
    """A factory of pages, each in its own context (own cookies), closed after the test."""
    yield from pages_on(browser, live_server.url)


@pytest.fixture()
def page(open_page: OpenPage) -> Page:
    """A desktop page (1280×800, en-US) in a fresh context."""
    return open_page()
