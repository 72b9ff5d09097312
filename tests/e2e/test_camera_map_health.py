"""The control-room map in Chromium: a group of sites with offline cameras wears a red badge
with how many (the demo city has too few sites for groups, so the map's data endpoint is
answered with groups built by the endpoint's own GeoJSON writer, around the view asked)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Route, expect

from nigrani.cameras.mapdata import MapCluster, MapData, to_geojson
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import shot, sign_in


def _groups_in_view(route: Route) -> None:
    query = parse_qs(urlsplit(route.request.url).query)
    west, south, east, north = (float(v) for v in query["bbox"][0].split(","))
    lat, lon = (south + north) / 2, (west + east) / 2
    dlat, dlon = (north - south) / 5, (east - west) / 5
    groups = [
        MapCluster(lat, lon - dlon, sites=420, cameras=900, linked=60, offline=7),
        MapCluster(lat + dlat, lon + dlon, sites=130, cameras=260, linked=12, offline=0),
        MapCluster(lat - dlat, lon + dlon, sites=75, cameras=150, linked=9, offline=1),
    ]
    body = to_geojson(MapData(points=[], clusters=groups))
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_groups_with_offline_cameras_wear_a_red_badge(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    page = open_page(locale="en-US")
    sign_in(page, live_server.logins["control"])
    page.route("**/api/v1/cameras/map?*", _groups_in_view)
    page.goto("/cameras/map?lang=en")
    badges = page.locator(".map-cluster.has-offline .map-cluster-offline")
    expect(badges).to_have_count(2)
    expect(badges).to_have_text(["7", "1"])
    expect(page.locator(".map-cluster:not(.has-offline)")).to_have_count(1)
    colour = badges.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(198, 40, 40)"  # the map's offline red
    expect(page.locator(".map-legend")).to_contain_text("Red badge")
    shot(page, "camera-map-offline-groups-en.png", max_height=1000)
    page.locator(".map-cluster.has-offline").first.hover()
    expect(page.locator(".leaflet-tooltip")).to_contain_text(
        "420 sites · 900 cameras · 60 linked · 7 offline"
    )
