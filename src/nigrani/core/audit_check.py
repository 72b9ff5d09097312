"""The audit chain checked against its signed checkpoints: truncation, rewrite, forgery.

The chain alone proves only that it is consistent with itself: a database writer can drop
its newest rows and move the head, or edit a row and re-hash every later one. A checkpoint
with a valid MAC pins row N's hash at its time, so a shorter chain is a truncation and a
different hash is a rewrite. Rows after the last checkpoint are only chain-checked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.core.audit_anchor import Checkpoint, key_id, mac_valid, parse_line
from nigrani.core.i18n import to_ist

SHOWN = 5  # findings of one kind listed by line; the rest are counted


@dataclass(frozen=True, slots=True)
class Signed:
    """A checkpoint whose MAC is valid, and the line it came from."""

    checkpoint: Checkpoint
    where: str


@dataclass
class Report:
    """What the check found (`findings`: tampering) and what it could not prove (`notes`)."""

    chain: audit.VerifyResult
    head: int
    lines: int = 0
    signed: list[Signed] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    proven: Signed | None = None

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.findings


def when(checkpoint: Checkpoint) -> str:
    """A checkpoint's time as an operator here reads it."""
    return to_ist(checkpoint.at).strftime("%Y-%m-%d %H:%M:%S IST")


def _read_lines(paths: Iterable[Path], notes: list[str]) -> Iterator[tuple[str, str]]:
    for path in paths:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                for number, text in enumerate(handle, start=1):
                    yield f"{path} line {number}", text
        except FileNotFoundError:
            notes.append(f"checkpoint file {path} does not exist: nothing to check against")


def _listed(items: list[str], what: str) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return f"{what}: {'; '.join(items[:SHOWN])}{more}"


def _authenticate(report: Report, lines: Iterable[tuple[str, str]], keys: tuple[str, ...]) -> None:
    by_kid = {key_id(key): key for key in keys}
    forged, unknown, malformed = [], [], []
    for where, text in lines:
        try:
            checkpoint = parse_line(text)
        except (ValueError, KeyError, TypeError):
            malformed.append(where)
            continue
        if checkpoint is None:
            continue
        report.lines += 1
        key = by_kid.get(checkpoint.kid)
        if key is None:
            unknown.append(where)
        elif mac_valid(checkpoint, key):
            report.signed.append(Signed(checkpoint, where))
        else:
            forged.append(where)
    if forged:
        report.findings.append(
            _listed(
                forged,
                "FORGED checkpoint (its MAC does not match: altered, or not signed "
                "with the audit key)",
            )
        )
    if unknown:
        report.notes.append(
            _listed(
                unknown,
                "not checked, signed with a key not configured now (put the old "
                "key back after the new one in NIGRANI_AUDIT_KEY)",
            )
        )
    if malformed:
        report.notes.append(_listed(malformed, "unreadable checkpoint line"))


def _stored_hashes(session: Session, ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        stmt = select(audit.AuditEntry.id, audit.AuditEntry.row_hash).where(
            audit.AuditEntry.id.in_(chunk)
        )
        found.update(dict(session.execute(stmt).all()))
    return found


def _compare(report: Report, stored: dict[int, str]) -> None:
    truncated: list[Signed] = []
    rewritten: list[Signed] = []
    matched: list[Signed] = []
    for signed in sorted(report.signed, key=lambda s: (s.checkpoint.row_id, s.checkpoint.at)):
        cp = signed.checkpoint
        if cp.count > report.head or (cp.row_id and cp.row_id not in stored):
            truncated.append(signed)
        elif cp.row_id and stored[cp.row_id] != cp.row_hash:
            rewritten.append(signed)
        else:
            matched.append(signed)
    if truncated:
        report.findings.append(_truncation(truncated[-1], report.head))
    if rewritten:
        first = rewritten[0].checkpoint.row_id
        below = [s for s in matched if s.checkpoint.row_id < first]
        report.findings.append(_rewrite(rewritten[0], below[-1] if below else None))
        matched = below
    # A matching hash vouches for the rows before it only as far as their links hold.
    broken = report.chain.broken_id
    intact = [s for s in matched if broken is None or s.checkpoint.row_id < broken]
    report.proven = intact[-1] if intact else None


def _truncation(signed: Signed, head: int) -> str:
    cp = signed.checkpoint
    return (
        f"TRUNCATED: the checkpoint of {when(cp)} ({signed.where}) recorded {cp.count} rows, "
        f"up to row {cp.row_id} with hash {cp.row_hash[:12]}…; the chain now has {head} "
        "rows and lacks that row: rows were removed from its end (or the database is a "
        "backup older than the checkpoint)"
    )


def _rewrite(signed: Signed, last_good: Signed | None) -> str:
    cp = signed.checkpoint
    start = last_good.checkpoint.row_id + 1 if last_good else 1
    return (
        f"REWRITTEN: row {cp.row_id} no longer has the hash signed at {when(cp)} "
        f"({signed.where}): a row from {start} to {cp.row_id} was changed or replaced and the "
        "rows after it re-hashed"
    )


def _last_notes(report: Report) -> None:
    if not report.signed:
        report.notes.append(
            "no checkpoint with a valid MAC, so the chain is only consistent "
            "with itself; anyone who can write the database could have removed rows from its "
            "end or rewritten it whole"
        )
        return
    covered = report.proven.checkpoint.row_id if report.proven else 0
    if report.head > covered:
        report.notes.append(
            f"rows {covered + 1}–{report.head} came after the last matching checkpoint: they "
            "are only chain-checked, so a database writer could have changed or removed them "
            "unseen"
        )


def verify_anchored(
    session: Session,
    *,
    keys: tuple[str, ...],
    files: Iterable[Path],
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """The whole chain re-hashed, then held against every signed checkpoint in the files."""
    chain = audit.verify(session, on_progress=on_progress)
    head = session.get(audit.AuditHead, 1)
    report = Report(chain=chain, head=head.seq if head else 0)
    if not keys:
        report.notes.append(
            "the chain is not anchored: no audit key is configured (NIGRANI_AUDIT_KEY or "
            "NIGRANI_AUDIT_KEY_FILE), so no checkpoint can be checked and anyone who can "
            "write the database could have removed rows from its end or rewritten it whole"
        )
        return report
    _authenticate(report, _read_lines(files, report.notes), keys)
    ids = {s.checkpoint.row_id for s in report.signed if s.checkpoint.row_id}
    _compare(report, _stored_hashes(session, ids))
    _last_notes(report)
    return report
