"""The worker's side of event delivery: every event change is written to a disk spool
before anything is sent, and a sender posts the spool to the server in order, retrying
while the server is away. Nothing is lost (a file goes only after the server took it or
refused it as invalid) and nothing is doubled (the server is idempotent by uuid, so a
file sent again after a crash changes nothing)."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic_core import to_jsonable_python

from nigrani.core.files import fsync_dir

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/analytics/events"
NAME = re.compile(r"^(\d{12})-[0-9a-fA-F-]{1,36}\.json$")
# The server's answers that say the change itself is wrong: sending it again cannot help.
# Anything else (401/403 a key to fix, 408, 429, 5xx) is waited out and retried.
INVALID = frozenset({400, 404, 409, 410, 413, 415, 422})
Outcome = Literal["sent", "rejected", "retry"]


def body_of(change: object, *, snapshot_jpeg: bytes | None = None) -> dict[str, Any]:
    """The JSON body of a change: a rules.EventChange (its event), a RuleEvent, or a mapping."""
    event = getattr(change, "event", change)
    body = to_jsonable_python(event)
    if not isinstance(body, dict) or "uuid" not in body:
        raise ValueError("an event change needs a uuid")
    if snapshot_jpeg is not None:
        body["snapshot_jpeg_b64"] = base64.b64encode(snapshot_jpeg).decode("ascii")
    return body


class Spool:
    """A folder of event changes waiting to be sent, one JSON file each, oldest first.

    A file appears whole or not at all: written under `.tmp/`, fsynced, renamed into place
    and the folder fsynced. Changes the server refused as invalid go to `rejected/`, each
    beside a `.reason.json` saying why."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rejected_dir = directory / "rejected"
        self._tmp = directory / ".tmp"
        for folder in (directory, self.rejected_dir, self._tmp):
            folder.mkdir(parents=True, exist_ok=True)
        for leftover in self._tmp.iterdir():  # a put cut short by a crash: never sent
            leftover.unlink()
        self._lock = threading.Lock()
        self._seq = max(
            (int(m.group(1)) for p in self.pending() if (m := NAME.match(p.name))), default=0
        )
        self.arrived = threading.Event()  # set by put, so a waiting sender wakes up

    def put(self, change: object, *, snapshot_jpeg: bytes | None = None) -> Path:
        """Write one change durably; returns its file (named so that files sort in order)."""
        body = body_of(change, snapshot_jpeg=snapshot_jpeg)
        data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
        with self._lock:
            self._seq += 1
            target = self.directory / f"{self._seq:012d}-{body['uuid']}.json"
            fd, name = tempfile.mkstemp(dir=self._tmp, suffix=".json")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(name, target)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
            fsync_dir(self.directory)
        self.arrived.set()
        return target

    def pending(self) -> list[Path]:
        """The changes still to send, oldest first."""
        return sorted(p for p in self.directory.iterdir() if NAME.match(p.name))

    def done(self, path: Path) -> None:
        """The server has the change: forget it."""
        path.unlink(missing_ok=True)
        fsync_dir(self.directory)

    def reject(self, path: Path, *, status: int | None, reason: str) -> Path:
        """Move a change the server refused as invalid aside, with the reason."""
        target = self.rejected_dir / path.name
        note = {"status": status, "reason": reason[:2000]}
        (self.rejected_dir / f"{path.name}.reason.json").write_text(
            json.dumps(note, ensure_ascii=False), encoding="utf-8"
        )
        os.replace(path, target)
        fsync_dir(self.rejected_dir)
        fsync_dir(self.directory)
        return target


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of
    min(max_s, first_s * 2**n), so workers that lost the server together do not return
    together."""

    first_s: float = 1.0
    max_s: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        cap = min(self.max_s, self.first_s * 2 ** min(attempt, 32))
        return rng.uniform(cap / 2, cap)


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or response.text)[:2000]
    except (ValueError, AttributeError):
        return response.text[:2000]


class Sender:
    """Posts a spool's changes to the server in order, one at a time, with a worker's key."""

    def __init__(
        self,
        spool: Spool,
        *,
        server_url: str,
        token: str,
        backoff: Backoff | None = None,
        timeout_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.spool = spool
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.failures = 0  # attempts failed in a row (the backoff's exponent)
        self.sent = 0
        self.rejected = 0
        self._client = httpx.Client(
            base_url=server_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
        )

    def close(self) -> None:
        self._client.close()

    def send(self, path: Path) -> Outcome:
        """Post one spooled change; the file goes once the server took or refused it."""
        try:
            body = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            self.spool.reject(path, status=None, reason=f"unreadable spool file: {exc}")
            return "rejected"
        try:
            response = self._client.post(EVENTS_PATH, json=body)
        except httpx.TransportError as exc:  # refused, reset, timed out
            log.warning("analytics events: server unreachable (%s), will retry", type(exc).__name__)
            return "retry"
        if response.is_success:
            self.spool.done(path)
            return "sent"
        if response.status_code in INVALID:
            reason = _reason(response)
            log.warning(
                "analytics events: %s refused (%s): %s", path.name, response.status_code, reason
            )
            self.spool.reject(path, status=response.status_code, reason=reason)
            return "rejected"
        log.warning("analytics events: server answered %s, will retry", response.status_code)
        return "retry"

    def drain(self) -> Outcome | None:
        """Send what is spooled, in order, until the spool is empty (None) or the server
        must be waited for ("retry": the change that failed stays first in line)."""
        for path in self.spool.pending():
            outcome = self.send(path)
            if outcome == "retry":
                self.failures += 1
                return outcome
            self.failures = 0
            if outcome == "sent":
                self.sent += 1
            else:
                self.rejected += 1
        return None

    def run(self, stop_event: threading.Event, *, idle_s: float = 1.0) -> None:
        """Deliver until stop_event is set: at once when a change arrives, with backoff
        while the server is away."""
        while not stop_event.is_set():
            self.spool.arrived.clear()
            try:
                outcome = self.drain()
            except OSError:  # the spool's disk (full, gone): the files wait, the loop stays
                log.exception("analytics events: the spool cannot be read or written")
                self.failures, outcome = self.failures + 1, "retry"
            if outcome == "retry":
                stop_event.wait(self.backoff.delay(self.failures - 1, self.rng))
            else:
                self.spool.arrived.wait(idle_s)
