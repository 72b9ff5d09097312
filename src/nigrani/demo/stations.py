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
# Cameras the simulator serves with a fault (camera health), two of each, after LIVE's
# (cam09…). A hung camera accepts connections on a port of its own and never answers.
FAULTY: tuple[tuple[str, str, str], ...] = (
    ("KNP-S-HARBANSMOHAL", "entry_exit", "black"),
    ("KNP-S-BAJARIA", "sho_room", "black"),
    ("KNP-S-CHAMANGANJ", "lockup", "covered"),
    ("KNP-S-BECONGANJ", "corridor", "covered"),
    ("KNP-S-ANWARGANJ", "entry_exit", "defocused"),
    ("KNP-S-RAIPURWA", "sho_room", "defocused"),
    ("KNP-S-NAZIRABAD", "lockup", "frozen"),
    ("KNP-S-SWAROOPNAGAR", "entry_exit", "frozen"),
    ("KNP-S-NAWABGANJ", "corridor", "moved"),
    ("KNP-S-GWALTOLI", "entry_exit", "moved"),
    ("KNP-S-CANTT", "reception", "silent"),
    ("KNP-S-RAILBAZAR", "sho_room", "silent"),
    ("KNP-S-CHAKERI", "entry_exit", "hung"),
    ("KNP-S-AHIRWAN", "lockup", "hung"),
)
SIMULATED: tuple[tuple[str, str], ...] = LIVE + tuple((s, r) for s, r, _ in FAULTY)
DEMO_RTSP_PORT = 8554  # the simulator's default client port
DEMO_HUNG_PORT_OFFSET = 2  # the hung cameras' port: the client port + 2
LIVE_PREFIX = "cam"
DEMO_RETENTION_DAYS = 2  # demo footage is kept two days, so a demo left running stays small


def mount(station_code: str, role: str) -> str:
    """The simulator's mount of a demo camera: cam01… for the simulated ones (the
    simulator's own names), a name nobody publishes for the rest."""
    if (station_code, role) in SIMULATED:
        return f"{LIVE_PREFIX}{SIMULATED.index((station_code, role)) + 1:02d}"
    return f"{station_code.removeprefix('KNP-S-').lower()}-{role.replace('_', '-')}"


def stream_urls(station_code: str, role: str, port: int = DEMO_RTSP_PORT) -> tuple[str, str]:
    """Main and sub-stream URLs of a demo camera on the loopback simulator."""
    name = mount(station_code, role)
    if (station_code, role, "hung") in FAULTY:
        port += DEMO_HUNG_PORT_OFFSET
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


def simulator_faults() -> dict[str, str]:
    """The demo simulator's faulty cameras: mount name → fault."""
    return {mount(s, r): fault for s, r, fault in FAULTY}


def live_mounts() -> list[str]:
    """Mount names the demo simulator must publish (main and sub of each live camera)."""
    return [m for s, r in LIVE for m in (mount(s, r), f"{mount(s, r)}-sub")]
