"""The demo's camera health (DEMO DATA): a probe target for every camera, and 30 days of
made-up history for the demo registry's 1,719 linked cameras, which have no real stream.

The history is what a city's cameras look like after a month of probing: most work, some
have been offline for days or weeks (a few for months), some are degraded (covered,
defocused, turned away, too dark, frozen), whole sites went dark in power cuts, and short
outages came and went. Private sites fare worse than Smart City's. Everything is drawn
from a fixed seed, relative to the injectable clock's now, so the review report and the
category report show meaningful numbers on the first start.

The registry cameras get demo stream addresses (private 10.x addresses nobody answers
on), so that `health.targets.sync` keeps their targets; their next probe is set years
ahead, so the demo's prober leaves the made-up history alone and probes only the station
cameras the simulator serves. The faulty simulated cameras' baseline and reference view
are primed from their healthy footage (`prime_references`), as if each had worked before
its fault: a moved or defocused camera is only recognised against what it used to show.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import av
import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from nigrani.cameras.models import Camera, Site
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.security import FieldCipher
from nigrani.demo.cameras import PREFIX
from nigrani.health import picture, targets
from nigrani.health.models import HealthOutage, HealthTarget
from nigrani.health.prober import REFERENCE_DIR

SEED: Final = 2026
HISTORY_DAYS: Final = 30
NOT_PROBED_DAYS: Final = 3650  # the made-up history's targets fall due only then
# (offline now, degraded now, own outages in 30 days) by category; others: DEFAULT.
RELIABILITY: Final = {
    "smart_city": (0.05, 0.04, 0.8),
    "nagar_nigam": (0.12, 0.06, 1.5),
    "police_post": (0.08, 0.05, 1.2),
    "bus_stand": (0.10, 0.07, 1.5),
}
DEFAULT: Final = (0.13, 0.08, 1.8)
SITE_DARK_NOW: Final = 0.03  # a whole site offline now (its power or link is down)
SITE_POWER_CUTS: Final = 0.6  # whole-site outages per site in 30 days
OFFLINE_WHY: Final = {"unreachable": 6, "no_frames": 2, "refused": 1, "stopped": 1}
DEGRADED_WHY: Final = {"covered": 5, "defocused": 5, "moved": 4, "dark": 3, "frozen": 2}
# How long the current offline spell has lasted: (share, shortest, longest) in hours.
OFFLINE_SINCE: Final = ((0.3, 0.5, 24), (0.4, 24, 168), (0.2, 168, 720), (0.1, 720, 2400))
PRIME_PROBES: Final = 4  # healthy looks to learn a faulty camera's baseline from
PRIME_FRAMES: Final = 8


@dataclass(frozen=True, slots=True)
class Spell:
    """A time a camera was not working: open (`end` None) if it still lasts."""

    state: str
    reason: str
    start: datetime
    end: datetime | None


def seed_health(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Targets for every camera (health.targets.sync), then, once, the made-up history of
    the demo registry's linked cameras; returns how many cameras got a history."""
    now = now or utcnow()
    added = _give_addresses(session, settings)
    targets.sync(session, now, interval_s=settings.health_interval_s)
    seeded = select(HealthTarget.id).where(
        HealthTarget.registry_camera_id.is_not(None), HealthTarget.last_probe_at.is_not(None)
    )
    if not added and session.scalar(seeded.limit(1)) is not None:
        return 0
    due_soon(session, now, settings.health_socket_interval_s)
    rows = session.execute(
        select(HealthTarget.id, HealthTarget.registry_camera_id, Site.id, Site.category_code)
        .join(Camera, Camera.id == HealthTarget.registry_camera_id)
        .join(Site, Site.id == Camera.site_id)
        .where(Site.external_id.startswith(PREFIX))
        .order_by(HealthTarget.id)
    ).all()
    by_site: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for target_id, camera_id, site_id, category in rows:
        by_site[site_id].append((target_id, camera_id or 0, category))
    rng = random.Random(SEED)  # noqa: S311 - repeatable demo data, not a secret
    histories = {
        camera: (target, spells)
        for site in sorted(by_site)
        for camera, target, spells in _site_history(by_site[site], rng, now)
    }
    _write(session, histories, now, settings.health_alert_after_minutes)
    return len(histories)


