"""The `nigrani prober` process: leases cameras that are due, probes them a few at a time,
judges their picture and records each result (health.state, K in a row).

Scheduling. Each target falls due every `health_socket_interval_s`; when its last full
probe is about `health_interval_s` old the due check is a full probe (health.probe), else
only a TCP connect (health.probe.socket_check). A failed connect counts as an offline
result at once (so a dead camera is known after K socket intervals, not K full ones); a
connect that succeeds on a camera that is, or is becoming, offline is followed at once by
a full probe (so it recovers as fast). The next due time steps from the previous one, not
from when the check ended, so cameras stay spread as `targets.sync` spread them.

Leases. A prober takes due targets with a conditional UPDATE of `leased_by`/`lease_until`
(candidates locked first with SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the
writing transaction begins IMMEDIATE), as the recorder leases its cameras. It renews the
leases of the checks still running and releases each when its result is written. A dead
prober's leases run out after `health_lease_s` and another prober takes those cameras.

Station cameras a recorder holds are judged from the recorder's own files and row
(health.recorded), never with a second connection.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.accounts.jurisdiction import under
from nigrani.core.config import Settings
from nigrani.core.db import transaction, utcnow
from nigrani.health import extras, picture, state, targets
from nigrani.health.models import HealthTarget
from nigrani.health.probe import ProbeResult, TransportChoice, connect_reason, probe_stream
from nigrani.health.recorded import RecorderView, recorder_result
from nigrani.health.reference import current_path
from nigrani.stations.models import StationCamera
from nigrani.stations.recorder.leases import scope_path

log = logging.getLogger(__name__)

Kind = Literal["probe", "socket", "recorder", "wait"]
NIGHT_HOURS = (19, 6)  # local hours from which to which the night baseline applies
REFERENCE_DIR = "health"
SYNC_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Job:
    """One check to run in a worker thread: ids and values only, no ORM object."""

    target_id: int
    kind: Kind
    url: str
    expect_audio: bool
    transport: TransportChoice
    offline: bool  # the target is, or is becoming, offline
    recorder: RecorderView | None = None
    signals: extras.Signals = field(default_factory=extras.Signals)  # snapshot, ONVIF
    gop_s: float | None = None  # the keyframe interval its last probe measured


@dataclass
class Counters:
    probes: int = 0
    sockets: int = 0
    recorded: int = 0
    changes: int = 0
    lost: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def _free(now: datetime, me: str) -> ColumnElement[bool]:
    return or_(
        HealthTarget.leased_by.is_(None),
        HealthTarget.lease_until < now,
        HealthTarget.leased_by == me,
    )


def take(
    session: Session,
    *,
    me: str,
    limit: int,
    scope: str,
    lease_s: float,
    now: datetime,
    exclude: list[int],
    due_only: bool = True,
) -> list[HealthTarget]:
    """Lease up to `limit` enabled targets under `scope` that are due (soonest first)."""
    if limit <= 0:
        return []
    stmt = (
        select(HealthTarget.id)
        .where(HealthTarget.enabled.is_(True), under(HealthTarget.node_path, scope))
        .where(_free(now, me), HealthTarget.id.not_in(exclude or [-1]))
    )
    if due_only:
        stmt = stmt.where(HealthTarget.due_at <= now)
    candidates = list(
        session.scalars(
            stmt.order_by(HealthTarget.due_at, HealthTarget.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    taken: list[int] = []
    until = now + timedelta(seconds=lease_s)
    for target_id in candidates:
        result = session.execute(
            update(HealthTarget)
            .where(HealthTarget.id == target_id, _free(now, me))
            .values(leased_by=me, lease_until=until)
        )
        if cast(CursorResult[Any], result).rowcount == 1:
            taken.append(target_id)
    if not taken:
        return []
    return list(session.scalars(select(HealthTarget).where(HealthTarget.id.in_(taken))))


def renew(session: Session, *, me: str, target_ids: list[int], lease_s: float) -> None:
    """Extend this prober's leases of the checks still running."""
    if target_ids:
        session.execute(
            update(HealthTarget)
            .where(HealthTarget.id.in_(target_ids), HealthTarget.leased_by == me)
            .values(lease_until=utcnow() + timedelta(seconds=lease_s))
        )


