"""The audit chain's anchor through `nigrani audit`: signed checkpoints kept off the
database catch what the chain alone cannot (dropped newest rows, a re-hashed rewrite),
and a forged checkpoint line is caught too."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text, update
from typer.testing import Result

from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import new_token
from tests.conftest import Freeze, command_env, fresh_database_url, invoke, make_settings

KEY, OLD_KEY = new_token(32), new_token(32)
T0 = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def chain_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """One database for the module; each test starts from an empty chain (`env`)."""
    tmp = tmp_path_factory.mktemp("anchor")
    for url in fresh_database_url(tmp):
        upgrade(make_settings(url, tmp))
        engine = make_engine(url)
        yield url, engine
        engine.dispose()


@pytest.fixture()
def env(chain_db: tuple[str, Engine], tmp_path: Path) -> dict[str, str]:
    url, engine = chain_db
    _tamper(engine, "DELETE FROM audit_log", "UPDATE audit_head SET seq = 0, last_hash = :g")
    return command_env(
        url,
        tmp_path / "var",
        NIGRANI_AUDIT_KEY=KEY,
        NIGRANI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )


def run(env: dict[str, str], *args: str) -> Result:
    return invoke({"COLUMNS": "200", **env}, *args)


def _reveals(engine: Engine, n: int) -> None:
    """n audited reveals of an owner's contact by one officer, one transaction each."""
    factory = make_sessionmaker(engine)
    for i in range(n):
        with transaction(factory) as session:
            audit.record(
                session,
                actor=audit.Actor(7, "sho.kotwali"),
                action="camera.owner_revealed",
                object_type="camera_site",
                object_id=100 + i,
                reason="theft near the shop",
                reference=f"FIR-{i}/2026",
            )


def _tamper(engine: Engine, *statements: str) -> None:
    """What someone who can write the database does: guard off, change, guard back on."""
    with engine.begin() as conn:
        restore = _guard_off(conn)
        for statement in statements:
            conn.execute(text(statement), {"g": audit.GENESIS} if ":g" in statement else {})
        for statement in restore:
            conn.execute(text(statement))


def _guard_off(conn: Connection) -> list[str]:
    if conn.dialect.name != "sqlite":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        return ["ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"]
    triggers = conn.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": "audit_log"},
    ).all()
    for name, _sql in triggers:
        conn.execute(text(f"DROP TRIGGER {name}"))
    return [sql for _name, sql in triggers]


def _rehash_from(engine: Engine, first: int, **changes: object) -> None:
    """Edit row `first`, then re-hash it and every later row and move the head: the chain
    is consistent again, so the chain check alone finds nothing."""
    with engine.begin() as conn:
        restore = _guard_off(conn)
        factory = make_sessionmaker(engine)
        with factory(bind=conn) as session:
            rows = list(session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id)))
            session.expunge_all()
        prev = rows[first - 2].row_hash if first > 1 else audit.GENESIS
        for entry in rows[first - 1 :]:
            if entry.id == first:
                for name, value in changes.items():
                    setattr(entry, name, value)
            entry.prev_hash = prev
            entry.row_hash = prev = audit.row_hash(entry)
            values = {**changes} if entry.id == first else {}
            conn.execute(
                update(audit.AuditEntry)
                .where(audit.AuditEntry.id == entry.id)
                .values(prev_hash=entry.prev_hash, row_hash=entry.row_hash, **values)
            )
        conn.execute(update(audit.AuditHead).values(last_hash=prev))
        for statement in restore:
            conn.execute(text(statement))


