"""What the product keeps of recorded hearings: the citizen's answer to the recording
question, when a call may be recorded, and each recorded side received into the evidence
store (hashed on arrival, custody opened) and linked to its ticket.

A call is recorded only when the deployment records hearings and its citizen said yes on
the waiting-room page before the call; the answer, and every recording stored, is audited.
The recording itself is `recorder.Recorder`'s (aiortc).
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import av
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.models import JurisdictionNode, User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import transaction
from nigrani.core.errors import Conflict, NotFound
from nigrani.core.i18n import _
from nigrani.evidence import store
from nigrani.hearings.models import HearingRecording, HearingTicket
from nigrani.hearings.queue import ACTIVE, State
from nigrani.hearings.recorder import STAGING, Finished, Recorder

LEFT_NAME = re.compile(r"(?P<ticket>\d+)-(?P<side>citizen|officer)-[0-9a-f]+\.mp4")
LEFT_AFTER_S = 120.0  # unwritten this long, and its call over: nobody is writing it
# The answer may change until the call begins; then it holds for that call.
ANSWERABLE = (State.BOOKED, State.WAITING, State.CALLED, State.NO_SHOW)


def asks(settings: Settings) -> bool:
    """Whether citizens are asked (the deployment records hearings)."""
    return settings.hearings_recording


def may_record(settings: Settings, ticket: HearingTicket) -> bool:
    """Whether this ticket's call is recorded: the deployment records and the citizen agreed."""
    return settings.hearings_recording and ticket.record_consent is True


def set_consent(
    session: Session, settings: Settings, ticket: HearingTicket, *, consent: bool, now: datetime
) -> HearingTicket:
    """The citizen's answer to "may this hearing be recorded?", audited."""
    if not asks(settings):
        raise Conflict(_("Hearings are not recorded here."))
    if ticket.state not in ANSWERABLE:
        raise Conflict(_("The answer can be changed only before the call begins."))
    if ticket.record_consent is consent:
        return ticket
    ticket.record_consent, ticket.consent_at = consent, now
    citizen = ticket.citizen
    audit.record(
        session,
        actor=audit.Actor(citizen.id, citizen.phone_masked or f"citizen-{citizen.id}"),
        action="hearing.record_consent",
        object_type="hearing_ticket",
        object_id=ticket.id,
        detail={"consent": consent},
    )
    session.flush()
    return ticket


def check_recordable(settings: Settings, ticket: HearingTicket) -> None:
    """Refuse a recording offer for a call that may not be recorded, or is not on."""
    if not may_record(settings, ticket):
        raise Conflict(_("This hearing is not recorded: the citizen did not agree."))
    if ticket.state != State.IN_CALL:
        raise Conflict(_("The call is not on."))


def _node_path(session: Session, user: User | None) -> str:
    node = session.get(JurisdictionNode, user.node_id) if user and user.node_id else None
    return node.path if node is not None else "/"


def keep(
    session: Session,
    *,
    settings: Settings,
    ticket: HearingTicket,
    files: Iterable[Finished],
    actor: audit.Actor,
) -> list[HearingRecording]:
    """Receive each closed file into the evidence store and link it to the ticket."""
    kept: list[HearingRecording] = []
    owner = ticket.sitting.window.owner
    for done in files:
        with done.path.open("rb") as stream:
            item = store.receive(
                session,
                settings=settings,
                stream=stream,
                original_name=f"hearing-{ticket.sitting.day}-{ticket.number}-{done.side}.mp4",
                media_type="video/mp4",
                kind="hearing",
                actor=actor,
                source=f"Video hearing of {owner.full_name}, {ticket.sitting.day}, "
                f"number {ticket.number}: the {done.side}'s side",
                claimed_start=done.started_at,
                claimed_end=done.ended_at,
                delivered_by="Nigrani hearing recorder (server-side WebRTC peer)",
                node_path=_node_path(session, owner),
                duration_s=done.duration_s,
            )
        row = HearingRecording(
            ticket_id=ticket.id,
            side=done.side,
            evidence_item_id=item.id,
            started_at=done.started_at,
            ended_at=done.ended_at,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="hearing.recorded",
            object_type="hearing_ticket",
            object_id=ticket.id,
            detail={"side": done.side, "evidence_item": item.id, "sha256": item.sha256},
        )
        store.after_commit(session, partial(done.path.unlink, missing_ok=True))
        kept.append(row)
    return kept


def collect(
    session: Session,
    *,
    settings: Settings,
    recorder: Recorder | None,
    ticket: HearingTicket,
    actor: audit.Actor,
) -> list[HearingRecording]:
    """End the ticket's recordings, if any, and keep their files (the call has ended)."""
    if recorder is None:
        return []
    return keep(
        session, settings=settings, ticket=ticket, files=recorder.stop(ticket.id), actor=actor
    )


def keep_left(factory: sessionmaker[Session], settings: Settings, *, now: datetime) -> int:
    """Keep the files in staging that no recorder is writing: their call is over (or gone)
    and nothing was written for `LEFT_AFTER_S`. Such a file is a server's that stopped
    before the call ended; its fragments up to the stop play. Each file is first claimed by
    renaming it, so two schedulers never keep one twice."""
    staging = settings.media_path / STAGING
    kept = 0
    for path in sorted(staging.glob("*.mp4")) if staging.is_dir() else []:
        found = LEFT_NAME.fullmatch(path.name)
        if found is None or time.time() - path.stat().st_mtime < LEFT_AFTER_S:
            continue
        with transaction(factory) as session:
            ticket = session.get(HearingTicket, int(found["ticket"]))
            if ticket is not None and ticket.state in ACTIVE:
                continue  # the call may still be on, in another process
            claimed = path.with_name(".kept-" + path.name)
            try:
                path.rename(claimed)
            except FileNotFoundError:
                continue  # another scheduler took it
            if ticket is None:
                claimed.unlink(missing_ok=True)
                continue
            length = _length_s(claimed)
            if length is None:
                claimed.unlink(missing_ok=True)  # nothing playable was written
                continue
            ended = ticket.ended_at or now
            done = Finished(
                ticket_id=ticket.id,
                side=found["side"],
                path=claimed,
                started_at=ended - timedelta(seconds=length),
                ended_at=ended,
                video_frames=0,
                audio_frames=0,
            )
            keep(session, settings=settings, ticket=ticket, files=[done], actor=audit.SYSTEM)
            kept += 1
    return kept


def _length_s(path: Path) -> float | None:
    """The seconds a left file plays, or None when it holds nothing playable."""
    try:
        with av.open(str(path)) as container:
            last = 0.0
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float(packet.pts * packet.time_base))
            return last if last > 0 else None
    except (av.error.FFmpegError, OSError):
        return None


def of_tickets(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[HearingRecording]]:
    """The recordings of these tickets, by ticket, oldest first."""
    ids = list(ticket_ids)
    out: dict[int, list[HearingRecording]] = defaultdict(list)
    if not ids:
        return out
    rows = session.scalars(
        select(HearingRecording)
        .where(HearingRecording.ticket_id.in_(ids))
        .order_by(HearingRecording.started_at, HearingRecording.id)
    )
    for row in rows:
        out[row.ticket_id].append(row)
    return out


def get(session: Session, recording_id: int) -> HearingRecording:
    """A recording by id, or NotFound."""
    found = session.get(HearingRecording, recording_id)
    if found is None or found.item.deleted_at is not None:
        raise NotFound(_("No such recording."))
    return found
