"""Tables of the camera registry: categories, sites and cameras."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nigrani.core.db import Base, UTCDateTime
from nigrani.core.i18n import pick

SITE_STATUSES = ("active", "paused", "withdrawn")
SOURCES = ("citizen", "import", "staff")


class CameraCategory(Base):
    """A kind of place with cameras (shops, schools, Smart City …) and its target."""

    __tablename__ = "camera_categories"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_hi: Mapped[str] = mapped_column(String(120))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    target: Mapped[int] = mapped_column(Integer, default=0)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, lang: str) -> str:
        """The category's name in a language."""
        return pick((self.name_en, self.name_hi), lang)


class Site(Base):
    """A place with one or more cameras: a shop, a junction, a home.

    Owner name and mobile are personal data: stored only encrypted (`*_enc`), looked up by a
    keyed hash, and shown masked; the plaintext is revealed only through the audited canvass.
    """

    __tablename__ = "camera_sites"
    __table_args__ = (
        Index("ix_camera_sites_lat_lon", "lat", "lon"),
        Index(
            "ix_camera_sites_map",
            "lat",
            "lon",
            "node_path",
            "status",
            "category_code",
            "is_public",
            "camera_count",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdiction_nodes.id"), index=True)
    # The station's materialised path, so jurisdiction filters need no join.
    node_path: Mapped[str] = mapped_column(String(400), index=True, default="/")
    category_code: Mapped[str] = mapped_column(ForeignKey("camera_categories.code"), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    camera_count: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(16), default="staff")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner_name_enc: Mapped[str | None] = mapped_column(Text)
    owner_phone_enc: Mapped[str | None] = mapped_column(Text)
    owner_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    owner_name_masked: Mapped[str | None] = mapped_column(String(120))
    owner_phone_masked: Mapped[str | None] = mapped_column(String(32))
    facing: Mapped[str] = mapped_column(String(40), default="")
    retention_days: Mapped[int | None] = mapped_column(Integer)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A consent of its own (the listing's covers no messages): an SMS to the owner when one
    # of the cameras seems offline (nigrani.health.owner_sms); when it was last turned on or off.
    health_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    health_sms_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keep_point_on_withdrawal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[CameraCategory] = relationship()
    cameras: Mapped[list[Camera]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Camera.id"
    )

    @property
    def linked_count(self) -> int:
        """Cameras of this site live in the control room."""
        return sum(1 for c in self.cameras if c.linked)


class Camera(Base):
    """One camera of a site, with as much detail as the owner or the city knows."""

    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(
        ForeignKey("camera_sites.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120), default="")
    heading_deg: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)
    height_m: Mapped[float | None] = mapped_column(Float)
    resolution: Mapped[str] = mapped_column(String(40), default="")
    night_vision: Mapped[bool | None] = mapped_column(Boolean)
    audio: Mapped[bool | None] = mapped_column(Boolean)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    make: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    serial: Mapped[str] = mapped_column(String(80), default="")
    mac: Mapped[str] = mapped_column(String(32), default="")
    linked: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Stream URLs carry credentials: encrypted, never returned by any API.
    stream_url_enc: Mapped[str | None] = mapped_column(Text)
    substream_url_enc: Mapped[str | None] = mapped_column(Text)
    health: Mapped[str] = mapped_column(String(16), default="unknown")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship(back_populates="cameras")
