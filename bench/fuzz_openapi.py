"""A bounded fuzz run over /openapi.json with Schemathesis: test cases sent, and 5xx found.

A fresh database (SQLite, then PostgreSQL when NIGRANI_BENCH_PG_URL is set) gets the
Kanpur demo (tree, users, camera sites, incidents, complaints) and API tokens with every
scope; `nigrani serve --no-scheduler` serves it on loopback, and Schemathesis (in a virtual
environment of its own, never in the project's lock file: made under var/fuzz-venv on
first use) sends every operation of the schema up to --examples generated cases per phase,
NUL bytes included, with the administrator's token, then the canvass operations (which an
administrator may not use) again with the commissioner's. The only check is that no answer
is a server error. Printed per database: operations, cases, 5xx answers and the operations
that gave them (method, path, status and the first request that did). Then one Open311 POST
of --oversize-mb without an api_key, by Content-Length and then chunked, in fields under
Starlette's per-field limit: its answer, and the server's RSS before and after.

    .venv/bin/python -m bench.fuzz_openapi [--examples 50] [--seed 1]
    NIGRANI_BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/test \\
      .venv/bin/python -m bench.fuzz_openapi
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bench import serving
from bench.bench_map import PG_ENV, pg_database
from nigrani.accounts import service as accounts
from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key
from nigrani.demo.cameras import seed_cameras
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.incidents import seed_incidents
from nigrani.demo.seed import seed_tree, seed_users

SCHEMATHESIS = "schemathesis==4.32.5"
VENV = Path("var/fuzz-venv")
SCOPES = sorted(accounts.KNOWN_SCOPES)
# (demo user, operations): the administrator everywhere; the commissioner where only
# investigators may go (incidents, the canvass, the camera map).
PASSES = (("admin", ""), ("commissioner", "^/api/v1/(incidents|cameras/map)"))


@dataclass
class Findings:
    """What one run found: cases sent, and each 5xx by operation."""

    operations: set[str] = field(default_factory=set)
    cases: int = 0
    server_errors: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)


def schemathesis() -> Path:
    """The schemathesis command of the fuzz venv, made (and installed into) on first use."""
    command = VENV / "bin" / "schemathesis"
    if not command.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)  # noqa: S603
        pip = [str(VENV / "bin" / "pip"), "install", "--quiet", SCHEMATHESIS]
        subprocess.run(pip, check=True)  # noqa: S603 - our own argv
    return command


def prepare(settings: Settings) -> dict[str, str]:
    """Migrate, seed the demo, issue each pass's user a token with every scope."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            seed_tree(session)
            seed_users(session)
            seed_cameras(session, settings)
            seed_incidents(session, settings)
            seed_grievances(session, settings)
            tokens = {}
            for username, _ in PASSES:
                user = session.scalars(select(User).where(User.username == username)).one()
                issued = accounts.issue_token(
                    session, user=user, name="fuzz", scopes=SCOPES, actor=audit.SYSTEM
                )
                tokens[username] = issued.secret
            return tokens
    finally:
        engine.dispose()


def _read(events: Path, found: Findings) -> None:
    """Cases and 5xx from Schemathesis's NDJSON events: each finished scenario records its
    operation's label and every request it sent with the answer."""
    for line in events.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        recorder = finished.get("recorder") if isinstance(finished, dict) else None
        if not isinstance(recorder, dict) or not recorder.get("interactions"):
            continue
        label = str(recorder.get("label", "?"))
        found.operations.add(label)
        for interaction in recorder["interactions"].values():
            found.cases += 1
            status = int((interaction.get("response") or {}).get("status_code") or 0)
            if status >= 500:
                key = f"{label} -> {status}"
                found.server_errors[key] += 1
                found.first.setdefault(key, str(interaction["request"].get("uri", ""))[:300])


