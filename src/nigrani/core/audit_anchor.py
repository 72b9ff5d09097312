"""Signed checkpoints of the audit chain's head, written off this machine on a schedule.

A checkpoint says "at time T the chain had N rows and row N had hash H", with an HMAC under
a key the database does not hold (NIGRANI_AUDIT_KEY or NIGRANI_AUDIT_KEY_FILE). Someone who
can write the database can re-hash the chain, but cannot sign a checkpoint for it, nor take
back one already sent to an append-only file or to syslog: `audit_check` compares them."""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import audit
from nigrani.core.db import utcnow
from nigrani.core.security import keyed_hash, new_token, same

if TYPE_CHECKING:
    from nigrani.core.config import Settings
    from nigrani.core.outbox import PeriodicTask

KIND = "nigrani.audit.checkpoint"
VERSION = 1
MIN_KEY_CHARS = 32
DEMO_KEY_FILE = "audit.key"
DEMO_CHECKPOINT_FILE = "audit-checkpoints.jsonl"
SYSLOG_TAG = "nigrani-audit"
log = logging.getLogger(__name__)


class AnchorError(Exception):
    """The anchor is misconfigured or its destination failed; the text says what to fix."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where checkpoints are signed (keys, newest first) and sent (a file, syslog)."""

    keys: tuple[str, ...] = field(repr=False)  # secrets: never in a log line
    file: Path | None = None
    syslog: str = ""

    @property
    def destinations(self) -> list[str]:
        """The places a checkpoint goes, as an operator reads them."""
        return [str(self.file)] * bool(self.file) + [f"syslog {self.syslog}"] * bool(self.syslog)


def key_id(key: str) -> str:
    """A short public name for a key: which key signed a checkpoint, revealing nothing."""
    return keyed_hash(key, "audit-key-id", KIND)[:12]


def parse_keys(raw: str, *, source: str) -> tuple[str, ...]:
    """Comma- or line-separated keys (newest first); `#` starts a comment line."""
    lines = [line for line in raw.splitlines() if not line.lstrip().startswith("#")]
    keys = tuple(k.strip() for k in ",".join(lines).split(",") if k.strip())
    if not keys:
        raise AnchorError(f"{source} holds no key (generate one with: nigrani keygen)")
    if any(len(k) < MIN_KEY_CHARS or k.split() != [k] for k in keys):
        raise AnchorError(
            f"{source}: every key must be {MIN_KEY_CHARS}+ characters without spaces "
            "(generate one with: nigrani keygen)"
        )
    return keys


def _read_key_file(path: Path) -> tuple[str, ...]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"NIGRANI_AUDIT_KEY_FILE {path} cannot be read: {exc.strerror}") from exc
    return parse_keys(raw, source=f"NIGRANI_AUDIT_KEY_FILE {path}")


def _demo_key(path: Path, *, create: bool) -> tuple[str, ...]:
    # The demo makes its own key, once, next to its database: nothing published to forge with.
    if not path.exists():
        if not create:
            return ()
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_private(path, new_token(32) + "\n")
    return _read_key_file(path)


def _create_private(path: Path, text: str) -> None:
    # Written whole under a temporary name, then linked: a second process starting at the
    # same moment reads one complete key, never a half-written or a different one.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{new_token(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by us only
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def anchor_of(settings: Settings, *, create: bool = False) -> Anchor:
    """The configured anchor; in demo mode a local key and file unless others are set.
    `keys` is empty when no key is configured (the chain is then not anchored)."""
    secret = settings.audit_key.get_secret_value()
    if secret:
        keys = parse_keys(secret, source="NIGRANI_AUDIT_KEY")
    elif settings.audit_key_file is not None:
        keys = _read_key_file(settings.audit_key_file)
    elif settings.demo:
        keys = _demo_key(settings.var_dir / DEMO_KEY_FILE, create=create)
    else:
        keys = ()
    file = settings.audit_checkpoint_file
    if file is None and settings.demo:
        file = settings.var_dir / DEMO_CHECKPOINT_FILE
    return Anchor(keys=keys, file=file, syslog=settings.audit_checkpoint_syslog)


