"""Long work holds no write transaction: while a PDF renders, or an evidence bundle's files
are re-hashed and zipped, SQLite's writer lock is free for other users' requests (issue 13).

The app runs on a SQLite file of its own (the lock is SQLite's), not the rolled-back test
transaction; each long step is wrapped to note whether the lock was free when it ran.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from nigrani.accounts.models import User
from nigrani.accounts.roles import Role
from nigrani.app import create_app
from nigrani.cameras import report_pdf
from nigrani.core import audit, db, pdf
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.evidence import bundle, store
from nigrani.stations import compliance_pdf
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.canvass.factories import make_incident
from tests.conftest import make_settings


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    settings = make_settings(f"sqlite:///{tmp_path / 'long.sqlite3'}", tmp_path / "var")
    upgrade(settings)
    return settings


@pytest.fixture()
def app(settings: Settings) -> Iterator[FastAPI]:
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        make_tree(session)
        make_staff(session, Role.COMMISSIONER, "C", username="commish")
        officer = make_staff(session, Role.INVESTIGATING_OFFICER, "S1", username="officer")
        incident = make_incident(session, officer)
        store.receive(
            session,
            settings=settings,
            stream=io.BytesIO(b"\x00\x01 gate camera, 10:15 to 10:20 " * 4096),
            original_name="gate.bin",
            media_type="application/octet-stream",
            kind="footage",
            actor=audit.Actor(None, "owner (link)"),
            incident_id=incident.id,
            node_path=incident.node_path,
        )
    engine.dispose()
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


Seen = list[tuple[str, bool]]


def _watch(
    monkeypatch: pytest.MonkeyPatch, app: FastAPI, seen: Seen, target: Any, name: str
) -> None:
    """Wrap target.name to note, each time it runs, whether the writer lock is free."""
    lock = db.writer_lock(str(app.state.engine.url))
    inner: Callable[..., Any] = getattr(target, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        free = lock.acquire(timeout=0)
        if free:
            lock.release()
        seen.append((name, free))
        return inner(*args, **kwargs)

    monkeypatch.setattr(target, name, watched)


def test_pdfs_render_with_the_writer_lock_free(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: Seen = []
    _watch(monkeypatch, app, seen, compliance_pdf, "render")
    _watch(monkeypatch, app, seen, report_pdf, "render")
    with TestClient(app) as client:
        assert login(client, "commish").status_code == 303
        for path in ("/stations/compliance/report.pdf", "/cameras/report.pdf"):
            answer = client.get(path)
            assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert seen == [("render", True), ("render", True)]


def test_a_bundle_is_hashed_and_zipped_with_the_writer_lock_free(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: Seen = []
    _watch(monkeypatch, app, seen, store, "check_item")
    _watch(monkeypatch, app, seen, bundle, "_write_zip")
    _watch(monkeypatch, app, seen, bundle, "_certificates")
    with TestClient(app) as client:
        assert login(client, "officer").status_code == 303
        token = csrf_from(client, "/incidents/1")
        reply = client.post(
            "/incidents/1/export",
            data={"reason": "Charge sheet, court of CJM Kanpur Nagar", "csrf_token": token},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        assert client.get(reply.headers["location"]).status_code == 200
    assert seen == [("check_item", True), ("_certificates", True), ("_write_zip", True)]
    with make_sessionmaker(app.state.engine)() as session:  # and everything was recorded
        actions = session.scalars(
            select(audit.AuditEntry.action).where(audit.AuditEntry.object_type == "evidence_bundle")
        ).all()
        assert actions == [bundle.EXPORTED]
        assert session.scalar(select(User.id).where(User.username == "officer")) is not None


def test_renders_take_turns_and_a_full_line_is_told_to_come_back(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = threading.BoundedSemaphore(1)
    monkeypatch.setattr(pdf, "_line", line)
    with TestClient(app) as client:
        assert login(client, "commish").status_code == 303
        assert line.acquire(blocking=False)  # someone else's report fills the line
        try:
            refused = client.get("/stations/compliance/report.pdf")
        finally:
            line.release()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(pdf.RETRY_AFTER_S)
        assert "Wait a few seconds and try again" in refused.text
        assert client.get("/cameras/report.pdf").status_code == 200
