"""The incident page's map follows the radius chosen in the form: choosing 1000 m redraws
the circle at 1000 m and a dot for every site listed, and the printable list follows too.
A legend says what each dot colour means, in the page's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.canvass import service
from nigrani.canvass.schemas import IncidentCreate
from nigrani.core import clock
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import hindi, shot, sign_in

# The colour classes canvass.js draws, each with the legend's words for it.
LEGEND = ("Place in view", "View not known", "Faces away", "Footage probably overwritten")


@pytest.fixture(scope="module")
def incident_id(live_server: LiveServer) -> int:
    """An incident at a Colonelganj site, recorded by the demo's investigating officer."""
    engine = make_engine(live_server.settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            officer = session.scalar(select(User).where(User.username == "io.colonelganj"))
            station = jurisdiction.get_by_code(session, "KNP-S-COLONELGANJ")
            site = session.scalars(select(Site).where(Site.station_id == station.id)).first()
            assert officer is not None and site is not None
            now = clock.now()
            data = IncidentCreate(
                kind="theft",
                lat=site.lat,
                lon=site.lon,
                window_start=now - timedelta(hours=2),
                window_end=now - timedelta(hours=1),
            )
            return service.create_incident(
                session, data=data, user=officer, scope_path=station.path
            ).id
    finally:
        engine.dispose()


def _drawn(page: Page) -> tuple[int, int]:
    """The radius the map's circle has (metres) and how many site dots it shows."""
    canvass_map = page.locator("#canvass-map")
    expect(canvass_map).to_have_attribute("data-radius", re.compile(r"^\d+$"))
    radius = int(canvass_map.get_attribute("data-radius") or 0)
    dots = page.locator("#canvass-map path.leaflet-interactive.site").count()
    return radius, dots


def test_the_map_draws_the_chosen_radius(
    open_page: OpenPage, live_server: LiveServer, incident_id: int
) -> None:
    page = open_page()
    sign_in(page, live_server.logins["io.colonelganj"])
    page.goto(f"/incidents/{incident_id}?lang=en")
    rows = page.locator("#results table.canvass tbody tr")
    expect(page.locator("#canvass-map")).to_have_attribute("data-radius", "300")
    assert _drawn(page) == (300, rows.count())
    page.locator("#radius").select_option("1000")
    page.wait_for_url(re.compile(r".*radius=1000"))
    expect(page.locator("#canvass-map")).to_have_attribute("data-radius", "1000")
    listed = rows.count()
    assert listed > 3
    assert _drawn(page) == (1000, listed)
    expect(page.locator("a#print-list")).to_have_attribute("href", re.compile(r"radius=1000$"))
    # Back to a smaller circle: the far dots go.
    page.locator("#radius").select_option("100")
    expect(page.locator("#canvass-map")).to_have_attribute("data-radius", "100")
    assert _drawn(page) == (100, rows.count())
    shot(page, "canvass-map-en.png", max_height=1200)


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_the_legend_names_every_colour(
    open_page: OpenPage, live_server: LiveServer, incident_id: int, lang: str
) -> None:
    page = open_page()
    sign_in(page, live_server.logins["io.colonelganj"])
    page.goto(f"/incidents/{incident_id}?lang={lang}")
    legend = page.locator("ul.map-legend")
    for cls, words in zip(("in_view", "unknown", "away", "gone"), LEGEND, strict=True):
        item = legend.locator(f"li:has(.dot.{cls})")
        expected = words if lang == "en" else hindi(words)
        assert expected, f"no Hindi for {words!r}"
        expect(item).to_have_text(expected)
        colour = item.locator(".dot").evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), (cls, colour)
    shot(page, f"canvass-legend-{lang}.png", max_height=900)
