"""Pages read without SQLite's writer lock, and a request the database cannot take in time is
a 503 with Retry-After, never a 500 (issue 13: 8 compliance PDFs made other users' pages
wait ~10 s and 54 requests got `500 database is locked`).

These run on a database of their own, not the rolled-back test transaction, so every
request has its own connection and transaction, as in production. The lock tests are about
SQLite's writer lock and always use a SQLite file; the concurrent one runs on both.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.core import db
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from tests import serving
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import fresh_database_url, make_settings

PAGES = ("/grievances", "/cameras", "/stations/compliance", "/stations/compliance/report.pdf")
PDF = "/stations/compliance/report.pdf"


def _app(url: str, var: Path) -> FastAPI:
    settings = make_settings(url, var)
    upgrade(settings)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as session:
        make_tree(session)
        make_staff(session, Role.SHO, "S1", username="sho")
        make_staff(session, Role.STATION_STAFF, "S1", username="desk")
        make_staff(session, Role.COMMISSIONER, "C", username="commish")
    engine.dispose()
    return create_app(settings)


@pytest.fixture()
def sqlite_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    # A short wait, so a refused writer is refused at once (the pragma reads it at connect).
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.05)
    app = _app(f"sqlite:///{tmp_path / 'reads.sqlite3'}", tmp_path / "var")
    yield app
    app.state.engine.dispose()


def _walk_in(client: httpx.Client | TestClient, token: str, n: int) -> httpx.Response:
    data = {
        "category": "cyber_fraud",
        "text": f"Money taken from my account by a fake call, visit {n}.",
        "mobile": "98765 43210",
        "station_code": "S1",
        "language": "en",
        "csrf_token": token,
    }
    return client.post("/grievances/walk-in", data=data, follow_redirects=False)


def test_pages_answer_while_a_writer_holds_the_lock_and_a_waiting_write_is_a_503(
    sqlite_app: FastAPI,
) -> None:
    with TestClient(sqlite_app) as client:
        assert login(client, "sho").status_code == 303
        token = csrf_from(client, "/grievances/walk-in")
        lock = db.writer_lock(str(sqlite_app.state.engine.url))
        assert lock.acquire(timeout=0)  # a writer of this process, busy for as long as we ask
        try:
            assert [client.get(path).status_code for path in PAGES] == [200] * len(PAGES)
            refused = _walk_in(client, token, 1)
            api = client.post(
                "/api/v1/incidents",
                json={},
                headers={"X-CSRF-Token": token, "Accept": "application/json"},
            )
        finally:
            lock.release()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(db.RETRY_AFTER_S)
        assert "Wait a few seconds and try again" in refused.text
        assert api.status_code == 503 and api.json()["error"]["code"] == "busy"
        assert _walk_in(client, token, 2).status_code == 303  # the lock is free again


def test_another_process_holding_the_database_is_a_503_not_a_500(sqlite_app: FastAPI) -> None:
    with TestClient(sqlite_app) as client:
        assert login(client, "sho").status_code == 303
        token = csrf_from(client, "/grievances/walk-in")
        path = str(sqlite_app.state.engine.url.database)
        other = sqlite3.connect(path, isolation_level=None)  # the CLI, a separate scheduler
        try:
            other.execute("BEGIN IMMEDIATE")
            assert client.get("/grievances").status_code == 200  # WAL: readers go on
            refused = _walk_in(client, token, 1)  # SQLite's own "database is locked"
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(db.RETRY_AFTER_S)
        assert _walk_in(client, token, 2).status_code == 303


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[str]:
    for url in fresh_database_url(tmp_path):
        app = _app(url, tmp_path / "var")
        try:
            with serving.in_thread(app) as base:
                yield base
        finally:
            app.state.engine.dispose()


def _signed_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    assert login(client, username).status_code == 303  # type: ignore[arg-type]
    return client


def _same_browser(client: httpx.Client) -> httpx.Client:
    """Another connection with the same cookies (one sign-in, hashed once)."""
    return httpx.Client(base_url=client.base_url, timeout=60, cookies=client.cookies)


def test_pdfs_pages_and_writes_together_get_no_server_error(served: str) -> None:
    first = _signed_in(served, "commish")
    readers = [first, *(_same_browser(first) for _ in range(7))]
    pdf_readers = readers[:4]
    desk = _signed_in(served, "desk")
    token = csrf_from(desk, "/grievances/walk-in")  # type: ignore[arg-type]
    start = threading.Barrier(16)

    def pdf(client: httpx.Client) -> int:
        start.wait()
        answer = client.get(PDF)
        assert answer.status_code != 200 or answer.content.startswith(b"%PDF")
        return answer.status_code

    def page(n: int) -> int:
        start.wait()
        return readers[n].get(PAGES[n % 3]).status_code

    def write(n: int) -> int:
        start.wait()
        return _walk_in(desk, token, n).status_code

    try:
        with ThreadPoolExecutor(16) as pool:
            pdfs = [pool.submit(pdf, client) for client in pdf_readers]
            pages = [pool.submit(page, n) for n in range(8)]
            writes = [pool.submit(write, n) for n in range(4)]
            statuses = [f.result() for f in (*pdfs, *pages, *writes)]
    finally:
        for client in (*readers, desk):
            client.close()
    assert statuses == [200] * 12 + [303] * 4
