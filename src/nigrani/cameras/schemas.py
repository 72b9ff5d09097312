"""Request and response bodies of the camera registry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Where cameras point; the last, empty, choice means "not said".
FACINGS = ("road", "N", "NE", "E", "SE", "S", "SW", "W", "NW", "inside", "")
# What a citizen may list (the public categories are the city's own cameras).
CITIZEN_CATEGORIES = ("residence", "shop", "commercial", "school", "hospital", "hotel",
                      "medical_store", "petrol_pump", "industry", "bank_atm", "other")  # fmt: skip


def is_facing(value: str) -> bool:
    """Whether a site's facing is one of the fixed choices (citizens pick from the list)."""
    return value in FACINGS


class CameraIn(BaseModel):
    """Detail of one camera, all optional except what identifies it for the city."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(default="", max_length=120)
    heading_deg: float | None = Field(default=None, ge=0, lt=360)
    fov_deg: float | None = Field(default=None, gt=0, le=360)
    range_m: float | None = Field(default=None, gt=0, le=1000)
    height_m: float | None = Field(default=None, ge=0, le=100)
    resolution: str = Field(default="", max_length=40)
    night_vision: bool | None = None
    audio: bool | None = None
    retention_days: int | None = Field(default=None, ge=0, le=3650)
    make: str = Field(default="", max_length=80)
    model: str = Field(default="", max_length=80)
    serial: str = Field(default="", max_length=80)
    mac: str = Field(default="", max_length=32)
    linked: bool = False
    stream_url: str | None = Field(default=None, max_length=500)
    substream_url: str | None = Field(default=None, max_length=500)

    @field_validator("stream_url", "substream_url")
    @classmethod
    def _stream_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("rtsp://", "rtsps://", "http://", "https://")):
            raise ValueError("stream URL must start with rtsp://, rtsps://, http:// or https://")
        return value or None


class SiteCreate(BaseModel):
    """A site entered by staff or imported; owner contact optional (public cameras)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=400)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    category: str = Field(max_length=40)
    is_public: bool | None = None
    camera_count: int = Field(default=1, ge=1, le=1000)
    facing: str = Field(default="", max_length=40)
    retention_days: int | None = Field(default=None, ge=0, le=3650)
    owner_name: str | None = Field(default=None, max_length=120)
    owner_mobile: str | None = Field(default=None, max_length=32)
    external_id: str | None = Field(default=None, max_length=80)
    cameras: list[CameraIn] = Field(default_factory=list, max_length=1000)


class CitizenSiteCreate(BaseModel):
    """What a citizen enters about their own cameras (Citizen-Eye)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    owner_name: str = Field(min_length=1, max_length=120)
    address: str = Field(default="", max_length=400)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    category: str = Field(default="residence", max_length=40)
    camera_count: int = Field(ge=1, le=100)
    facing: str = Field(default="", max_length=40)
    retention_days: int = Field(ge=0, le=3650)
    consent: bool
    keep_point_on_withdrawal: bool = False
    # A consent of its own, off unless ticked: an SMS when a camera seems offline.
    health_sms: bool = False

    @field_validator("category")
    @classmethod
    def _citizen_category(cls, value: str) -> str:
        if value not in CITIZEN_CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CITIZEN_CATEGORIES)}")
        return value

    @field_validator("facing")
    @classmethod
    def _facing(cls, value: str) -> str:
        if not is_facing(value):
            raise ValueError(f"facing must be one of {', '.join(FACINGS[:-1])} or empty")
        return value


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=400)
    camera_count: int | None = Field(default=None, ge=1, le=1000)
    facing: str | None = Field(default=None, max_length=40)
    retention_days: int | None = Field(default=None, ge=0, le=3650)
    category: str | None = Field(default=None, max_length=40)
    # Staff may only turn the owner's health SMS off (the owner asked them to); only the
    # owner turns it on, on their own page.
    health_sms: bool | None = None


class CameraRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    heading_deg: float | None
    fov_deg: float | None
    range_m: float | None
    resolution: str
    night_vision: bool | None
    audio: bool | None
    retention_days: int | None
    linked: bool
    health: str


class SiteRead(BaseModel):
    """A site as any list, page or API shows it: the owner only masked."""

    id: int
    external_id: str | None
    name: str
    address: str
    lat: float
    lon: float
    category: str
    is_public: bool
    camera_count: int
    linked_count: int
    status: str
    source: str
    station_code: str | None
    owner_name_masked: str | None
    owner_phone_masked: str | None
    facing: str
    retention_days: int | None
    created_at: datetime
    cameras: list[CameraRead]


class SitePage(BaseModel):
    items: list[SiteRead]
    total: int
    page: int
    per_page: int