def _lines(env: dict[str, str]) -> list[str]:
    return Path(env["NIGRANI_AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()


def test_intact_chain_is_proven_up_to_its_checkpoint(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    engine = chain_db[1]
    _reveals(engine, 5)
    made = run(env, "audit", "checkpoint")
    assert made.exit_code == 0, made.output
    [line] = _lines(env)
    fields = json.loads(line)
    assert (fields["row_id"], fields["count"]) == (5, 5) and len(fields["mac"]) == 64
    assert fields["kid"] in made.output and line in made.output
    _reveals(engine, 2)
    verified = run(env, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "Audit chain intact: 7 rows" in verified.output
    assert "1 with a valid MAC" in verified.output
    assert "Proven: rows 1–5" in verified.output
    assert "rows 6–7 came after the last matching checkpoint" in verified.output


def test_dropped_newest_rows_are_a_truncation(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    engine = chain_db[1]
    _reveals(engine, 6)
    assert run(env, "audit", "checkpoint").exit_code == 0
    with engine.connect() as conn:
        row4 = conn.scalar(select(audit.AuditEntry.row_hash).where(audit.AuditEntry.id == 4))
    _tamper(engine, "DELETE FROM audit_log WHERE id > 4", "UPDATE audit_head SET seq = 4")
    with engine.begin() as conn:
        conn.execute(update(audit.AuditHead).values(last_hash=row4))
    result = run(env, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "Audit chain intact: 4 rows" in result.output  # the chain alone is fooled
    assert "TRUNCATED" in result.output and "recorded 6 rows" in result.output
    assert "Proven" not in result.output


def test_an_edited_and_rehashed_chain_is_a_rewrite(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    engine = chain_db[1]
    _reveals(engine, 3)
    assert run(env, "audit", "checkpoint").exit_code == 0
    _reveals(engine, 3)
    assert run(env, "audit", "checkpoint").exit_code == 0
    _rehash_from(engine, 5, actor_id=None, actor_label="system")  # the reveal re-attributed
    result = run(env, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "Audit chain intact: 6 rows" in result.output
    assert "REWRITTEN: row 6" in result.output and "from 4 to 6" in result.output
    assert "Proven: rows 1–3" in result.output  # the earlier checkpoint still holds


def test_a_forged_checkpoint_line_is_reported(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    engine = chain_db[1]
    _reveals(engine, 4)
    assert run(env, "audit", "checkpoint").exit_code == 0
    genuine = json.loads(_lines(env)[0])
    forged = {**genuine, "count": 2, "row_id": 2}  # "the chain was only 2 rows long"
    with open(env["NIGRANI_AUDIT_CHECKPOINT_FILE"], "a") as handle:
        handle.write(json.dumps(forged) + "\n")
    result = run(env, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "FORGED checkpoint" in result.output and "checkpoints.jsonl line 2" in result.output
    assert "Proven: rows 1–4" in result.output  # the genuine line still counts


def test_rotated_keys_check_old_checkpoints_and_note_unknown_ones(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    engine = chain_db[1]
    _reveals(engine, 2)
    assert run({**env, "NIGRANI_AUDIT_KEY": OLD_KEY}, "audit", "checkpoint").exit_code == 0
    _reveals(engine, 1)
    rotated = {**env, "NIGRANI_AUDIT_KEY": f"{KEY},{OLD_KEY}"}
    assert run(rotated, "audit", "checkpoint").exit_code == 0
    both = run(rotated, "audit", "verify")
    assert both.exit_code == 0 and "2 with a valid MAC" in both.output, both.output
    new_only = run(env, "audit", "verify")
    assert new_only.exit_code == 0, new_only.output
    assert "not checked, signed with a key not configured now" in new_only.output
    assert "line 1" in new_only.output and "Proven: rows 1–3" in new_only.output


def test_the_scheduler_signs_checkpoints_to_file_and_syslog(
    env: dict[str, str], chain_db: tuple[str, Engine], freeze: Freeze
) -> None:
    clock = freeze(T0)
    engine = chain_db[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as syslog:
        syslog.bind(("127.0.0.1", 0))
        syslog.settimeout(10)
        sched = {**env, "NIGRANI_AUDIT_CHECKPOINT_SYSLOG": f"127.0.0.1:{syslog.getsockname()[1]}"}
        _reveals(engine, 2)
        assert run(sched, "scheduler", "--once").exit_code == 0
        received = syslog.recv(4096).decode()
        _reveals(engine, 1)
        assert run(sched, "scheduler", "--once").exit_code == 0  # not due yet
        clock.advance(timedelta(minutes=10))
        assert run(sched, "scheduler", "--once").exit_code == 0
        received += "\n" + syslog.recv(4096).decode()
    counts = [json.loads(line)["count"] for line in _lines(env)]
    assert counts == [2, 3]
    assert "nigrani-audit:" in received and json.loads(_lines(env)[0])["at"] == T0.isoformat()
    copy = Path(env["NIGRANI_VAR_DIR"]).parent / "from-syslog.log"
    copy.write_text(received.replace("\x00", ""))
    verified = run(env, "audit", "verify", "--checkpoints", str(copy))
    assert verified.exit_code == 0 and "2 with a valid MAC" in verified.output, verified.output


def test_the_scheduler_never_signs_over_a_rewrite(
    env: dict[str, str],
    chain_db: tuple[str, Engine],
    freeze: Freeze,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = freeze(T0)
    engine = chain_db[1]
    _reveals(engine, 3)
    assert run(env, "scheduler", "--once").exit_code == 0
    _rehash_from(engine, 2, reason="nothing happened")
    _reveals(engine, 1)
    clock.advance(timedelta(minutes=10))
    assert run(env, "scheduler", "--once").exit_code == 0  # the task logs, the loop goes on
    assert [json.loads(line)["count"] for line in _lines(env)] == [3]
    assert "row 3 is gone or changed since this process signed it" in caplog.text


def test_verify_says_what_it_cannot_prove_without_a_key(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    _reveals(chain_db[1], 1)
    bare = {k: v for k, v in env.items() if not k.startswith("NIGRANI_AUDIT_")}
    result = run(bare, "audit", "verify")
    assert result.exit_code == 0 and "intact" in result.output
    assert "not anchored" in result.output
    refused = run(bare, "audit", "checkpoint")
    assert refused.exit_code == 1 and "nigrani keygen" in refused.output


def test_settings_that_would_anchor_nothing_are_refused(env: dict[str, str]) -> None:
    no_key = {k: v for k, v in env.items() if k != "NIGRANI_AUDIT_KEY"}
    result = run(no_key, "audit", "verify")
    assert result.exit_code == 2 and "need NIGRANI_AUDIT_KEY" in result.output
    short = run({**env, "NIGRANI_AUDIT_KEY": "tooshort"}, "audit", "verify")
    assert short.exit_code == 2 and "32+ characters" in short.output
    syslog = run({**env, "NIGRANI_AUDIT_CHECKPOINT_SYSLOG": "loghost"}, "audit", "verify")
    assert syslog.exit_code == 2 and "host:port" in syslog.output
    both = run({**env, "NIGRANI_AUDIT_KEY_FILE": "/nonexistent"}, "audit", "verify")
    assert both.exit_code == 2 and "not both" in both.output


def test_keys_from_a_key_file(
    env: dict[str, str], chain_db: tuple[str, Engine], tmp_path: Path
) -> None:
    _reveals(chain_db[1], 1)
    key_file = tmp_path / "audit.key"
    key_file.write_text(f"# newest first\n{KEY}\n{OLD_KEY}\n")
    from_file = {k: v for k, v in env.items() if k != "NIGRANI_AUDIT_KEY"}
    from_file["NIGRANI_AUDIT_KEY_FILE"] = str(key_file)
    assert run({**env, "NIGRANI_AUDIT_KEY": OLD_KEY}, "audit", "checkpoint").exit_code == 0
    assert run(from_file, "audit", "checkpoint").exit_code == 0
    lines = [json.loads(line) for line in _lines(env)]
    assert lines[0]["kid"] != lines[1]["kid"]  # the file's first key signs
    verified = run(from_file, "audit", "verify")
    assert verified.exit_code == 0 and "2 with a valid MAC" in verified.output, verified.output
    key_file.write_text("# nothing yet\n")
    empty = run(from_file, "audit", "verify")
    assert empty.exit_code == 2 and "holds no key" in empty.output


def test_the_demo_makes_its_own_key(env: dict[str, str], chain_db: tuple[str, Engine]) -> None:
    _reveals(chain_db[1], 2)
    demo = {k: v for k, v in env.items() if not k.startswith("NIGRANI_AUDIT_")}
    demo["NIGRANI_DEMO"] = "1"
    assert run(demo, "audit", "checkpoint").exit_code == 0
    var = Path(env["NIGRANI_VAR_DIR"])
    key = var / "audit.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_text().strip()) >= 32
    assert len((var / "audit-checkpoints.jsonl").read_text().splitlines()) == 1
    verified = run(demo, "audit", "verify")
    assert verified.exit_code == 0 and "Proven: rows 1–2" in verified.output, verified.output


def test_an_unhashed_edit_breaks_the_chain_and_bounds_what_is_proven(
    env: dict[str, str], chain_db: tuple[str, Engine], tmp_path: Path
) -> None:
    engine = chain_db[1]
    _reveals(engine, 3)
    assert run(env, "audit", "checkpoint").exit_code == 0
    _reveals(engine, 2)
    assert run(env, "audit", "checkpoint").exit_code == 0
    with open(env["NIGRANI_AUDIT_CHECKPOINT_FILE"], "a") as handle:
        handle.write('{"type": "nigrani.audit.checkpoint", "v": 1, "row_id": \n')
    _tamper(engine, "UPDATE audit_log SET reason = 'nothing happened' WHERE id = 4")
    missing = tmp_path / "elsewhere.jsonl"
    result = run(
        env,
        "audit",
        "verify",
        "--checkpoints",
        env["NIGRANI_AUDIT_CHECKPOINT_FILE"],
        "--checkpoints",
        str(missing),
    )
    assert result.exit_code == 1, result.output
    assert "Audit chain broken at row 4" in result.output
    assert "Proven: rows 1–3" in result.output  # row 5's checkpoint cannot vouch for row 4
    assert "unreadable checkpoint line" in result.output and "line 3" in result.output
    assert f"{missing} does not exist" in result.output


def test_checkpoint_refuses_a_head_that_names_another_hash(
    env: dict[str, str], chain_db: tuple[str, Engine]
) -> None:
    _reveals(chain_db[1], 2)
    with chain_db[1].begin() as conn:
        conn.execute(update(audit.AuditHead).values(last_hash="f" * 64))
    refused = run(env, "audit", "checkpoint")
    assert refused.exit_code == 1 and "nothing signed" in refused.output
    assert not Path(env["NIGRANI_AUDIT_CHECKPOINT_FILE"]).exists()