def due_soon(session: Session, start: datetime, within_s: int) -> None:
    """The station cameras never probed fall due from `start` over `within_s`, so the
    demo's faulty cameras show within minutes of the first start (sync spread them over
    the interval, behind the registry's 1,719)."""
    ids = session.scalars(
        select(HealthTarget.id)
        .where(HealthTarget.station_camera_id.is_not(None), HealthTarget.last_probe_at.is_(None))
        .order_by(HealthTarget.id)
    ).all()
    rows = [
        {"id": target_id, "due_at": start + timedelta(seconds=within_s * i / len(ids))}
        for i, target_id in enumerate(ids)
    ]
    if rows:
        session.execute(update(HealthTarget), rows)


def _give_addresses(session: Session, settings: Settings) -> int:
    """Demo stream addresses for the demo registry's linked cameras that have none."""
    cipher = FieldCipher(settings.encryption_key)
    ids = session.scalars(
        select(Camera.id)
        .join(Site, Site.id == Camera.site_id)
        .where(Camera.linked.is_(True), Camera.stream_url_enc.is_(None))
        .where(Site.external_id.startswith(PREFIX))
        .order_by(Camera.id)
    ).all()
    rows = []
    for camera_id in ids:
        host = f"10.{20 + camera_id // 62500 % 200}.{camera_id // 250 % 250}.{camera_id % 250 + 2}"
        base = f"rtsp://viewer:demo-{camera_id:05d}@{host}:554/Streaming/Channels"
        rows.append(
            {
                "id": camera_id,
                "stream_url_enc": cipher.encrypt(f"{base}/101"),
                "substream_url_enc": cipher.encrypt(f"{base}/102"),
            }
        )
    if rows:
        session.execute(update(Camera), rows)
    return len(rows)


def _site_history(
    cameras: list[tuple[int, int, str]], rng: random.Random, now: datetime
) -> Iterable[tuple[int, int, list[Spell]]]:
    """(camera, target, spells) of one site's cameras: the site's power cuts and dark
    spell shared by all, each camera's own faults on top."""
    window = now - timedelta(days=HISTORY_DAYS)
    shared = [
        _spell("offline", "unreachable", _moment(rng, window, now), rng.uniform(0.5, 8) * 3600)
        for _ in range(_poisson(rng, SITE_POWER_CUTS))
    ]
    dark = None
    if rng.random() < SITE_DARK_NOW:
        dark = Spell("offline", "unreachable", now - _offline_for(rng), None)
    for target_id, camera_id, category in cameras:
        current = dark or _current(rng, category, now)
        own = _outages(rng, category, window, now)
        yield camera_id, target_id, _merged([*shared, *own], current, now)


def _current(rng: random.Random, category: str, now: datetime) -> Spell | None:
    offline, degraded, _ = RELIABILITY.get(category, DEFAULT)
    draw = rng.random()
    if draw < offline:
        return Spell("offline", _pick(rng, OFFLINE_WHY), now - _offline_for(rng), None)
    if draw < offline + degraded:
        hours = math.exp(rng.uniform(math.log(1), math.log(24 * 20)))
        return Spell("degraded", _pick(rng, DEGRADED_WHY), now - timedelta(hours=hours), None)
    return None


def _outages(rng: random.Random, category: str, start: datetime, now: datetime) -> list[Spell]:
    """A camera's own outages that came and went: mostly short drops, a few degraded days."""
    spells = []
    for _ in range(_poisson(rng, RELIABILITY.get(category, DEFAULT)[2])):
        at = _moment(rng, start, now)
        if rng.random() < 0.8:
            seconds = min(rng.lognormvariate(math.log(45 * 60), 1.2), 3 * 86400)
            spells.append(_spell("offline", _pick(rng, OFFLINE_WHY), at, seconds))
        else:
            seconds = min(rng.lognormvariate(math.log(8 * 3600), 1.0), 7 * 86400)
            spells.append(_spell("degraded", _pick(rng, DEGRADED_WHY), at, seconds))
    return spells


def _merged(past: list[Spell], current: Spell | None, now: datetime) -> list[Spell]:
    """Past spells in order, without overlaps, ended before the current one (and now)."""
    limit = current.start if current else now
    kept: list[Spell] = []
    for spell in sorted(past, key=lambda s: s.start):
        end = spell.end or now
        if end >= limit or (kept and spell.start <= (kept[-1].end or now)):
            continue
        kept.append(spell)
    return [*kept, current] if current else kept


