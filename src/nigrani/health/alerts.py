"""Alerts from camera outages: a camera offline too long, or a whole area dark at once.

`sweep` (a periodic task) raises, at most once per outage:
- an `area_dark` alert when many cameras of one place go offline within a few minutes of
  each other (a power cut or a dead network link, seen by each camera's next probe): this
  many of one site (settings.health_area_site_cameras), or this share of a station's own
  cameras (settings.health_area_station_percent, and at least as many as a site needs).
  ONE alert names the count; its cameras get no alerts of their own, and cameras of the
  place that fail in the same window join it.
- a `camera_offline` alert for every other camera offline longer than
  settings.health_alert_after_minutes (the area check waits as long, from its first camera).
Each alert goes to its team through the outbox (an SMS to the team's number, where
settings.health_team_phones has one) and, in the app, to the station's SHO and the control
room above it. An area alert names its place (the site, or the police station) in the text,
the notification and the SMS; a camera is named by health.naming. A private owner is texted
only if they opted in to it on their listing (health.owner_sms: once per outage, a daily
cap, the number decrypted only in the outbox job and that use audited); otherwise the
station and the control room chase owners' cameras.
A camera alert resolves when its camera is no longer offline; an area alert when fewer of
its cameras than a site needs are still offline (those left then get alerts of their own).

Idempotent: an outage is claimed for an alert by a conditional UPDATE (`alerted_at IS
NULL`), and sweeps run one at a time (an advisory lock on PostgreSQL, the writer lock on
SQLite), so a repeated or concurrent sweep raises nothing twice.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.models import Site
from nigrani.core import outbox
from nigrani.core.config import Settings
from nigrani.core.db import write_now
from nigrani.core.sms import service as sms
from nigrani.core.sms import templates
from nigrani.health import naming, owner_sms
from nigrani.health.models import HealthAlert, HealthOutage, HealthTarget

log = logging.getLogger(__name__)
JOB_KIND = "health.alert"
CAMERA_OFFLINE, AREA_DARK = "camera_offline", "area_dark"
_SWEEP_LOCK = 0x4E1A7E57  # pg_advisory_xact_lock key of the health sweep
_PHONE_LIKE = re.compile(r"\d{8,}")


@dataclass(frozen=True)
class _Down:
    """An open offline outage not yet told, and its camera's place."""

    outage_id: int
    target_id: int
    site_id: int | None
    node_path: str
    team: str
    start_at: datetime


def sweep(session: Session, now: datetime, settings: Settings) -> int:
    """Resolve the alerts whose cameras came back, raise new ones; how many were raised."""
    _one_at_a_time(session)
    _resolve(session, now, settings)
    waiting = _untold(session)
    _join_open_areas(session, now, settings, waiting)
    raised, waiting = _areas(session, now, settings, waiting)
    after = now - timedelta(minutes=settings.health_alert_after_minutes)
    for down in waiting:
        if down.start_at <= after and _raise_camera(session, now, settings, down):
            raised += 1
    return raised


def _one_at_a_time(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_SWEEP_LOCK)))
    else:
        write_now(session)


def _untold(session: Session) -> list[_Down]:
    t, o = HealthTarget, HealthOutage
    stmt = (
        select(o.id, t.id, t.site_id, t.node_path, t.team, o.start_at)
        .join(t, t.id == o.target_id)
        .where(o.end_at.is_(None), o.alerted_at.is_(None), o.state == "offline")
        .where(t.enabled.is_(True))
        .order_by(o.start_at, o.id)
    )
    return [_Down(*row) for row in session.execute(stmt)]


def _claim(session: Session, now: datetime, outage_ids: Sequence[int]) -> list[int]:
    """Mark outages told; the ones this sweep won (a concurrent one may have been first)."""
    if not outage_ids:
        return []
    stmt = (
        update(HealthOutage)
        .where(HealthOutage.id.in_(outage_ids), HealthOutage.alerted_at.is_(None))
        .values(alerted_at=now)
        .returning(HealthOutage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt).all())


def _cluster(downs: list[_Down], window: timedelta, need: int) -> list[_Down]:
    """The first run of at least `need` outages all begun within `window` of its first."""
    for i, first in enumerate(downs):
        run = [d for d in downs[i:] if d.start_at <= first.start_at + window]
        if len(run) >= need:
            return run
    return []


