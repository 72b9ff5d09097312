"""What the fleet benchmarks share (bench_recorder, bench_worker, soak_worker): a settings
object on a temporary SQLite database, one station holding every simulated camera, and the
CPU seconds and memory of processes read from /proc."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nigrani.accounts import jurisdiction
from nigrani.accounts.roles import Level
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import generate_key
from nigrani.stations import service
from nigrani.stations.schemas import StationCameraCreate
from nigrani.stations.simulator import Simulator

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
CORES = os.cpu_count() or 1


def bench_settings(root: Path, **extra: Any) -> Settings:
    """Settings on a fresh SQLite database (unless `extra` names one) and var/ under `root`."""
    fields: dict[str, Any] = {
        "database_url": f"sqlite:///{root / 'bench.sqlite3'}",
        "var_dir": root / "var",
        "secret_key": "b" * 40,
        "encryption_key": generate_key(),
    }
    return Settings(**{**fields, **extra})


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a `nigrani` subprocess the same database and var/."""
    return {
        **os.environ,
        "NIGRANI_DATABASE_URL": settings.db_url,
        "NIGRANI_VAR_DIR": str(settings.var_dir),
        "NIGRANI_SECRET_KEY": settings.secret_key,
        "NIGRANI_ENCRYPTION_KEY": settings.encryption_key,
        **extra,
    }


def register(
    settings: Settings, sim: Simulator, *, zones: Sequence[dict[str, Any]] = (), sub: bool = False
) -> None:
    """Migrate the database and make one station with every simulated camera (its
    sub-stream too when `sub`, and these zones)."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        node = None
        for code, level in (("B", Level.COMMISSIONERATE), ("BZ", Level.ZONE),
                            ("BC", Level.CIRCLE), ("BS", Level.STATION)):  # fmt: skip
            node = jurisdiction.create_node(
                session, code=code, level=level, name_en=code, name_hi=code, parent=node
            )
        assert node is not None
        for camera in sim.cameras:
            fields: dict[str, Any] = {"station_id": node.id, "name": camera.name,
                                      "role": "reception", "main_url": camera.main_url}  # fmt: skip
            if sub:
                fields["sub_url"] = camera.sub_url
            if zones:
                fields["zones"] = list(zones)
            service.create_camera(
                session,
                settings=settings,
                actor=audit.SYSTEM,
                scope_path="/",
                data=StationCameraCreate.model_validate(fields),
            )
    engine.dispose()


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_seconds(pids: list[int], *, system_only: bool = False) -> float:
    """User + system (or system only) CPU seconds of these processes and all their threads."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[12]) if system_only else int(fields[11]) + int(fields[12])
    return total / TICKS


def rss_mb(pid: int) -> float | None:
    """A process's resident memory in MB (None once it is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return pages * PAGE / 1e6


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Each thread of a process: its native id -> (its kernel name, CPU seconds so far)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            raw = (task / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        found[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return found
