"""The staff pages an officer uses in the field fit a 390 px phone, in Hindi and in
English: no sideways scroll, and every control (the navigation's menu, "Show contact",
"Ask for footage", a complaint's buttons, the live wall's tiles) lies inside the screen's
width. The widths measured are written to SHOTS/phone-fit.json for the record."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import User
from nigrani.cameras.models import Site
from nigrani.canvass import footage, service
from nigrani.canvass.schemas import FootageRequestCreate, IncidentCreate
from nigrani.core import audit, clock
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.evidence import store
from nigrani.grievances.models import Complaint
from nigrani.stations import service as stations
from nigrani.stations.models import StationCamera
from nigrani.stations.schemas import StationCameraCreate
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, SHOTS, shot, sign_in

KOTWALI = "KNP-S-KOTWALI"
COLONELGANJ = "KNP-S-COLONELGANJ"
LANGS = ("hi", "en")
# Every visible control of the page and of the header, and where it lies on the screen.
MEASURE = """() => {
  const width = window.innerWidth;
  const controls = document.querySelectorAll(
    "header a, header button, header summary, main a, main button, main summary, main select,"
    + " main input:not([type=hidden]), main textarea");
  const outside = [];
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown (a closed menu)
    if (box.left < -1 || box.right > width + 1) {
      const name = (el.innerText || el.getAttribute("aria-label") || el.name || el.tagName);
      const where = Math.round(box.left) + "–" + Math.round(box.right);
      outside.push(name.trim().slice(0, 40) + " @" + where);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, outside: outside};
}"""
WIDTHS: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class FieldWork:
    """What the pages show: an incident with a request and a hashed item, a complaint."""

    incident_id: int
    site_id: int
    complaint_id: int


def _incident(session: Any, settings: Any) -> tuple[int, int]:
    """An incident in front of a Colonelganj shop, one owner asked, one item received."""
    officer = session.scalar(select(User).where(User.username == "io.colonelganj"))
    station = jurisdiction.get_by_code(session, COLONELGANJ)
    sites = session.scalars(
        select(Site)
        .where(Site.station_id == station.id, Site.owner_phone_enc.is_not(None))
        .where(Site.is_public.is_(False), Site.status == "active")
        .order_by(Site.id)
    ).all()
    asked, shown = sites[0], sites[-1]
    now = clock.now()
    data = IncidentCreate(
        kind="chain_snatching",
        lat=shown.lat,
        lon=shown.lon,
        address="Road in front of the shop",
        window_start=now - timedelta(hours=3),
        window_end=now - timedelta(hours=2),
        fir_number="FIR 654/2026",
        description="Phone fit: a chain snatched by two men on a motorcycle",
    )
    incident = service.create_incident(session, data=data, user=officer, scope_path=station.path)
    footage.send_request(
        session,
        settings=settings,
        incident=incident,
        site=asked,
        data=FootageRequestCreate(site_id=asked.id),
        user=officer,
    )
    store.receive(
        session,
        settings=settings,
        stream=io.BytesIO(b"phone fit footage " * 64),
        original_name="DVR_CH01_20261130_193000_a_rather_long_recorder_file_name.mp4",
        media_type="video/mp4",
        kind="footage",
        actor=audit.Actor(officer.id, officer.username or "io"),
        source=f"{asked.name} (owner upload)",
        delivered_by="owner link",
        incident_id=incident.id,
        node_path=incident.node_path,
    )
    return incident.id, shown.id


def _station_cameras(session: Any, settings: Any) -> None:
    """Kotwali's wall needs cameras; none record here, so every tile says no picture."""
    station = jurisdiction.get_by_code(session, KOTWALI)
    if session.scalar(select(StationCamera.id).where(StationCamera.station_id == station.id)):
        return
    for n, role in enumerate(("reception", "lockup", "corridor"), start=1):
        data = StationCameraCreate(
            station_id=station.id,
            name=f"CAM-{n:02d}",
            role=role,
            main_url=f"rtsp://127.0.0.1:9/phone-fit-{n}",
        )
        stations.create_camera(
            session, settings=settings, actor=audit.SYSTEM, scope_path=station.path, data=data
        )