def _station_totals(session: Session, paths: Iterable[str]) -> dict[str, int]:
    t = HealthTarget
    stmt = (
        select(t.node_path, func.count())
        .where(t.enabled.is_(True), t.node_path.in_(sorted(set(paths))))
        .group_by(t.node_path)
    )
    return {path: int(n) for path, n in session.execute(stmt)}


def _areas(
    session: Session, now: datetime, settings: Settings, waiting: list[_Down]
) -> tuple[int, list[_Down]]:
    """Raise the area alerts (stations first, then sites); the outages still waiting."""
    window = timedelta(minutes=settings.health_area_window_minutes)
    after = now - timedelta(minutes=settings.health_alert_after_minutes)
    site_need = settings.health_area_site_cameras
    totals = _station_totals(session, (d.node_path for d in waiting))
    raised, taken = 0, set[int]()
    for scope, key in (("station", "node_path"), ("site", "site_id")):
        groups: dict[Any, list[_Down]] = defaultdict(list)
        for down in waiting:
            if down.outage_id not in taken and getattr(down, key) is not None:
                groups[getattr(down, key)].append(down)
        for place, downs in groups.items():
            need = site_need
            if scope == "station":
                share = settings.health_area_station_percent / 100 * totals.get(place, 0)
                need = max(site_need, math.ceil(share))
            run = _cluster(downs, window, need)
            if run and run[0].start_at <= after:
                taken |= {d.outage_id for d in run}
                raised += _raise_area(session, now, settings, scope=scope, run=run)
    return raised, [d for d in waiting if d.outage_id not in taken]


def _raise_area(
    session: Session, now: datetime, settings: Settings, *, scope: str, run: list[_Down]
) -> int:
    claimed = set(_claim(session, now, [d.outage_id for d in run]))
    run = [d for d in run if d.outage_id in claimed]
    if not run:
        return 0
    first = run[0]
    if len({d.site_id for d in run}) == 1 and first.site_id is not None:
        scope = "site"  # the station's dark cameras are all of one site: name the site
    site_id = first.site_id if scope == "site" else None
    data = {
        "scope": scope,
        "start": first.start_at.isoformat(),
        "targets": sorted(d.target_id for d in run),
    }
    alert = _new_alert(
        session,
        now,
        kind=AREA_DARK,
        team=first.team if scope == "site" else "control_room",
        node_path=first.node_path,
        site_id=site_id,
        target_id=None,
        cameras=len(run),
        data=data,
    )
    _tell(session, settings, alert)
    return 1


def _raise_camera(session: Session, now: datetime, settings: Settings, down: _Down) -> bool:
    if not _claim(session, now, [down.outage_id]):
        return False
    alert = _new_alert(
        session,
        now,
        kind=CAMERA_OFFLINE,
        team=down.team,
        node_path=down.node_path,
        site_id=down.site_id,
        target_id=down.target_id,
        cameras=1,
        data={"outage": down.outage_id, "start": down.start_at.isoformat()},
    )
    _tell(session, settings, alert)
    owner_sms.queue(session, alert=alert, outage_id=down.outage_id)
    return True


def _new_alert(session: Session, now: datetime, **fields: Any) -> HealthAlert:
    data = json.dumps(fields.pop("data"), sort_keys=True)
    alert = HealthAlert(**fields, data=data, created_at=now, updated_at=now)
    session.add(alert)
    session.flush()
    return alert


def _join_open_areas(
    session: Session, now: datetime, settings: Settings, waiting: list[_Down]
) -> None:
    """Cameras of a dark area that fail within its window join its alert (no new one)."""
    window = timedelta(minutes=settings.health_area_window_minutes)
    open_areas = session.scalars(
        select(HealthAlert).where(HealthAlert.kind == AREA_DARK, HealthAlert.resolved_at.is_(None))
    ).all()
    for alert in open_areas:
        data = json.loads(alert.data)
        start = datetime.fromisoformat(data["start"])
        joining = [
            d
            for d in waiting
            if start <= d.start_at <= start + window
            and (d.site_id == alert.site_id if data["scope"] == "site" else True)
            and d.node_path == alert.node_path
        ]
        won = set(_claim(session, now, [d.outage_id for d in joining]))
        if won:
            data["targets"] = sorted({*data["targets"], *(d.target_id for d in joining)})
            alert.cameras, alert.updated_at = len(data["targets"]), now
            alert.data = json.dumps(data, sort_keys=True)
            waiting[:] = [d for d in waiting if d.outage_id not in won]