def _write(
    session: Session,
    histories: Mapping[int, tuple[int, list[Spell]]],
    now: datetime,
    alert_after_min: int,
) -> None:
    rng = random.Random(SEED + 1)  # noqa: S311 - repeatable demo data, not a secret
    created = now - timedelta(days=HISTORY_DAYS + 15)
    alert_after = timedelta(minutes=alert_after_min)
    targets_rows, cameras_rows, outage_rows = [], [], []
    for camera_id, (target_id, spells) in histories.items():
        last = spells[-1] if spells else None
        current = last if last and last.end is None else None
        state = current.state if current else "working"
        since = current.start if current else (last.end if last else created)
        probed = now - timedelta(seconds=rng.uniform(5, 290))
        targets_rows.append(
            {
                "id": target_id, "state": state, "reason": current.reason if current else "",
                "since": since, "last_probe_at": probed,
                "last_ok_at": since if state == "offline" else probed,
                "last_result": json.dumps(_measurements(rng, current), sort_keys=True),
                "due_at": now + timedelta(days=NOT_PROBED_DAYS),
                "created_at": created, "updated_at": now,
            }
        )  # fmt: skip
        cameras_rows.append({"id": camera_id, "health": state})
        for spell in spells:
            long = spell.state == "offline" and (spell.end or now) - spell.start > alert_after
            outage_rows.append(
                {
                    "target_id": target_id, "state": spell.state, "reason": spell.reason,
                    "start_at": spell.start, "end_at": spell.end,
                    "alerted_at": spell.start + alert_after if long else None,
                }
            )  # fmt: skip
    if targets_rows:
        session.execute(update(HealthTarget), targets_rows)
        session.execute(update(Camera), cameras_rows)
    if outage_rows:
        session.execute(insert(HealthOutage), outage_rows)
    session.flush()


def _measurements(rng: random.Random, current: Spell | None) -> dict[str, Any]:
    """What the last probe of a made-up camera measured (a sub-stream's figures)."""
    if current and current.state == "offline":
        return {"reason": current.reason, "frames": 0, "check": "probe", "demo": True}
    return {
        "reason": "", "codec": "h264", "width": 640, "height": 360,
        "ttff_ms": round(rng.uniform(280, 900), 1), "fps": rng.choice((10.0, 12.5, 15.0, 25.0)),
        "bitrate_kbps": round(rng.uniform(250, 900), 1), "audio": False, "audio_db": None,
        "frames": 8, "check": "probe", "demo": True,
    }  # fmt: skip


def _spell(state: str, reason: str, start: datetime, seconds: float) -> Spell:
    return Spell(state, reason, start, start + timedelta(seconds=seconds))


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _offline_for(rng: random.Random) -> timedelta:
    draw = rng.random()
    for share, low, high in OFFLINE_SINCE:
        if draw < share:
            return timedelta(hours=rng.uniform(low, high))
        draw -= share
    return timedelta(hours=OFFLINE_SINCE[-1][2])


def _pick(rng: random.Random, weights: Mapping[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: small means only)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# Faulty simulated cameras: the baseline and reference they had while they worked.
def healthy_looks(footage: Path, *, probes: int = PRIME_PROBES) -> list[list[np.ndarray]]:
    """Frames as `probes` healthy probes would have seen them: PRIME_FRAMES small gray
    frames over ~2 s, one look every 5 s of the camera's healthy footage (10 fps)."""
    looks: list[list[np.ndarray]] = [[] for _ in range(probes)]
    with av.open(str(footage)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            look, offset = divmod(index, 50)
            if look >= probes:
                break
            if offset < 2 * PRIME_FRAMES and offset % 2 == 0:
                looks[look].append(picture.small_gray(frame))
    return [look for look in looks if look]


def prime_references(
    session: Session, settings: Settings, *, footage: Mapping[int, Path], now: datetime
) -> int:
    """Give each station camera's target (station camera id → its healthy footage) the
    baseline and day and night reference views its healthy probes would have left,
    unless it has a reference already; returns how many were primed."""
    primed = 0
    for camera_id, path in sorted(footage.items()):
        target = session.scalar(
            select(HealthTarget).where(HealthTarget.station_camera_id == camera_id)
        )
        if target is None or target.reference_day:
            continue
        looks = healthy_looks(path)
        reference = picture.reference_frame(looks[0])
        baseline: dict[str, Any] = {}
        for night in (False, True):
            for frames in looks:
                baseline = picture.judge(
                    frames, baseline=baseline, reference=reference, audio_db=None,
                    expect_audio=False, night=night,
                ).baseline  # fmt: skip
        day, night_view = (f"{REFERENCE_DIR}/{target.id}-{p}.jpg" for p in ("day", "night"))
        for relative in (day, night_view):
            path = settings.media_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(picture.encode_reference(reference))
        target.reference_day, target.reference_night = day, night_view
        target.reference_set_at, target.baseline = now, json.dumps(baseline, sort_keys=True)
        primed += 1
    session.flush()
    return primed
