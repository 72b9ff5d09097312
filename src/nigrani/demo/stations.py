"""Demo station CCTV: the 23 city stations with audio CCTV, by location role (DEMO DATA).

Every city station gets a camera for most required roles; a few roles are missing and a few
cameras lack night vision or audio, so the compliance board has something to show. Only the
cameras in LIVE are fed by the demo's RTSP simulator; the others point at mounts nobody
publishes, so the recorder reports them offline and the board counts them as not working —
as it would a real camera whose cable is cut.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.demo.kanpur import STATIONS
from nigrani.stations import service
from nigrani.stations.models import REQUIRED_ROLES, StationCamera
from nigrani.stations.schemas import StationCameraCreate

AUDIO_STATIONS = tuple(f"KNP-S-{place.key}" for place in STATIONS[:23])
KOTWALI = "KNP-S-KOTWALI"
# (station, role) pairs that the simulator serves live in the demo: Kotwali's main places,
# and the front desk of four neighbouring stations.
LIVE: tuple[tuple[str, str], ...] = (
    (KOTWALI, "reception"),
    (KOTWALI, "lockup"),
    (KOTWALI, "entry_exit"),
    (KOTWALI, "corridor"),
    ("KNP-S-FEELKHANA", "reception"),
    ("KNP-S-MOOLGANJ", "reception"),
    ("KNP-S-COLONELGANJ", "reception"),
    ("KNP-S-COLLECTORGANJ", "reception"),
)
DEMO_RTSP_PORT = 8554  # the simulator's default client port
LIVE_PREFIX = "cam"
DEMO_RETENTION_DAYS = 2  # demo footage is kept two days, so a demo left running stays small


def mount(station_code: str, role: str) -> str:
    """The simulator's mount of a demo camera: cam01… for the live ones (the simulator's
    own names), a name nobody publishes for the rest."""
    if (station_code, role) in LIVE:
        return f"{LIVE_PREFIX}{LIVE.index((station_code, role)) + 1:02d}"
    return f"{station_code.removeprefix('KNP-S-').lower()}-{role.replace('_', '-')}"


def stream_urls(station_code: str, role: str, port: int = DEMO_RTSP_PORT) -> tuple[str, str]:
    """Main and sub-stream URLs of a demo camera on the loopback simulator."""
    name = mount(station_code, role)
    return f"rtsp://127.0.0.1:{port}/{name}", f"rtsp://127.0.0.1:{port}/{name}-sub"


def _roles(station_code: str) -> list[tuple[str, bool, bool]]:
    """(role, audio, night vision) of a station's cameras: complete at Kotwali, gaps elsewhere."""
    if station_code == KOTWALI:
        return [(role, True, True) for role in REQUIRED_ROLES]
    rng = random.Random(station_code)  # noqa: S311 - repeatable demo variety, not a secret
    cameras = []
    for role in REQUIRED_ROLES:
        if role != "reception" and rng.random() < 0.15:
            continue  # not installed yet
        cameras.append((role, rng.random() > 0.1, rng.random() > 0.15))
    return cameras


def _camera(
    station: JurisdictionNode, number: int, role: str, audio: bool, night: bool, port: int
) -> StationCameraCreate:
    main, sub = stream_urls(station.code, role, port)
    return StationCameraCreate.model_validate(
        {
            "station_id": station.id,
            "name": f"CAM-{number:02d}",
            "role": role,
            "main_url": main,
            "sub_url": sub,
            "has_audio": audio,
            "night_vision": night,
            "retention_days": DEMO_RETENTION_DAYS,
            "make": "CP Plus",
            "model": "CP-UNC-TA21PL3-Y (demo)",
            "serial": f"DEMO-{station.code.removeprefix('KNP-S-')}-{role.upper()}",
        }
    )


def seed_station_cameras(
    session: Session, settings: Settings, *, port: int = DEMO_RTSP_PORT
) -> int:
    """Add the demo station cameras once, streaming from the simulator's RTSP port (the
    browser tests run theirs on a free one); a second run adds nothing."""
    if session.scalar(select(StationCamera.id).limit(1)) is not None:
        return 0
    stations = session.scalars(
        select(JurisdictionNode).where(JurisdictionNode.code.in_(AUDIO_STATIONS))
    )
    added = 0
    for station in sorted(stations, key=lambda s: AUDIO_STATIONS.index(s.code)):
        for number, (role, audio, night) in enumerate(_roles(station.code), start=1):
            service.create_camera(
                session,
                settings=settings,
                actor=audit.SYSTEM,
                scope_path=station.path,
                data=_camera(station, number, role, audio, night, port),
            )
            added += 1
    session.flush()
    return added


def live_mounts() -> list[str]:
    """Mount names the demo simulator must publish (main and sub of each live camera)."""
    return [m for s, r in LIVE for m in (mount(s, r), f"{mount(s, r)}-sub")]
