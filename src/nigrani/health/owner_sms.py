"""An SMS to a private camera's owner when the camera seems offline: only if they opted in.

The listing's consent covers being listed, not messages, so the owner gives this one
separately ("Send me an SMS when my camera seems to be offline", off unless ticked, with
its own time: Site.health_sms / health_sms_at) and takes it back with the same switch on
their page, which every SMS links to (there is no inbound SMS, so no "reply STOP"). A paused
listing, hidden from police searches, still gets them: they were asked for apart from it.

`queue` (in the sweep's transaction, when a camera_offline alert is raised) writes one
outbox job per outage: its dedupe key is the outage, and the sweep claims each outage once
(health.alerts), so repeated or concurrent sweeps queue nothing twice. The job (`_send`)
checks again that the owner still wants it, counts the owner's health SMS of the last 24
hours (accounts.throttle.audit_window, under a lock on the owner's row, over the audit rows
about their listings) and only then decrypts the number, records that use in the audit log
(system actor, reason "health alert"; the owner sees it on their page) and queues the SMS:
the camera's name and the time, nothing else about anyone.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import throttle
from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.core import audit, outbox
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.i18n import _, language
from nigrani.core.security import FieldCipher
from nigrani.core.sms import service as sms
from nigrani.core.sms import templates
from nigrani.health import naming
from nigrani.health.models import HealthAlert

log = logging.getLogger(__name__)
JOB_KIND = "health.owner_sms"
ACTION = "site.owner_sms"  # the audit row of each use of the owner's number
REASON = "health alert"
WINDOW = timedelta(days=1)
_PHONE_LIKE = re.compile(r"\d{8,}")


def wants_sms(site: Site) -> bool:
    """Whether the site's owner asked for health SMS and can still be reached."""
    return (
        site.health_sms
        and site.owner_user_id is not None
        and site.owner_phone_enc is not None
        and site.status != "withdrawn"
    )


def queue(session: Session, *, alert: HealthAlert, outage_id: int) -> bool:
    """Queue the owner's SMS of a camera_offline alert if they opted in; once per outage."""
    site = session.get(Site, alert.site_id) if alert.site_id is not None else None
    if site is None or site.is_public or not wants_sms(site):
        return False
    key = f"{JOB_KIND}:{outage_id}"
    if session.scalar(select(outbox.OutboxJob.id).where(outbox.OutboxJob.dedupe_key == key)):
        return False
    payload = {"alert": alert.id, "site": site.id}
    outbox.enqueue(session, kind=JOB_KIND, payload=payload, dedupe_key=key)
    return True


def stop_url(settings: Settings, site: Site) -> str:
    """The owner's page of the listing, where the switch turns these SMS off."""
    return f"{settings.public_url}/citizen/cameras/{site.id}"


def _over_cap(session: Session, *, owner: User, settings: Settings, now: datetime) -> bool:
    sites = session.scalars(select(Site.id).where(Site.owner_user_id == owner.id)).all()
    full = throttle.audit_window(
        session,
        user=owner,
        action=ACTION,
        window=WINDOW,
        limit=settings.health_owner_sms_per_day,
        now=now,
        about=("site", [str(i) for i in sites]),
    )
    return full is not None


def _values(session: Session, settings: Settings, alert: HealthAlert, lang: str) -> dict[str, str]:
    assert alert.target_id is not None
    with language(lang):
        title = naming.name_of(session, alert.target_id, lang=lang).title
        if not title or _PHONE_LIKE.search(title):
            title = _("at your place")
    start = datetime.fromisoformat(
        json.loads(alert.data).get("start", alert.created_at.isoformat())
    )
    local = start.astimezone(ZoneInfo(settings.timezone))
    return {"camera": title, "since": local.strftime("%d-%m %H:%M")}


@outbox.handler(JOB_KIND)
def _send(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    """Text the owner, if they still want it, the camera is still down and the day's cap
    allows; every use of the number is audited."""
    session, settings = ctx.session, ctx.settings
    alert = session.get(HealthAlert, int(payload["alert"]))
    site = session.get(Site, int(payload["site"]))
    if alert is None or site is None or alert.resolved_at is not None or not wants_sms(site):
        return  # came back, or the owner opted out (or withdrew) since the alert
    owner = session.get(User, site.owner_user_id)
    if owner is None:
        return
    if _over_cap(session, owner=owner, settings=settings, now=utcnow()):
        log.info("health SMS to the owner of site %s skipped: the day's cap is reached", site.id)
        return
    lang = owner.language or settings.default_language
    values: dict[str, object] = {**_values(session, settings, alert, lang)}
    values["url"] = stop_url(settings, site)
    assert site.owner_phone_enc is not None
    phone = FieldCipher(settings.encryption_key).decrypt(site.owner_phone_enc)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action=ACTION,
        object_type="site",
        object_id=site.id,
        reason=REASON,
        reference=f"health-alert-{alert.id}",
        detail={"alert": alert.id, "target": alert.target_id},
    )
    template = templates.for_language("health.owner_offline", lang)
    sms.queue_sms(session, settings, to=phone, template=template.name, values=values)
