"""A small server-drawn SVG map of jurisdiction boundaries (works offline, no tiles)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon, shape

from nigrani.accounts.models import JurisdictionNode

WIDTH = 800
PAD = 12
# Soft, distinguishable fills for neighbouring areas (colour-blind friendly order).
PALETTE = ("#dbe7f7", "#fde8c8", "#dff0e0", "#f3dcec", "#e6e1f5", "#fbf3c4", "#d6eef2")


@dataclass(frozen=True, slots=True)
class MapShape:
    code: str
    name: str
    d: str
    highlight: bool
    fill: str
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class SvgMap:
    width: int
    height: int
    shapes: list[MapShape]


def _rings(geom: Polygon | MultiPolygon) -> list[list[tuple[float, float]]]:
    polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    rings = []
    for poly in polys:
        rings.append(list(poly.exterior.coords))
        rings += [list(r.coords) for r in poly.interiors]
    return rings


def draw(
    nodes: list[JurisdictionNode], *, lang: str, highlight: str | None = None
) -> SvgMap | None:
    """Project the nodes' boundaries (equirectangular, scaled at the mean latitude) to paths."""
    geoms = [(n, shape(json.loads(n.boundary))) for n in nodes if n.boundary]
    if not geoms:
        return None
    xs = [b for _, g in geoms for b in (g.bounds[0], g.bounds[2])]
    ys = [b for _, g in geoms for b in (g.bounds[1], g.bounds[3])]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    span_x, span_y = (max(xs) - min(xs)) * kx or 1e-6, (max(ys) - min(ys)) or 1e-6
    scale = (WIDTH - 2 * PAD) / span_x
    height = max(int(span_y * scale), 1) + 2 * PAD

    def xy(x: float, y: float) -> tuple[float, float]:
        return PAD + (x - min(xs)) * kx * scale, PAD + (max(ys) - y) * scale

    def pt(x: float, y: float) -> str:
        px, py = xy(x, y)
        return f"{px:.1f},{py:.1f}"

    shapes = []
    for i, (node, geom) in enumerate(geoms):
        d = " ".join("M" + " L".join(pt(x, y) for x, y in ring) + " Z" for ring in _rings(geom))
        inner = geom.representative_point()
        lx, ly = xy(inner.x, inner.y)
        fill = PALETTE[i % len(PALETTE)]
        shapes.append(
            MapShape(
                node.code,
                node.name(lang),
                d,
                node.code == highlight,
                fill,
                round(lx, 1),
                round(ly, 1),
            )
        )
    return SvgMap(WIDTH, height, shapes)