@pytest.fixture(scope="module")
def field_work(live_server: LiveServer) -> Iterator[FieldWork]:
    engine = make_engine(live_server.settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            incident_id, site_id = _incident(session, live_server.settings)
            _station_cameras(session, live_server.settings)
            station = jurisdiction.get_by_code(session, KOTWALI)
            complaint_id = session.scalar(
                select(Complaint.id)
                .where(Complaint.station_id == station.id)
                .order_by(Complaint.id)
            )
            assert complaint_id is not None
        yield FieldWork(incident_id, site_id, complaint_id)
    finally:
        engine.dispose()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "phone-fit.json").write_text(json.dumps(WIDTHS, indent=2, sort_keys=True))


def _fits(page: Page, name: str, lang: str) -> None:
    """The page at ?lang= has no sideways scroll and every control inside the screen."""
    separator = "&" if "?" in page.url else "?"
    page.goto(re.sub(r"[?&]lang=\w+", "", page.url) + f"{separator}lang={lang}")
    page.wait_for_load_state("load")
    measured = page.evaluate(MEASURE)
    WIDTHS[f"{name}-{lang}"] = measured["scrollWidth"]
    shot(page, f"fit-{name}-{lang}.png", max_height=6000)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert not measured["outside"], measured


def _reachable(page: Page, control: Locator) -> None:
    """The control is shown and lies wholly inside the screen's width (no sideways scroll
    of the page or of a box around it is needed to reach it)."""
    expect(control).to_be_visible()
    box, size = control.bounding_box(), page.viewport_size
    assert box is not None and size is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box


def _menu_opens(page: Page) -> None:
    """On a phone the 14 links fold into one menu that opens in place."""
    menu = page.locator("header details.menu")
    expect(menu.locator("summary")).to_be_visible()
    expect(menu.locator("nav a").first).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.locator("nav a[href='/dashboard']")).to_be_in_viewport()
    shot(page, f"fit-menu-{page.evaluate('document.documentElement.lang')}.png", max_height=900)
    measured = page.evaluate(MEASURE)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert not measured["outside"], measured
    menu.locator("summary").click()


@pytest.mark.parametrize("lang", LANGS)
def test_incident_page_fits_a_phone(
    open_page: OpenPage, live_server: LiveServer, field_work: FieldWork, lang: str
) -> None:
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["io.colonelganj"])
    page.goto(f"/incidents/{field_work.incident_id}")
    _fits(page, "incident", lang)
    _menu_opens(page)
    row = page.locator(f"#site-{field_work.site_id}")
    for control in (row.locator("details.reveal summary"), row.locator("form.ask button")):
        _reachable(page, control)
    _reachable(page, page.locator("#evidence code.hash").first)  # the hash wraps
    # The canvass results at the widest radius: more rows, the same fit.
    page.locator("#radius").select_option("1000")
    page.wait_for_url(re.compile(r".*radius=1000"))
    expect(page.locator("#results table.canvass tbody tr").first).to_be_visible()
    _fits(page, "canvass-1000", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_complaint_pages_and_live_wall_fit_a_phone(
    open_page: OpenPage, live_server: LiveServer, field_work: FieldWork, lang: str
) -> None:
    page = open_page(**PHONE)
    sign_in(page, live_server.logins["sho.kotwali"])
    page.goto("/grievances")
    _fits(page, "queue", lang)
    _reachable(page, page.locator("tr[data-complaint] a").first)
    _menu_opens(page)
    page.goto(f"/grievances/{field_work.complaint_id}")
    _fits(page, "complaint", lang)
    page.goto("/stations/live")
    _fits(page, "live", lang)
    _reachable(page, page.locator(".wall a.tile").first)
    tile = page.locator(".wall a.tile").first.get_attribute("href")
    page.goto(str(tile))
    _fits(page, "live-view", lang)


def test_the_desktop_keeps_its_navigation(
    open_page: OpenPage, live_server: LiveServer, field_work: FieldWork
) -> None:
    """At 1366 px the links stay in the bar, no menu to open, and the incident page fits."""
    page = open_page(viewport={"width": 1366, "height": 768})
    sign_in(page, live_server.logins["io.colonelganj"])
    page.goto(f"/incidents/{field_work.incident_id}")
    expect(page.locator("header nav a[href='/incidents']")).to_be_visible()
    expect(page.locator("header details.menu summary")).to_be_hidden()
    _fits(page, "desktop-incident", "en")
    _fits(page, "desktop-incident", "hi")
