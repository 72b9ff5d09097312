"""A probed camera's extra signals: where they are set, and what they add to a result.

Configuration. A target may carry an HTTP snapshot URL and an ONVIF endpoint (host, port,
user, password). Both hold credentials, so both are stored only encrypted with the field
cipher, as stream URLs are, beside a masked copy (host, port and path) that pages show.
`update_signals` changes them (audited: which fields, and the masked values only);
`signals_of` decrypts them for the prober's worker, which passes values, not rows.

Judgement. `check_signals` runs the checks that are set (health.snapshot, health.onvif)
and returns their measurements; `apply` folds them into the stream's verdict:
- a camera whose stream is down but whose snapshot answers keeps its offline reason, and
  the result says so in `detail` ("stream down, snapshot answers");
- an active ONVIF tamper event on a camera whose stream works makes the result
  degraded / "tampered" (the K-in-a-row rule of health.state still applies);
- an ONVIF or snapshot failure is recorded and changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.jurisdiction import within
from nigrani.core import audit, urls
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.security import FieldCipher
from nigrani.health.models import HealthTarget
from nigrani.health.onvif import OnvifEndpoint, check_onvif
from nigrani.health.schemas import SignalsUpdate
from nigrani.health.snapshot import fetch_snapshot

log = logging.getLogger(__name__)
SNAPSHOT_ANSWERS = "stream down, snapshot answers"
TAMPERED = "tampered"


@dataclass(frozen=True, slots=True)
class Signals:
    """The extra signals set for one camera, in clear (worker threads only)."""

    snapshot_url: str | None = None
    onvif: OnvifEndpoint | None = None

    def __bool__(self) -> bool:
        return bool(self.snapshot_url or self.onvif)

    def __repr__(self) -> str:  # never the credentials, even in a traceback
        url = urls.masked(self.snapshot_url) if self.snapshot_url else None
        return f"Signals(snapshot={url!r}, onvif={self.onvif.masked() if self.onvif else None!r})"


def _endpoint(cipher: FieldCipher, encrypted: str | None) -> OnvifEndpoint | None:
    if not encrypted:
        return None
    value = json.loads(cipher.decrypt(encrypted))
    return OnvifEndpoint(
        host=str(value["host"]),
        port=int(value["port"]),
        user=str(value.get("user", "")),
        password=str(value.get("password", "")),
    )


def signals_of(target: HealthTarget, *, keys: str) -> Signals:
    """The target's extra signals decrypted; none when none are set or they cannot be read."""
    if not (target.snapshot_url_enc or target.onvif_enc):
        return Signals()
    cipher = FieldCipher(keys)
    try:
        snapshot = cipher.decrypt(target.snapshot_url_enc) if target.snapshot_url_enc else None
        return Signals(snapshot, _endpoint(cipher, target.onvif_enc))
    except (ValueError, KeyError, TypeError):
        log.warning("camera target %d: its extra signals cannot be decrypted", target.id)
        return Signals()


def target_of_station_camera(
    session: Session, *, camera_id: int, scope_path: str
) -> HealthTarget | None:
    """The target of a station camera inside the caller's charge, if the prober has one."""
    target = session.scalars(
        select(HealthTarget).where(HealthTarget.station_camera_id == camera_id)
    ).first()
    return target if target is not None and within(target.node_path, scope_path) else None


def _stored_endpoint(cipher: FieldCipher, target: HealthTarget) -> OnvifEndpoint | None:
    try:
        return _endpoint(cipher, target.onvif_enc)
    except (ValueError, KeyError, TypeError):
        return None  # unreadable (a retired key): the form's values replace it whole