def fuzz(url: str, token: str, only: str, args: argparse.Namespace, found: Findings) -> Path:
    """Run Schemathesis over the served schema (`only`: a path regex); add what it sent and
    what came back 5xx to `found`. The folder it leaves its log and events in."""
    events = Path(tempfile.mkdtemp(prefix="nigrani-fuzz-events-")) / "events.ndjson"
    argv = [
        str(schemathesis()),
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        "2",
        "--generation-allow-x00",
        "true",
        "--continue-on-failure",
        "--request-timeout",
        "30",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(events),
        "--no-color",
        *(["--include-path-regex", only] if only else []),
    ]
    with (events.parent / "schemathesis.log").open("w") as sink:
        subprocess.run(argv, stdout=sink, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    _read(events, found)
    return events.parent


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _post_body(port: int, megabytes: int, *, chunked: bool) -> str:
    """POST megabytes of form fields to Open311 without a key; the status line answered."""
    size, field_ = megabytes * 1000 * 1000, b"a" * (512 * 1024 - 8) + b"&f=aaaaa"
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = f"POST /open311/v2/requests.json HTTP/1.1\r\nHost: fuzz\r\n{framing}\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"{head}Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
        with contextlib.suppress(OSError):  # the server may close before it all went
            for start in range(0, size, len(field_)):
                piece = field_[: size - start]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sock.sendall(b"0\r\n\r\n" if chunked else b"")
        sock.settimeout(10)
        return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def oversize(port: int, pid: int, megabytes: int) -> None:
    """Print what an oversized body without a key gets, and what it costs the server."""
    for chunked in (False, True):
        before = _rss_mib(pid)
        answer = _post_body(port, megabytes, chunked=chunked)
        time.sleep(0.5)
        how = "chunked" if chunked else "by Content-Length"
        print(f"  {megabytes} MB Open311 POST {how}, no key: {answer}; ", end="")
        print(f"server RSS {before:.0f} -> {_rss_mib(pid):.0f} MiB")


def run(label: str, database_url: str, var_dir: Path, args: argparse.Namespace) -> Findings:
    """One database: seed it, serve it, fuzz it, print the figures."""
    key = generate_key()
    env = {
        **os.environ,
        "NIGRANI_DATABASE_URL": database_url,
        "NIGRANI_VAR_DIR": str(var_dir),
        "NIGRANI_ENCRYPTION_KEY": key,
        "NIGRANI_SECRET_KEY": "f" * 40,
        "NIGRANI_COOKIE_SECURE": "0",
    }
    settings = Settings(
        database_url=database_url, var_dir=var_dir, encryption_key=key, secret_key="f" * 40
    )
    tokens = prepare(settings)
    port = serving.free_port()
    argv = [sys.executable, "-m", "nigrani", "serve", "--no-scheduler", "--port", str(port)]
    found, url = Findings(), f"http://127.0.0.1:{port}"
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        serving.wait_healthy(url, server)
        logs = [fuzz(url, tokens[user], only, args, found) for user, only in PASSES]
        _report(label, found, logs)
        oversize(port, server.pid, args.oversize_mb)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return found


def _report(label: str, found: Findings, logs: list[Path]) -> None:
    print(f"\n{label}: {len(found.operations)} operations, {found.cases} cases, ", end="")
    print(f"{sum(found.server_errors.values())} answered 5xx")
    for where, count in found.server_errors.most_common():
        print(f"  {count:>5} x {where}   e.g. {found.first[where]}")
    print(f"  Schemathesis's logs and events: {', '.join(map(str, logs))}")


def main() -> None:
    """Parse arguments; fuzz on SQLite, then on PostgreSQL when configured."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="cases per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oversize-mb", type=int, default=199, help="the unbounded body")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nigrani-fuzz-") as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'fuzz.sqlite3'}"
        (Path(tmp) / "sqlite").mkdir()
        run("SQLite", sqlite, Path(tmp) / "sqlite", args)
        if pg := os.environ.get(PG_ENV):
            (Path(tmp) / "pg").mkdir()
            with pg_database(pg) as pg_url:
                run("PostgreSQL", pg_url, Path(tmp) / "pg", args)


if __name__ == "__main__":
    main()
