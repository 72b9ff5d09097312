"""A camera without a label is called by something a person knows (its site, its number at
the site, the site's address; a nameless point by its category and station), the same in
the lists, the report, its CSV and PDF, and the notifications: never "Camera #n"."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.notifications import Notification
from nigrani.accounts.roles import Role
from nigrani.cameras.schemas import CameraIn
from nigrani.core.config import Settings
from nigrani.health import alerts, naming, state
from nigrani.health.models import HealthTarget
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.conftest import Freeze
from tests.health.state_factories import T0, station_target, target_for

M = timedelta(minutes=1)
DAY = "from=2026-11-02&to=2026-11-02&lang=en"


def _unlabelled(
    db: Session, settings: Settings, name: str, n: int, lat: float
) -> list[HealthTarget]:
    cameras = [CameraIn(linked=True) for _ in range(n)]
    site = make_site(db, settings, name=name, address="12 Mall Road", lat=lat, camera_count=n,
                     cameras=cameras, owner_name=None, owner_mobile=None)  # fmt: skip
    return [target_for(db, site=site, registry_camera_id=c.id) for c in site.cameras]


def test_unlabelled_cameras_are_named_by_their_site_everywhere(
    client: TestClient, db: Session, settings: Settings, freeze: Freeze
) -> None:
    freeze(T0 + 60 * M)
    make_tree(db)
    sweets = _unlabelled(db, settings, "Gupta Sweets", 2, 26.47)
    [home] = _unlabelled(db, settings, "Verma Niwas", 1, 26.48)
    [point] = _unlabelled(db, settings, "—", 1, 26.49)  # a withdrawn owner's bare point
    desk = station_target(db, settings, name="Front desk")
    for i, target in enumerate([*sweets, home, point, desk]):  # apart: no area alert
        state.record(db, target, state="offline", reason="refused", now=T0 + 11 * i * M,
                     measurements={}, confirm=1)  # fmt: skip
    sho = make_staff(db, Role.SHO, "S1")
    assert alerts.sweep(db, T0 + 60 * M, settings) == 5
    db.commit()
    assert login(client, sho.username or "").status_code == 303
    wanted = [
        "Gupta Sweets · camera 1 of 2",
        "Gupta Sweets · camera 2 of 2",
        "Verma Niwas",
        "Shops",
        "Front desk",
    ]
    table = list(csv.reader(io.StringIO(client.get(f"/health.csv?{DAY}").text.lstrip("\ufeff"))))
    broken = {row[0]: row[1] for row in table[table.index(["Camera", "Place", "Category",
              "State", "Reason", "Days down", "Responsible"]) + 1 :]}  # fmt: skip
    assert broken == {
        wanted[0]: "12 Mall Road", wanted[1]: "12 Mall Road", wanted[2]: "12 Mall Road",
        wanted[3]: "S1 en", wanted[4]: "S1 en",
    }  # fmt: skip
    listing = client.get("/health/cameras?state=offline&lang=en").text
    report = client.get(f"/health?{DAY}").text
    pdf = PdfReader(io.BytesIO(client.get(f"/health.pdf?{DAY}").content))
    pdf_text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    told = [notifications.text(n) for n in db.scalars(select(Notification))]
    for name in wanted:
        assert name in listing and name in report and name in pdf_text, name
        assert any(f"“{name}”" in text for text in told), name
    everything = " ".join([listing, report, pdf_text, *told, *map(str, table)])
    assert "Camera #" not in everything
    hindi = naming.names(db, [sweets[1].id, point.id], lang="hi")
    assert hindi[sweets[1].id].title == "Gupta Sweets · कैमरा 2 / 2"
    assert hindi[point.id] == naming.CameraName("दुकानें", "S1 हिन्दी")


def test_the_rule() -> None:
    rule = naming.camera_name
    assert rule(naming.Parts(site="Bank D", label="Bank D 1", address="Mall Rd")) == (
        naming.CameraName("Bank D 1", "Mall Rd")
    )
    assert rule(naming.Parts(site="Bank D", label="gate", station="S1")).title == "Bank D · gate"
    assert rule(naming.Parts(site="Bank D", number=2, of=3)).title == "Bank D · camera 2 of 3"
    assert rule(naming.Parts(site="—", category="Shops", station="S1")) == (
        naming.CameraName("Shops", "S1")
    )
    assert rule(naming.Parts(station_camera="", station="S1")).title == "Station camera"
