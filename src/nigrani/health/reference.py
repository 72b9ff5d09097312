"""A camera's reference views: what the picture checks compare its view with (a moved camera
no longer matches), shown beside its current view, and accepted anew after a deliberate move.

The prober keeps the reference snapshots (JPEG, relative to the media folder) in
`health/<target>-day.jpg` and `-night.jpg`, and takes one whenever a camera has none and its
picture is fine. So accepting a new view forgets both: the camera's next good probe becomes
its reference (day and night alike, each when its time comes). Where the prober has left the
latest view (`health/<target>-current.jpg`), that view becomes the reference at once.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from nigrani.core import audit
from nigrani.health.models import HealthTarget

REFERENCE_DIR = "health"
MAX_SHOWN_BYTES = 2_000_000  # a reference is a small JPEG; anything bigger is not shown


def current_path(target: HealthTarget) -> str:
    """Where the prober leaves the camera's latest view (relative to the media folder)."""
    return f"{REFERENCE_DIR}/{target.id}-current.jpg"


def _inside(media: Path, relative: str | None) -> Path | None:
    """The file a stored relative path names, if it lies inside the media folder."""
    if not relative:
        return None
    path = (media / relative).resolve()
    return path if path.is_relative_to(media.resolve()) and path.is_file() else None


def data_uri(media: Path, relative: str | None) -> str | None:
    """A snapshot as a `data:` URI for an <img>, or None when there is no such file."""
    path = _inside(media, relative)
    if path is None or path.stat().st_size > MAX_SHOWN_BYTES:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Views:
    """The pictures a camera's panel shows (None: no file)."""

    day: str | None
    night: str | None
    current: str | None


def views(media: Path, target: HealthTarget) -> Views:
    """The reference views and the current one, as data URIs."""
    return Views(
        day=data_uri(media, target.reference_day),
        night=data_uri(media, target.reference_night),
        current=data_uri(media, current_path(target)),
    )


def accept(
    session: Session,
    *,
    target: HealthTarget,
    actor: audit.Actor,
    media: Path,
    night: bool,
    now: datetime,
) -> bool:
    """Accept the camera's current view as its reference after a deliberate move (audited);
    True when the latest view became the reference at once, False when the next good probe
    will set it."""
    before = {"day": target.reference_day, "night": target.reference_night}
    target.reference_day = target.reference_night = None
    current = _inside(media, current_path(target))
    if current is not None:
        relative = f"{REFERENCE_DIR}/{target.id}-{'night' if night else 'day'}.jpg"
        shutil.copyfile(current, media / relative)
        if night:
            target.reference_night = relative
        else:
            target.reference_day = relative
    target.reference_set_at, target.reference_set_by = now, actor.id
    target.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="health.reference",
        object_type="health_target",
        object_id=target.id,
        detail={"before": before, "now": current is not None, "state": target.state},
    )
    return current is not None
