"""The demo Kanpur Nagar Police Commissionerate tree: structure and synthetic geometry."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import shapely
from shapely.geometry import shape

from nigrani.demo.kanpur import DemoNode, kanpur_post_offices, kanpur_tree

LEVELS = ("commissionerate", "zone", "circle", "station", "post")
DEVANAGARI = re.compile("[\u0900-\u097f]")


def _by_code() -> dict[str, DemoNode]:
    return {node.code: node for node in kanpur_tree()}


def _area(node: DemoNode) -> Any:
    assert node.boundary is not None
    return shape(node.boundary)


def _stations() -> list[DemoNode]:
    return [node for node in kanpur_tree() if node.level == "station"]


def _descendant_stations(code: str) -> list[DemoNode]:
    nodes = _by_code()

    def ancestors(node: DemoNode) -> set[str]:
        found: set[str] = set()
        while node.parent_code is not None:
            found.add(node.parent_code)
            node = nodes[node.parent_code]
        return found

    return [s for s in _stations() if code in ancestors(s)]


def test_counts_by_level() -> None:
    counts = Counter(node.level for node in kanpur_tree())
    assert counts["commissionerate"] == 1
    assert counts["zone"] == 4
    assert 12 <= counts["circle"] <= 14
    assert 45 <= counts["station"] <= 55
    assert 15 <= counts["post"] <= 25
    assert set(counts) == set(LEVELS)


def test_codes_unique() -> None:
    codes = [node.code for node in kanpur_tree()]
    assert len(codes) == len(set(codes))


def test_parents_precede_children_and_levels_nest() -> None:
    seen: dict[str, DemoNode] = {}
    for node in kanpur_tree():
        if node.level == "commissionerate":
            assert node.parent_code is None
        else:
            assert node.parent_code in seen, node.code
            parent = seen[node.parent_code]
            assert LEVELS.index(node.level) == LEVELS.index(parent.level) + 1, node.code
        seen[node.code] = node


def test_names() -> None:
    for node in kanpur_tree():
        assert DEVANAGARI.search(node.name_hi), node.code
        assert node.name_en and node.name_en.isascii(), node.code
    names = {node.name_en for node in _stations()}
    assert {"Kotwali", "Colonelganj", "Chakeri", "Kalyanpur", "Bilhaur", "Ghatampur"} <= names


def test_boundaries_and_locations_present() -> None:
    for node in kanpur_tree():
        if node.level == "post":
            assert node.boundary is None
        else:
            assert node.boundary is not None
            assert node.boundary["type"] in ("Polygon", "MultiPolygon")
            assert _area(node).is_valid, node.code
        if node.level in ("station", "post"):
            assert node.lat is not None and node.lon is not None
            assert 25.9 <= node.lat <= 27.0 and 79.9 <= node.lon <= 80.6, node.code


def test_coordinates_rounded_to_six_decimals() -> None:
    for node in kanpur_tree():
        if node.boundary is not None:
            for x, y in shapely.get_coordinates(_area(node)):
                assert round(x, 6) == x and round(y, 6) == y, node.code


def test_station_cells_do_not_overlap() -> None:
    cells = [(s.code, _area(s)) for s in _stations()]
    tree = shapely.STRtree([cell for _, cell in cells])
    for i, j in tree.query([cell for _, cell in cells], predicate="intersects").T:
        if i < j:
            overlap = cells[i][1].intersection(cells[j][1]).area
            assert overlap < 1e-9, (cells[i][0], cells[j][0])


def test_station_cells_cover_outline() -> None:
    outline = _area(_by_code()["KNP"])
    union = shapely.union_all([_area(s) for s in _stations()])
    assert union.intersection(outline).area >= 0.999 * outline.area
    assert union.symmetric_difference(outline).area < 1e-9


def test_outline_contains_kanpur_post_offices() -> None:
    outline = _area(_by_code()["KNP"])
    offices = kanpur_post_offices()
    assert len(offices) > 200
    for name, lat, lon in offices:
        assert outline.contains(shapely.Point(lon, lat)), name


def test_station_point_inside_own_cell() -> None:
    for station in _stations():
        assert station.lat is not None and station.lon is not None
        point = shapely.Point(station.lon, station.lat)
        assert _area(station).contains(point), station.code


def test_station_points_distinct() -> None:
    points = [(s.lat, s.lon) for s in _stations()]
    assert len(points) == len(set(points))


def test_post_inside_parent_station_cell() -> None:
    nodes = _by_code()
    for post in (node for node in kanpur_tree() if node.level == "post"):
        assert post.parent_code is not None and post.lat is not None and post.lon is not None
        point = shapely.Point(post.lon, post.lat)
        assert _area(nodes[post.parent_code]).contains(point), post.code


def test_zone_and_circle_boundaries_are_unions_of_their_stations() -> None:
    for node in kanpur_tree():
        if node.level not in ("zone", "circle"):
            continue
        stations = _descendant_stations(node.code)
        assert stations, node.code
        union = shapely.union_all([_area(s) for s in stations])
        assert _area(node).symmetric_difference(union).area < 1e-9, node.code


def test_zones_do_not_overlap() -> None:
    zones = [_area(node) for node in kanpur_tree() if node.level == "zone"]
    for a, b in itertools.combinations(zones, 2):
        assert a.intersection(b).area < 1e-9


def test_deterministic() -> None:
    first = kanpur_tree()
    second = kanpur_tree()
    assert first == second
    assert first is not second
