"""The evidence store on real files: content addressing, custody, verify, hold and purge."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer import Typer
from typer.testing import CliRunner

from nigrani.core import audit, commands
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.core.errors import NotFound, PayloadTooLarge, ValidationFailed
from nigrani.core.migrate import upgrade
from nigrani.evidence import cli, store
from nigrani.evidence.models import CustodyEvent, EvidenceItem
from tests.conftest import fresh_database_url, make_settings


def _file(tmp_path: Path, data: bytes, name: str = "clip.mp4") -> Path:
    path = tmp_path / "incoming-files" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _receive(
    db: Session, media: Settings, actor: audit.Actor, path: Path, kind: str = "footage"
) -> EvidenceItem:
    with path.open("rb") as stream:
        return store.receive(
            db,
            settings=media,
            stream=stream,
            original_name=f"C:\\Users\\owner\\{path.name}",
            media_type="video/mp4",
            kind=kind,
            actor=actor,
            source="shop camera facing the road",
            delivered_by="owner by upload link",
        )


def _custody(db: Session, item: EvidenceItem) -> list[str]:
    stmt = select(CustodyEvent.action).where(CustodyEvent.item_id == item.id)
    return list(db.scalars(stmt.order_by(CustodyEvent.id)))


def _expire(item: EvidenceItem) -> None:
    item.retention_until = utcnow() - timedelta(days=1)


def test_receive_stores_by_content_and_opens_custody(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    data = os.urandom(3 * store.CHUNK + 17)  # several chunks, the last one partial
    item = _receive(db, media, officer, _file(tmp_path, data))
    sha = hashlib.sha256(data).hexdigest()
    path = media.media_path / "evidence" / sha[:2] / sha
    assert item.sha256 == sha and item.size_bytes == len(data)
    assert path.read_bytes() == data and not os.access(path, os.W_OK | os.X_OK)
    assert item.original_name == "clip.mp4" and item.created_by == officer.id
    assert item.retention_until == item.created_at + timedelta(days=548)
    assert _custody(db, item) == ["received"]
    db.commit()  # audit rows are appended at the commit
    rows = audit.entries_for(db, object_type="evidence", object_id=str(item.id))
    assert [r.action for r in rows] == ["evidence.received"]
    assert json.loads(rows[0].detail)["sha256"] == sha


def test_same_bytes_make_two_items_and_one_file(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    data = os.urandom(4096)
    first = _receive(db, media, officer, _file(tmp_path, data, "a.mp4"))
    second = _receive(db, media, officer, _file(tmp_path, data, "b.mp4"), kind="attachment")
    assert first.id != second.id and first.sha256 == second.sha256
    files = [p for p in (media.media_path / "evidence").rglob("*") if p.is_file()]
    assert files == [store.blob_path(media, first.sha256)]
    assert second.retention_until == second.created_at + timedelta(days=1095)


def test_empty_too_large_and_unknown_kind_are_refused_without_a_trace(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed, match="empty"):
        _receive(db, media, officer, _file(tmp_path, b"", "empty.mp4"))
    big = _file(tmp_path, os.urandom(2048), "big.mp4")
    with pytest.raises(PayloadTooLarge), big.open("rb") as stream:
        store.receive(
            db,
            settings=media,
            stream=stream,
            original_name="big.mp4",
            media_type="video/mp4",
            kind="clip",
            actor=officer,
            max_bytes=1000,
        )
    with pytest.raises(ValidationFailed, match="kind"):
        _receive(db, media, officer, big, kind="rumour")
    assert not [p for p in (media.media_path / "evidence").rglob("*") if p.is_file()]
    assert db.scalars(select(EvidenceItem)).all() == []


def test_view_is_recorded_in_custody_and_audit(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    data = os.urandom(1000)
    item = _receive(db, media, officer, _file(tmp_path, data))
    path = store.open_for_view(db, settings=media, item=item, actor=officer, reason="FIR 12")
    assert path.read_bytes() == data
    assert _custody(db, item) == ["received", "viewed"]
    db.commit()  # audit rows are appended at the commit
    latest = audit.entries_for(db, object_type="evidence", object_id=str(item.id))[0]
    assert latest.action == "evidence.viewed" and latest.reason == "FIR 12"
    assert latest.actor_id == officer.id
    db.commit()
    assert audit.verify(db).ok


def test_verify_reports_tampered_and_missing_files(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    kept = _receive(db, media, officer, _file(tmp_path, os.urandom(5000), "kept.mp4"))
    tampered = _receive(db, media, officer, _file(tmp_path, os.urandom(5000), "t.mp4"))
    lost = _receive(db, media, officer, _file(tmp_path, os.urandom(5000), "lost.mp4"))
    seen: list[tuple[int, int]] = []
    assert store.verify_all(db, settings=media, progress=lambda d, t: seen.append((d, t))) == []
    assert seen[-1] == (3, 3)

    path = store.blob_path(media, tampered.sha256)
    path.chmod(0o640)
    raw = bytearray(path.read_bytes())
    raw[2500] ^= 0x01
    path.write_bytes(bytes(raw))
    store.blob_path(media, lost.sha256).unlink()

    problems = store.verify_all(db, settings=media)
    assert [(p.item_id, p.problem) for p in problems] == [
        (tampered.id, "mismatch"),
        (lost.id, "missing"),
    ]
    assert kept.id not in {p.item_id for p in problems}
    found = store.verify_item(db, settings=media, item=tampered, actor=officer)
    assert found is not None and found.problem == "mismatch"
    assert _custody(db, tampered)[-1] == "verified"
    with pytest.raises(NotFound):
        store.open_for_view(db, settings=media, item=lost, actor=officer)


def test_legal_hold_blocks_purge_until_released(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    item = _receive(db, media, officer, _file(tmp_path, os.urandom(800)))
    with pytest.raises(ValidationFailed):
        store.set_hold(db, item=item, hold=True, actor=officer, reason=" ")
    store.set_hold(db, item=item, hold=True, actor=officer, reason="trial pending")
    _expire(item)
    assert store.purge_expired(db, settings=media, now=utcnow()) == []
    assert item.deleted_at is None and store.blob_path(media, item.sha256).is_file()

    store.set_hold(db, item=item, hold=False, actor=officer, reason="case closed")
    assert store.purge_expired(db, settings=media, now=utcnow()) == [item.id]
    assert store.blob_path(media, item.sha256).is_file()  # nothing is unlinked before commit
    db.commit()
    assert item.deleted_at is not None and not store.blob_path(media, item.sha256).exists()
    assert _custody(db, item) == ["received", "hold", "release", "deleted"]
    actions = [
        r.action for r in audit.entries_for(db, object_type="evidence", object_id=str(item.id))
    ]
    assert actions == ["evidence.deleted", "evidence.release", "evidence.hold", "evidence.received"]


def test_purge_removes_a_file_only_when_no_live_item_shares_it(
    db: Session, media: Settings, officer: audit.Actor, tmp_path: Path
) -> None:
    data = os.urandom(1500)
    old = _receive(db, media, officer, _file(tmp_path, data, "old.mp4"))
    new = _receive(db, media, officer, _file(tmp_path, data, "new.mp4"))
    fresh = _receive(db, media, officer, _file(tmp_path, os.urandom(100), "fresh.mp4"))
    path = store.blob_path(media, old.sha256)
    _expire(old)
    assert store.purge_expired(db, settings=media, now=utcnow()) == [old.id]
    assert path.is_file() and new.deleted_at is None
    assert store.verify_all(db, settings=media) == []
    db.commit()

    _expire(new)
    assert store.purge_expired(db, settings=media, now=utcnow()) == [new.id]
    db.rollback()  # a purge that is rolled back leaves the bytes in place
    assert path.is_file()
    _expire(new)
    assert store.purge_expired(db, settings=media, now=utcnow()) == [new.id]
    db.commit()
    assert not path.exists() and store.blob_path(media, fresh.sha256).is_file()
    assert _custody(db, new)[-1] == "deleted"
    assert store.verify_all(db, settings=media) == []  # deleted items are not checked
    with pytest.raises(NotFound):
        store.get_item(db, item_id=new.id)


def _cli_round(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        item = _receive(session, settings, audit.SYSTEM, _file(tmp_path, b"frame"))
    engine.dispose()
    monkeypatch.setattr(commands, "get_settings", lambda: settings)
    command = Typer()
    command.command()(cli.verify_evidence)
    runner = CliRunner()
    assert runner.invoke(command, []).exit_code == 0
    store.blob_path(settings, item.sha256).unlink()
    result = runner.invoke(command, [])
    assert result.exit_code == 1
    assert "missing" in result.output


def test_cli_verify_exits_1_and_lists_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for url in fresh_database_url(tmp_path):
        _cli_round(make_settings(url, tmp_path / "var"), tmp_path, monkeypatch)
