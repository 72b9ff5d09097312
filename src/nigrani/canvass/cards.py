"""What the canvass needs to know of a site, read in two plain queries.

Loading `Site` and `Camera` objects with their relationships cost ~3 ms for two dozen
sites (the ORM's loader machinery, bench/bench_canvass_http.py); the canvass only reads
a dozen columns, so it reads them as rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.cameras.models import Camera, Site


@dataclass(frozen=True, slots=True)
class Lens:
    """One camera's view: where it faces, how wide, how far; how long it keeps footage."""

    heading_deg: float | None
    fov_deg: float | None
    range_m: float | None
    retention_days: int | None
    linked: bool


@dataclass(frozen=True, slots=True)
class SiteCard:
    """A site as the canvass shows it: owner only masked, never the ciphertext."""

    id: int
    name: str
    address: str
    lat: float
    lon: float
    category_code: str
    is_public: bool
    camera_count: int
    owner_name_masked: str | None
    owner_phone_masked: str | None
    site_retention_days: int | None
    cameras: tuple[Lens, ...]

    @property
    def linked_count(self) -> int:
        """Cameras of this site live in the control room."""
        return sum(1 for c in self.cameras if c.linked)

    @property
    def retention_days(self) -> int | None:
        """The longest any camera keeps footage, else what the site says."""
        days = [c.retention_days for c in self.cameras if c.retention_days is not None]
        return max(days) if days else self.site_retention_days


SITE_COLUMNS = (
    Site.id,
    Site.name,
    Site.address,
    Site.lat,
    Site.lon,
    Site.category_code,
    Site.is_public,
    Site.camera_count,
    Site.owner_name_masked,
    Site.owner_phone_masked,
    Site.retention_days,
)
CAMERA_COLUMNS = (
    Camera.site_id,
    Camera.heading_deg,
    Camera.fov_deg,
    Camera.range_m,
    Camera.retention_days,
    Camera.linked,
)


def load(session: Session, ids: list[int]) -> dict[int, SiteCard]:
    """The cards of these sites, by id."""
    # Core on the session's connection: the same transaction, without the ORM's layers.
    conn = session.connection()
    lenses: dict[int, list[Lens]] = defaultdict(list)
    cameras = conn.execute(
        select(*CAMERA_COLUMNS).where(Camera.site_id.in_(ids)).order_by(Camera.id)
    )
    for site_id, heading, angle, reach, days, linked in cameras:
        lenses[site_id].append(Lens(heading, angle, reach, days, linked))
    rows = conn.execute(select(*SITE_COLUMNS).where(Site.id.in_(ids)))
    return {row[0]: SiteCard(*row, cameras=tuple(lenses[row[0]])) for row in rows}