def _onvif_from(data: SignalsUpdate, stored: OnvifEndpoint | None) -> OnvifEndpoint:
    host = data.onvif_host or (stored.host if stored else None)
    if host is None:
        raise ValidationFailed(
            _("Give the ONVIF host: the camera's IP address or name."), field="onvif_host"
        )
    port = int(data.onvif_port) if data.onvif_port else (stored.port if stored else 80)
    same_place = stored is not None and (stored.host, stored.port) == (host, port)
    password = data.onvif_password or (stored.password if stored and same_place else "")
    if stored and stored.password and not password:
        # A stored password is never sent to a host other than the one it was given for.
        raise ValidationFailed(
            _("Enter the ONVIF password again: the host or port changed."),
            field="onvif_password",
        )
    user = data.onvif_user or (stored.user if stored else "")
    return OnvifEndpoint(host=host, port=port, user=user, password=password)


def update_signals(
    session: Session,
    *,
    keys: str,
    actor: audit.Actor,
    target: HealthTarget,
    data: SignalsUpdate,
    now: datetime,
) -> list[str]:
    """Set or clear the camera's snapshot URL and ONVIF endpoint (audited); the fields
    changed. Empty fields keep what is stored."""
    cipher = FieldCipher(keys)
    changed: list[str] = []
    if data.clear_snapshot:
        target.snapshot_url_enc, target.snapshot_url_masked = None, ""
        changed.append("snapshot_url")
    elif data.snapshot_url:
        target.snapshot_url_enc = cipher.encrypt(data.snapshot_url)
        target.snapshot_url_masked = urls.masked(data.snapshot_url)[:300]
        changed.append("snapshot_url")
    onvif_given = data.onvif_host or data.onvif_port or data.onvif_user or data.onvif_password
    if data.clear_onvif:
        target.onvif_enc, target.onvif_masked = None, ""
        changed.append("onvif")
    elif onvif_given:
        endpoint = _onvif_from(data, _stored_endpoint(cipher, target))
        target.onvif_enc = cipher.encrypt(json.dumps(asdict(endpoint)))
        target.onvif_masked = endpoint.masked()[:300]
        changed.append("onvif")
    if changed:
        target.updated_at = now
        session.flush()
        detail = {"fields": changed, "snapshot": target.snapshot_url_masked}
        audit.record(
            session, actor=actor, action="health.signals.update", object_type="health_target",
            object_id=target.id, detail=detail | {"onvif": target.onvif_masked},
        )  # fmt: skip
    return changed


def check_signals(signals: Signals, *, timeout_s: float) -> dict[str, Any]:
    """The measurements of the extra checks that are set (never raises for a camera)."""
    found: dict[str, Any] = {}
    if signals.snapshot_url:
        found["snapshot"] = fetch_snapshot(
            signals.snapshot_url, timeout_s=min(timeout_s, 3.0)
        ).measurements()
    if signals.onvif:
        found["onvif"] = check_onvif(signals.onvif, timeout_s=min(timeout_s, 4.0)).measurements()
    return found


def apply(
    verdict: tuple[str, str],
    measurements: dict[str, Any],
    signals: dict[str, Any],
    *,
    current: tuple[str, str],
) -> tuple[str, str]:
    """The verdict with the extra signals folded in (they are added to `measurements`).
    An ONVIF failure neither sets nor clears "tampered": a camera tampered with stays so
    while its device cannot be asked."""
    state, reason = verdict
    measurements.update(signals)
    snapshot, onvif = signals.get("snapshot") or {}, signals.get("onvif") or {}
    if state == "offline" and snapshot.get("ok"):
        if measurements.get("detail"):
            measurements["stream_detail"] = measurements["detail"]
        measurements["detail"] = SNAPSHOT_ANSWERS
    if state != "working":
        return state, reason
    tamper = [str(t) for t in onvif.get("tamper") or []]
    if tamper:
        measurements.setdefault("scores", {})["onvif_tamper"] = 1
        measurements["tamper_topic"] = tamper[0]
        return "degraded", TAMPERED
    failed = onvif and not onvif.get("events")
    if failed and current == ("degraded", TAMPERED):
        return current
    return state, reason
