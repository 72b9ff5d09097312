"""The canvass end to end in Chromium: an officer records an incident, sees the ranked
cameras, reveals one owner for a reason and asks for footage; the owner, on a phone in
Hindi, sends the real video through the link with an interrupted and resumed upload; the
officer exports the court bundle, whose every hash is checked here."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from pypdf import PdfReader
from sqlalchemy import select

from nigrani.accounts.models import JurisdictionNode
from nigrani.cameras.models import Site
from nigrani.core.db import make_engine, make_sessionmaker
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, footage_link, hindi, shot, sign_in

REASON = "Footage of the chain snatching on the road in front of the shop"


@pytest.fixture()
def shop(e2e_database_url: str) -> tuple[int, float, float]:
    """A private site with an owner's mobile in Colonelganj: (id, lat, lon)."""
    engine = make_engine(e2e_database_url)  # closed before the test: SQLite has one writer
    try:
        with make_sessionmaker(engine)() as session:
            station = session.scalar(
                select(JurisdictionNode.id).where(JurisdictionNode.code == "KNP-S-COLONELGANJ")
            )
            site = session.scalar(
                select(Site)
                .where(Site.station_id == station, Site.owner_phone_enc.is_not(None))
                .where(Site.is_public.is_(False), Site.status == "active")
                .order_by(Site.id.desc())
            )
            assert site is not None
            return site.id, site.lat, site.lon
    finally:
        engine.dispose()


def _record_incident(page: Page, lat: float, lon: float) -> None:
    page.goto("/incidents/new")
    page.locator("#kind").select_option("chain_snatching")
    page.locator("#window_start").fill("2026-11-30T19:30")
    page.locator("#window_end").fill("2026-11-30T20:15")
    page.locator("#fir_number").fill("FIR 321/2026")
    page.locator("#lat").fill(f"{lat:.6f}")
    page.locator("#lon").fill(f"{lon:.6f}")
    page.locator("#address").fill("Road in front of the shop")
    page.locator("#description").fill("Gold chain snatched by two men on a motorcycle")
    page.locator("#incident-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+$"))


def _reveal_and_ask(page: Page, site_id: int) -> None:
    row = page.locator(f"#site-{site_id}")
    expect(row).to_be_visible()
    row.locator("details.reveal summary").click()
    row.locator("textarea[name=reason]").fill(REASON)
    row.locator("details.reveal button[type=submit]").click()
    expect(row.locator(".contact a.mono")).to_have_text(re.compile(r"^\+91\d{10}$"))
    row.locator("form.ask button").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+(#requests)?$"))


def _upload_with_a_drop(owner: Page, vtest: Path) -> None:
    """Send vtest.avi; the third part's connection is cut once, then the owner resumes."""
    patches = {"n": 0}

    def cut_once(route: Route) -> None:
        if route.request.method == "PATCH":
            patches["n"] += 1
            if patches["n"] == 3:
                route.abort("connectionreset")
                return
        route.continue_()

    owner.route("**/footage/uploads/**", cut_once)
    owner.locator("#footage-file").set_input_files(str(vtest))
    owner.locator("#upload-start").click()
    resume = owner.locator("#upload-resume")
    expect(resume).to_be_visible(timeout=20_000)
    expect(owner.locator("#upload-status")).to_contain_text("2.0")  # two parts were kept
    shot(owner, "footage-upload-dropped-hi.png")
    resume.click()
    sha = hashlib.sha256(vtest.read_bytes()).hexdigest()
    expect(owner.locator("#upload-status")).to_contain_text(sha, timeout=30_000)
    assert patches["n"] > 8  # 8 MB in 1 MB parts, and the one that was cut


def _check_bundle(data: bytes, number: str, vtest: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    sums = archive.read("SHA256SUMS").decode()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(archive.read("certificate-en.pdf"))).pages
    ).replace("\n", "")
    assert manifest["files"], manifest
    for entry in manifest["files"]:
        actual = hashlib.sha256(archive.read(entry["entry"])).hexdigest()
        assert actual == entry["sha256"]
        assert f"{actual}  {entry['entry']}" in sums
        assert actual in text
    assert hashlib.sha256(vtest.read_bytes()).hexdigest() in text
    assert number in text and "SHA-256" in text
    assert archive.read("certificate-hi.pdf").startswith(b"%PDF")


def test_incident_canvass_to_court_bundle(
    open_page: OpenPage, live_server: LiveServer, shop: tuple[int, float, float], vtest: Path
) -> None:
    site_id, lat, lon = shop
    officer = open_page()
    sign_in(officer, live_server.logins["io.colonelganj"])
    east = lon + math.degrees(50 / (6371008.8 * math.cos(math.radians(lat))))
    _record_incident(officer, lat, east)
    number = officer.locator("h1").inner_text().split(" · ")[0]
    expect(officer.locator("table.canvass tbody tr").first).to_be_visible()
    _reveal_and_ask(officer, site_id)
    token = footage_link(officer)
    shot(officer, "canvass-recorded-incident-en.png", max_height=2000)

    owner = open_page(**PHONE)
    owner.goto(f"/f/{token}")
    owner.locator("main form button[type=submit]").click()
    owner.wait_for_url("**/footage")
    expect(owner.locator("h1")).to_have_text(hindi("Footage asked by the police") or "")
    expect(owner.locator(".owner-request")).to_contain_text(number)
    # Nothing was interrupted yet: no Resume button (a CSS display rule once beat `hidden`).
    expect(owner.locator("#upload-resume")).to_be_hidden()
    expect(owner.locator("#upload-progress")).to_be_hidden()
    shot(owner, "canvass-owner-hi.png", max_height=2000)
    _upload_with_a_drop(owner, vtest)
    # The same link on another phone opens nothing.
    stranger = open_page(**PHONE)
    stranger.goto(f"/f/{token}")
    expect(stranger.locator(".alert")).to_have_text(
        hindi("This link has already been used. Ask the police to send you a new link.") or ""
    )

    officer.reload()
    expect(officer.locator("#evidence table.evidence tbody tr")).to_have_count(1)
    officer.locator("#export-reason").fill("Charge sheet for the court of CJM Kanpur Nagar")
    with officer.expect_download() as download:
        officer.locator("form.export button[type=submit]").click()
    _check_bundle(Path(download.value.path()).read_bytes(), number, vtest)