def release(session: Session, *, me: str, target_ids: list[int]) -> None:
    """Give targets back (only those this prober still holds)."""
    if target_ids:
        session.execute(
            update(HealthTarget)
            .where(HealthTarget.id.in_(target_ids), HealthTarget.leased_by == me)
            .values(leased_by=None, lease_until=None)
        )


def is_night(now: datetime, timezone: str) -> bool:
    """Whether the night baseline and reference apply at this moment (local time)."""
    hour = now.astimezone(ZoneInfo(timezone)).hour
    return hour >= NIGHT_HOURS[0] or hour < NIGHT_HOURS[1]


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Prober:
    """Probes the due cameras under `scope` (a node code), `concurrency` at a time."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        scope: str | None = None,
        concurrency: int | None = None,
        name: str | None = None,
    ) -> None:
        self.factory, self.settings, self.scope = factory, settings, scope
        self.concurrency = concurrency or settings.health_concurrency
        self.id = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_s = float(settings.health_lease_s)
        self.stop_event = threading.Event()
        self.counters = Counters()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="probe")
        self._running: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self._scope_path: str | None = None
        self._synced_at: datetime | None = None

    # The loop.
    def run(self, on_tick: Callable[[Prober], None] | None = None, tick_s: float = 1.0) -> None:
        """Probe until stop_event is set; then wait for the checks running and release."""
        try:
            while not self.stop_event.is_set():
                self.tick()
                if on_tick is not None:
                    on_tick(self)
                self.stop_event.wait(tick_s)
        finally:
            self.shutdown()

    def run_once(
        self, *, everything: bool = True, on_progress: Callable[[int, int], None] | None = None
    ) -> int:
        """One sweep: sync, then check every enabled target in scope once (or only the
        due ones) and wait for all; returns how many were checked. on_progress(done,
        total) is called as batches finish."""
        self.sync(force=True)
        with transaction(self.factory) as session:
            total = len(
                session.scalars(
                    select(HealthTarget.id).where(
                        HealthTarget.enabled.is_(True),
                        under(HealthTarget.node_path, self._scope_path or "/"),
                    )
                ).all()
            )
        done: list[int] = []
        while jobs := self._take(self.concurrency * 4, due_only=not everything, exclude=done):
            wait([self._submit(job) for job in jobs])
            done += [job.target_id for job in jobs]
            if on_progress is not None:
                on_progress(len(done), max(total, len(done)))
        return len(done)

    def shutdown(self) -> None:
        """Wait for the running checks (they end within their timeout) and release."""
        self.stop_event.set()
        self._pool.shutdown(wait=True)
        with self._lock:
            held = list(self._running)
        try:
            with transaction(self.factory) as session:
                release(session, me=self.id, target_ids=held)
        except SQLAlchemyError as exc:
            log.warning("prober %s: could not release leases: %s", self.id, exc)

    def tick(self) -> None:
        """Sync now and then, renew the running checks' leases, take due targets."""
        try:
            self.sync()
            with self._lock:
                running = list(self._running)
            with transaction(self.factory) as session:
                renew(session, me=self.id, target_ids=running, lease_s=self.lease_s)
            # Only as many as there are idle workers: what is left stays free for the others.
            jobs = self._take(self.concurrency - len(running), due_only=True)
        except SQLAlchemyError as exc:
            log.warning("prober %s: %s", self.id, exc)
            return
        for job in jobs:
            self._submit(job)

    def sync(self, *, force: bool = False) -> None:
        """Make the targets match the cameras (every minute; probers race harmlessly)."""
        now = utcnow()
        if (
            not force
            and self._synced_at
            and (now - self._synced_at).total_seconds() < (SYNC_EVERY_S)
        ):
            return
        self._synced_at = now
        try:
            with transaction(self.factory) as session:
                if self._scope_path is None:
                    self._scope_path = scope_path(session, code=self.scope)
                changed = targets.sync(session, now, interval_s=self.settings.health_interval_s)
            if changed:
                log.info("prober %s: %d camera targets added or changed", self.id, changed)
        except IntegrityError:
            log.info("prober %s: another prober synced the targets at the same time", self.id)

    # Taking and running checks.
    def _take(self, limit: int, *, due_only: bool, exclude: list[int] | None = None) -> list[Job]:
        if limit <= 0:
            return []
        now = utcnow()
        with self._lock:
            exclude = [*self._running, *(exclude or [])]
        with transaction(self.factory) as session:
            rows = take(
                session,
                me=self.id,
                limit=limit,
                scope=self._scope_path or "/",
                lease_s=self.lease_s,
                now=now,
                exclude=exclude,
                due_only=due_only,
            )
            return [job for row in rows if (job := self._job(session, row, now, due_only))]

    def _job(self, session: Session, row: HealthTarget, now: datetime, due: bool) -> Job | None:
        address = targets.stream_url(session, row, keys=self.settings.encryption_key)
        if address is None:
            release(session, me=self.id, target_ids=[row.id])
            return None
        url, expect_audio = address
        last = _loads(row.last_result)
        transport = cast(TransportChoice, last.get("transport") or "auto")
        if transport not in ("tcp", "udp"):
            transport = "auto"
        offline = "offline" in (row.state, row.candidate_state)
        recorder = self._recorder_view(session, row, now)
        between = due and not offline and not self._full_due(row, now)
        kind: Kind = "probe"
        if recorder is not None:
            kind = "wait" if between else "recorder"  # no connect to a recorded camera
        elif between:
            kind = "socket"
        signals = extras.signals_of(row, keys=self.settings.encryption_key)
        gop = last.get("gop_s")
        gop_s = float(gop) if isinstance(gop, int | float) and not isinstance(gop, bool) else None
        return Job(row.id, kind, url, expect_audio, transport, offline, recorder, signals, gop_s)

    def _full_due(self, row: HealthTarget, now: datetime) -> bool:
        last = _loads(row.last_result)
        full_at = last.get("full_at")
        if not isinstance(full_at, str):
            return True
        try:
            previous = datetime.fromisoformat(full_at)
        except ValueError:
            return True
        slack = min(self.settings.health_socket_interval_s, row.interval_s) / 2
        return (now - previous).total_seconds() >= row.interval_s - slack

    def _recorder_view(
        self, session: Session, row: HealthTarget, now: datetime
    ) -> RecorderView | None:
        if row.station_camera_id is None:
            return None
        camera = session.get(StationCamera, row.station_camera_id)
        if camera is None or camera.leased_by is None:
            return None
        if camera.lease_until is None or camera.lease_until < now:
            return None  # no recorder reads it: probe it like any camera
        stream = "sub" if camera.sub_url_enc else "main"
        return RecorderView(camera.id, stream, camera.last_segment_at, camera.last_error)

    def _submit(self, job: Job) -> Future[None]:
        future = self._pool.submit(self._work, job)
        with self._lock:
            self._running[job.target_id] = future
        future.add_done_callback(lambda _f: self._done(job.target_id))
        return future

    def _done(self, target_id: int) -> None:
        with self._lock:
            self._running.pop(target_id, None)

    def _work(self, job: Job) -> None:
        """Run one check and write its result; never raises (a worker thread)."""
        try:
            self._check(job)
        except Exception:
            log.exception("prober %s: target %d: the check failed", self.id, job.target_id)
            try:
                with transaction(self.factory) as session:
                    release(session, me=self.id, target_ids=[job.target_id])
            except SQLAlchemyError:
                pass

    def _check(self, job: Job) -> None:
        s = self.settings
        if job.kind == "wait":
            self._write(job, ProbeResult(), full=False)
            return
        if job.kind == "socket":
            reason = connect_reason(job.url, timeout_s=min(s.health_timeout_s, 2.0))
            self.counters.sockets += 1
            if reason or not job.offline:
                found = self._signals(job) if reason else {}
                self._write(job, ProbeResult(reason=reason), full=False, signals=found)
                return
            # It answers again: look at it properly now rather than at its next full probe.
        if job.kind == "recorder" and job.recorder is not None:
            result = recorder_result(
                job.recorder,
                live_path=s.live_path,
                live_segment_s=s.live_segment_seconds,
                recording_segment_s=s.recording_segment_seconds,
                now=utcnow(),
                read_s=s.health_read_s,
                max_frames=8,
            )
            self.counters.recorded += 1
        else:
            result = probe_stream(
                job.url, timeout_s=s.health_timeout_s, read_s=s.health_read_s,
                transport=job.transport, gop_s=job.gop_s,
            )  # fmt: skip
            self.counters.probes += 1
        self._write(job, result, full=True, signals=self._signals(job))

    def _signals(self, job: Job) -> dict[str, Any]:
        """The extra checks set for the camera (snapshot, ONVIF): recorded beside the
        stream's result; only an ONVIF tamper event changes the verdict (health.extras)."""
        if not job.signals:
            return {}
        found = extras.check_signals(job.signals, timeout_s=self.settings.health_timeout_s)
        onvif = found.get("onvif") or {}
        if onvif.get("problem") or onvif.get("events_problem"):  # recorded; often routine
            log.debug(
                "camera target %d: ONVIF %s: %s", job.target_id,
                onvif.get("problem") or onvif.get("events_problem"), onvif.get("detail", ""),
            )  # fmt: skip
        return found

    def _write(
        self, job: Job, result: ProbeResult, *, full: bool, signals: dict[str, Any] | None = None
    ) -> None:
        now = utcnow()
        with transaction(self.factory) as session:
            target = session.get(HealthTarget, job.target_id)
            if target is None:
                return
            if target.leased_by != self.id:
                self.counters.lost += 1
                log.info("prober %s: target %d taken over; result dropped", self.id, job.target_id)
                return
            step = min(self.settings.health_socket_interval_s, target.interval_s)
            due = target.due_at + timedelta(seconds=step)
            target.due_at = due if due > now else now + timedelta(seconds=step)
            target.leased_by, target.lease_until = None, None
            if not full and not result.reason:
                session.flush()  # a good connect between full probes: nothing to record
                return
            new_state, reason, extra = self._verdict(target, job, result, now)
            measurements = result.measurements() | extra
            new_state, reason = extras.apply(
                (new_state, reason), measurements, signals or {},
                current=(target.state, target.reason),
            )  # fmt: skip
            measurements["by"] = self.id
            measurements["check"] = (
                ("probe" if job.kind == "socket" else job.kind) if full else "socket"
            )
            measurements["full_at"] = (
                now.isoformat() if full else _loads(target.last_result).get("full_at")
            )
            change = state.record(
                session, target, state=new_state, reason=reason, now=now,
                measurements=measurements, confirm=self.settings.health_confirm_probes,
            )  # fmt: skip
        with self._lock:
            self.counters.by_state[new_state] = self.counters.by_state.get(new_state, 0) + 1
        if change is not None:
            self.counters.changes += 1
            log.info(
                "camera target %d: %s → %s%s", change.target_id, change.old, change.new,
                f" ({change.reason})" if change.reason else "",
            )  # fmt: skip

    def _verdict(
        self, target: HealthTarget, job: Job, result: ProbeResult, now: datetime
    ) -> tuple[str, str, dict[str, Any]]:
        """The state and reason of one result, judging the picture when frames came."""
        if result.reason:
            return "offline", result.reason, {}
        if not result.frames:
            return "working", "", {}
        night = is_night(now, self.settings.timezone)
        period = "night" if night else "day"
        stored = target.reference_night if night else target.reference_day
        reference = self._reference(stored)
        judgement = picture.judge(
            result.frames, baseline=_loads(target.baseline), reference=reference,
            audio_db=result.audio_db, expect_audio=job.expect_audio, night=night,
        )  # fmt: skip
        target.baseline = json.dumps(judgement.baseline, sort_keys=True)
        self._keep_current_view(target, result)
        if not judgement.reason and reference is None:
            relative = f"{REFERENCE_DIR}/{target.id}-{period}.jpg"
            path = self.settings.media_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(picture.encode_reference(picture.reference_frame(result.frames)))
            if night:
                target.reference_night = relative
            else:
                target.reference_day = relative
            target.reference_set_at = now
        extra: dict[str, Any] = {"scores": judgement.scores}
        if judgement.reason:
            return "degraded", judgement.reason, extra
        return "working", "", extra

    def _keep_current_view(self, target: HealthTarget, result: ProbeResult) -> None:
        """Leave the latest view where the camera's health panel shows it beside the
        reference (replaced whole, so the panel never reads half a file)."""
        path = self.settings.media_path / current_path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(picture.encode_reference(picture.reference_frame(result.frames)))
        partial.replace(path)

    def _reference(self, relative: str | None) -> Any:
        if not relative:
            return None
        try:
            return picture.decode_reference((self.settings.media_path / relative).read_bytes())
        except (OSError, ValueError):
            return None

    def status(self) -> dict[str, int]:
        """Counts for the status line."""
        c = self.counters
        with self._lock:
            running = len(self._running)
        return {
            "running": running, "probes": c.probes, "sockets": c.sockets,
            "recorded": c.recorded, "changes": c.changes, "lost": c.lost,
        }  # fmt: skip