def check(settings: Settings) -> None:
    """Refuse settings that would anchor nothing while looking as if they did."""
    if settings.audit_key.get_secret_value() and settings.audit_key_file is not None:
        raise ValueError("set NIGRANI_AUDIT_KEY or NIGRANI_AUDIT_KEY_FILE, not both")
    if settings.audit_checkpoint_syslog:
        _syslog_address(settings.audit_checkpoint_syslog)
    try:
        anchor = anchor_of(settings)
    except AnchorError as exc:
        raise ValueError(str(exc)) from exc
    if not settings.demo and not anchor.keys and anchor.destinations:
        raise ValueError(
            "NIGRANI_AUDIT_CHECKPOINT_FILE / _SYSLOG need NIGRANI_AUDIT_KEY or "
            "NIGRANI_AUDIT_KEY_FILE to sign the checkpoints (generate one with: nigrani keygen)"
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at a moment: last row's id and hash, row count, time, key id, MAC."""

    row_id: int
    row_hash: str
    count: int
    at: datetime
    kid: str
    mac: str = ""

    def signed_text(self) -> str:
        """What the MAC covers: every field but the MAC, canonical JSON."""
        fields = {**asdict(self), "at": self.at.isoformat(), "type": KIND, "v": VERSION}
        del fields["mac"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    def line(self) -> str:
        """The checkpoint as one JSON line (the MAC last)."""
        return self.signed_text()[:-1] + f',"mac":"{self.mac}"}}'


def sign(key: str, *, row_id: int, row_hash: str, count: int, at: datetime) -> Checkpoint:
    """A checkpoint signed with this key."""
    unsigned = Checkpoint(row_id=row_id, row_hash=row_hash, count=count, at=at, kid=key_id(key))
    mac = keyed_hash(key, "audit-checkpoint", unsigned.signed_text())
    return Checkpoint(row_id, row_hash, count, at, unsigned.kid, mac)


def parse_line(text: str) -> Checkpoint | None:
    """The checkpoint on a line (a syslog prefix before the JSON is skipped); None when the
    line holds none; ValueError when it looks like one but is malformed."""
    start = text.find("{")
    if start < 0 or KIND not in text:
        return None
    data = json.loads(text[start:])
    if not isinstance(data, dict) or data.get("type") != KIND or data.get("v") != VERSION:
        raise ValueError("not a version 1 checkpoint")
    at = datetime.fromisoformat(str(data["at"]))
    ints = [data["row_id"], data["count"]]
    if at.tzinfo is None or any(type(n) is not int or n < 0 for n in ints):
        raise ValueError("malformed checkpoint fields")
    return Checkpoint(
        row_id=data["row_id"],
        row_hash=str(data["row_hash"]),
        count=data["count"],
        at=at,
        kid=str(data["kid"]),
        mac=str(data["mac"]),
    )


def mac_valid(checkpoint: Checkpoint, key: str) -> bool:
    """Whether the checkpoint's MAC is the one this key gives."""
    expected = keyed_hash(key, "audit-checkpoint", checkpoint.signed_text())
    return same(expected, checkpoint.mac)


def take(session: Session, key: str) -> Checkpoint:
    """A checkpoint of the chain's head now: its last row must carry the head's hash."""
    head = session.get(audit.AuditHead, 1)
    seq, last_hash = (head.seq, head.last_hash) if head else (0, audit.GENESIS)
    if seq:
        stored = session.scalar(select(audit.AuditEntry.row_hash).where(audit.AuditEntry.id == seq))
        if stored != last_hash:
            raise AnchorError(
                f"the audit head names row {seq}, whose hash differs: nothing signed "
                "(run nigrani audit verify)"
            )
    return sign(key, row_id=seq, row_hash=last_hash, count=seq, at=utcnow())


def write(anchor: Anchor, checkpoint: Checkpoint) -> list[str]:
    """Send the checkpoint to every destination; returns where it went."""
    if not anchor.destinations:
        raise AnchorError(
            "no checkpoint destination: set NIGRANI_AUDIT_CHECKPOINT_FILE "
            "(an append-only file off this machine) or NIGRANI_AUDIT_CHECKPOINT_SYSLOG"
        )
    line = checkpoint.line()
    if anchor.file is not None:
        _append_line(anchor.file, line)
    if anchor.syslog:
        _send_syslog(anchor.syslog, line)
    return anchor.destinations


def _append_line(path: Path, line: str) -> None:
    # One write(2) on an O_APPEND file: concurrent schedulers never interleave a line.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise AnchorError(f"checkpoint file {path}: {exc.strerror}") from exc


def _syslog_address(value: str) -> str | tuple[str, int]:
    if value.startswith("/"):
        return value
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(
            "NIGRANI_AUDIT_CHECKPOINT_SYSLOG must be a socket path (/dev/log) or host:port (UDP)"
        )
    return host.strip("[]"), int(port)


def _send_syslog(address: str, line: str) -> None:
    handler = SysLogHandler(
        address=_syslog_address(address),
        facility=SysLogHandler.LOG_AUTHPRIV,
        socktype=None if address.startswith("/") else socket.SOCK_DGRAM,
    )
    handler.ident = f"{SYSLOG_TAG}: "
    try:
        record = logging.LogRecord(SYSLOG_TAG, logging.INFO, __file__, 0, line, None, None)
        handler.emit(record)
    finally:
        handler.close()


def still_holds(session: Session, earlier: Checkpoint) -> None:
    """Refuse to sign a head that no longer contains an earlier checkpoint's row."""
    stored = session.scalar(
        select(audit.AuditEntry.row_hash).where(audit.AuditEntry.id == earlier.row_id)
    )
    if earlier.row_id and stored != earlier.row_hash:
        raise AnchorError(
            f"row {earlier.row_id} is gone or changed since this process signed it at "
            f"{earlier.at.isoformat()}: nothing signed (run nigrani audit verify)"
        )


@dataclass(frozen=True, slots=True)
class _Turn:
    at: datetime
    signed: Checkpoint | None


class CheckpointTask:
    """The scheduler's periodic checkpoint: one every NIGRANI_AUDIT_CHECKPOINT_MINUTES while
    the chain grows (none while it stands still), per database and destination. It never
    signs a chain that lost or changed the row it signed last."""

    __name__ = "audit_checkpoint"

    def __init__(self) -> None:
        self._turns: dict[str, _Turn] = {}
        self._warned: set[str] = set()

    def __call__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        where = (settings.audit_checkpoint_file, settings.audit_checkpoint_syslog, settings.var_dir)
        name = " ".join(map(str, (settings.db_url, *where)))
        now, turn = utcnow(), self._turns.get(name)
        every = timedelta(minutes=settings.audit_checkpoint_minutes)
        if turn is not None and turn.at <= now < turn.at + every:
            return
        earlier = turn.signed if turn else None
        self._turns[name] = _Turn(now, earlier)  # a failed turn waits for the next one too
        anchor = anchor_of(settings, create=True)
        if not anchor.keys or not anchor.destinations:
            self._warn_once(name)
            return
        with factory() as session:
            checkpoint = take(session, anchor.keys[0])
            if earlier is not None:
                if (earlier.count, earlier.row_hash) == (checkpoint.count, checkpoint.row_hash):
                    return
                still_holds(session, earlier)
        write(anchor, checkpoint)
        self._turns[name] = _Turn(now, checkpoint)
        log.info("audit checkpoint: row %d to %s", checkpoint.row_id, anchor.destinations)

    def _warn_once(self, name: str) -> None:
        if name not in self._warned:
            self._warned.add(name)
            log.warning(
                "audit chain not anchored: set NIGRANI_AUDIT_KEY and "
                "NIGRANI_AUDIT_CHECKPOINT_FILE or _SYSLOG (docs/configuration.md)"
            )


PERIODIC: list[PeriodicTask] = [CheckpointTask()]