def _resolve(session: Session, now: datetime, settings: Settings) -> None:
    t = HealthTarget
    back = select(t.id).where(t.state != "offline")
    session.execute(
        update(HealthAlert)
        .where(HealthAlert.kind == CAMERA_OFFLINE, HealthAlert.resolved_at.is_(None))
        .where(HealthAlert.target_id.in_(back))
        .values(resolved_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    open_areas = session.scalars(
        select(HealthAlert).where(HealthAlert.kind == AREA_DARK, HealthAlert.resolved_at.is_(None))
    ).all()
    for alert in open_areas:
        ids = json.loads(alert.data)["targets"]
        still = session.scalars(select(t.id).where(t.id.in_(ids), t.state == "offline")).all()
        if len(still) >= settings.health_area_site_cameras:
            continue
        alert.resolved_at = alert.updated_at = now
        # the few left dark are broken cameras, not the area: they get alerts of their own
        session.execute(
            update(HealthOutage)
            .where(HealthOutage.target_id.in_(still), HealthOutage.end_at.is_(None))
            .values(alerted_at=None)
            .execution_options(synchronize_session=False)
        )
    session.flush()


# Telling: the outbox (the team's SMS) and the app (station and control room).


def _tell(session: Session, settings: Settings, alert: HealthAlert) -> None:
    outbox.enqueue(
        session, kind=JOB_KIND, payload={"alert": alert.id}, dedupe_key=f"{JOB_KIND}:{alert.id}"
    )
    notifications.notify(
        session,
        users=notifications.station_readers(session, node_path=alert.node_path),
        event=_event(session, settings, alert),
    )


def _short(text: str, fallback: str) -> str:
    text = " ".join(text.split())[:60]
    return fallback if not text or _PHONE_LIKE.search(text) else text


def _event(session: Session, settings: Settings, alert: HealthAlert) -> notifications.Event:
    lang = settings.default_language
    if alert.kind == CAMERA_OFFLINE:
        assert alert.target_id is not None
        title = naming.name_of(session, alert.target_id, lang=lang).title
        return notifications.Event(
            kind=notifications.CAMERA_OFFLINE,
            object_type="health_alert",
            object_id=alert.id,
            event="raised",
            link=f"/health/cameras/{alert.target_id}",
            params={
                "name": _short(title, f"#{alert.target_id}"),
                "minutes": settings.health_alert_after_minutes,
            },
        )
    params: dict[str, notifications.Param] = {"count": alert.cameras}
    if alert.site_id is not None:
        params["place"] = _short(place_name(session, alert, lang), f"#{alert.site_id}")
    else:  # a station's cameras: its name in both languages, each reader gets theirs
        params["station"] = _short(place_name(session, alert, "en"), alert.node_path[-60:])
        params["station_hi"] = _short(place_name(session, alert, "hi"), alert.node_path[-60:])
    return notifications.Event(
        kind=notifications.AREA_DARK,
        object_type="health_alert",
        object_id=alert.id,
        event="raised",
        link="/health/alerts",
        params=params,
    )


def place_name(session: Session, alert: HealthAlert, lang: str) -> str:
    """The site's name, or the police station's, of an area alert."""
    if alert.site_id is not None:
        return session.scalar(select(Site.name).where(Site.id == alert.site_id)) or ""
    node = session.scalar(select(JurisdictionNode).where(JurisdictionNode.path == alert.node_path))
    return node.name(lang) if node is not None else ""


@outbox.handler(JOB_KIND)
def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Text the alert to its team's number; a team without one (or an owner) is told in
    the app only."""
    alert = ctx.session.get(HealthAlert, int(payload["alert"]))
    phone = ctx.settings.health_team_phones.get(alert.team) if alert else None
    if alert is None or alert.team == "owner" or not phone:
        return
    since = json.loads(alert.data).get("start")
    lang = ctx.settings.default_language
    local = datetime.fromisoformat(since).astimezone(ZoneInfo(ctx.settings.timezone))
    values: dict[str, object] = {"since": local.strftime("%d-%m %H:%M"), "count": alert.cameras}
    values["place"] = place_name(ctx.session, alert, lang)
    if alert.kind == CAMERA_OFFLINE and alert.target_id is not None:
        values["camera"] = naming.name_of(ctx.session, alert.target_id, lang=lang).title
    name = "health.offline" if alert.kind == CAMERA_OFFLINE else "health.area_dark"
    template = templates.for_language(name, lang)
    sms.queue_sms(ctx.session, ctx.settings, to=phone, template=template.name, values=values)
