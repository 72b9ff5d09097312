"""Finding a place without map tiles: the configured gazetteer's localities by name
(`NIGRANI_GAZETTEER_FILE`, else the post offices of `NIGRANI_GAZETTEER_DISTRICT`)."""

from __future__ import annotations

from nigrani.core.config import Settings
from nigrani.core.gazetteer import Locality, localities


def for_settings(settings: Settings) -> tuple[Locality, ...]:
    """The configured gazetteer (checked when the settings were read)."""
    return localities(settings.gazetteer_district, settings.gazetteer_file)


def search(text: str, *, settings: Settings, limit: int = 8) -> list[Locality]:
    """Localities whose name starts with (then contains) the text, case-insensitive."""
    needle = text.strip().casefold()
    if len(needle) < 2:
        return []
    places = for_settings(settings)
    starts = [p for p in places if p.name.casefold().startswith(needle)]
    contains = [p for p in places if needle in p.name.casefold() and p not in starts]
    return (starts + contains)[:limit]
