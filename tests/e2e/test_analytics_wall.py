"""The alert wall in the browser: the Commissioner's wall on a desktop gets an alert posted
while it is open (server-sent events), and the SHO acknowledges one on a 390 px phone; the
pages fit the screen. Screenshots go to /tmp."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta

import httpx
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect
from sqlalchemy import select

from nigrani.accounts import jurisdiction
from nigrani.accounts import service as accounts_service
from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.db import make_engine, make_sessionmaker, transaction, utcnow
from nigrani.stations import service as station_service
from nigrani.stations.schemas import StationCameraCreate
from tests.e2e.conftest import LiveServer, OpenPage
from tests.e2e.helpers import PHONE, shot, sign_in


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def _picture() -> str:
    image = Image.new("RGB", (640, 360), (70, 80, 95))
    draw = ImageDraw.Draw(image)
    for x in (120, 260, 400):
        draw.rectangle((x, 120, x + 70, 330), outline=(40, 220, 90), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


def _setup(server: LiveServer) -> tuple[dict[str, int], str]:
    """A camera at Kotwali and at Colonelganj, and a worker's key (the control room's)."""
    engine = make_engine(server.settings.db_url)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            cameras = {}
            for code, name in (("KNP-S-KOTWALI", "Reception"), ("KNP-S-COLONELGANJ", "Lock-up")):
                station = jurisdiction.get_by_code(db, code)
                data = StationCameraCreate(
                    station_id=station.id,
                    name=name,
                    role="reception",
                    main_url=f"rtsp://127.0.0.1:9/{code}",
                )
                camera = station_service.create_camera(
                    db, settings=server.settings, actor=audit.SYSTEM, scope_path="/", data=data
                )
                cameras[code] = camera.id
            control = db.scalars(select(User).where(User.username == "control")).one()
            issued = accounts_service.issue_token(
                db, user=control, name="wall e2e worker", scopes=["worker"], actor=audit.SYSTEM
            )
            return cameras, issued.secret
    finally:
        engine.dispose()


def _post(server: LiveServer, key: str, camera: int, kind: str, **peak: object) -> int:
    body = {
        "uuid": str(uuid.uuid4()),
        "station_camera_id": camera,
        "kind": kind,
        "started_at": (utcnow() - timedelta(minutes=25)).isoformat(),
        "ended_at": None,
        "peak": peak,
        "snapshot_jpeg_b64": _picture(),
    }
    reply = httpx.post(
        f"{server.url}/api/v1/analytics/events",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return int(reply.json()["id"])


def test_the_wall_goes_live_on_a_desktop_and_the_sho_acts_on_a_phone(
    open_page: OpenPage, live_server: LiveServer
) -> None:
    cameras, key = _setup(live_server)
    kotwali, colonelganj = cameras["KNP-S-KOTWALI"], cameras["KNP-S-COLONELGANJ"]
    _post(live_server, key, kotwali, "long_wait", zone="waiting", max_dwell_s=1520.0)
    _post(live_server, key, colonelganj, "crowd_waiting", zone="waiting", people=7)
    wall = open_page(locale="en-US")
    sign_in(wall, live_server.logins["commissioner"])
    wall.goto("/analytics?lang=en")
    expect(wall.locator("#alert-feed li")).to_have_count(2)
    expect(wall.locator("#feed-state")).to_have_text("live")
    fresh = _post(live_server, key, kotwali, "raised_voice", level_db=-12.5, over_db=14.0)
    expect(wall.locator(f"#alert-{fresh}")).to_be_visible(timeout=3000)
    expect(wall.locator("#alert-feed li").first).to_have_id(f"alert-{fresh}")
    tile = wall.locator("#alert-tiles a", has_text="Kotwali")
    expect(tile.locator("[data-active]")).to_have_text("2")
    expect(tile.locator("[data-latest]")).to_contain_text("Raised voice")
    expect(wall.locator("h1 .level")).to_have_text("3")
    _fits(wall)
    shot(wall, "analytics-wall-desktop.png")

    phone = open_page(**PHONE)
    sign_in(phone, live_server.logins["sho.kotwali"])
    phone.goto("/analytics")
    expect(phone.locator("#alert-feed li")).to_have_count(2)  # Kotwali's only
    _fits(phone)
    shot(phone, "analytics-wall-phone.png")
    phone.locator(f"#alert-feed li:not(#alert-{fresh}) a").first.click()
    expect(phone.locator("#alert-snapshot")).to_be_visible()
    phone.locator("#step-acknowledge button").click()
    expect(phone.locator("#alert-status")).to_have_attribute("data-status", "acknowledged")
    _fits(phone)
    shot(phone, "analytics-alert-phone.png")
    expect(wall.locator("#alert-feed li").first).to_contain_text("acknowledged", timeout=3000)
