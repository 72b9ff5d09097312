"""The review report through HTTP: counts by category, station, zone and crossing on seeded
targets and outages, the period, CSV, the PDF in both languages, jurisdiction, bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras.models import Site
from nigrani.cameras.schemas import CameraIn
from nigrani.core.config import Settings
from nigrani.health.models import HealthOutage, HealthTarget
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import make_site
from tests.conftest import Freeze
from tests.core.test_hindi_pages import ALLOWED, LATIN_WORD, latin_words
from tests.stations.station_fixtures import make_camera

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 12:00 IST on 3 December
CREATED = datetime(2026, 10, 1, tzinfo=UTC)
WEEK = "from=2026-11-27&to=2026-12-03"


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    freeze(NOW)


def _site(db: Session, settings: Settings, name: str, where: tuple[float, float], category: str,
          n: int) -> Site:  # fmt: skip
    cameras = [CameraIn(label=f"{name} {i}", linked=True) for i in range(1, n + 1)]
    return make_site(
        db, settings, name=name, lat=where[0], lon=where[1], category=category, camera_count=n,
        cameras=cameras, owner_name=None, owner_mobile=None,
    )  # fmt: skip


def _target(db: Session, *, path: str, category: str, team: str, state: str, reason: str = "",
            down_days: float | None = None, **ids: int | None) -> HealthTarget:  # fmt: skip
    since = NOW - timedelta(days=down_days) if down_days is not None else CREATED
    target = HealthTarget(
        node_path=path, category_code=category, team=team, state=state, reason=reason,
        since=since, due_at=NOW, created_at=CREATED, updated_at=NOW, last_probe_at=NOW, **ids,
    )  # fmt: skip
    db.add(target)
    db.flush()
    if down_days is not None:
        db.add(HealthOutage(target_id=target.id, state=state, reason=reason, start_at=since))
        db.flush()
    return target


def _city(db: Session, settings: Settings) -> dict[str, HealthTarget]:
    """S1: a Smart City crossing of two cameras (one working, one offline 3 days) and a
    covered station camera (1 day); S3 (zone Z2): a bank's camera offline 10 days; S2: a
    shop's camera not checked yet."""
    make_tree(db)
    crossing = _site(db, settings, "Mall Road crossing", (26.42, 80.22), "smart_city", 2)
    bank = _site(db, settings, "Bank D", (26.50, 80.35), "bank_atm", 1)
    shop = _site(db, settings, "Shop C", (26.55, 80.25), "shop", 1)
    desk = make_camera(db, settings, name="Lock-up", role="lockup")
    one, two = crossing.cameras
    return {
        "working": _target(db, path=crossing.node_path, category="smart_city", team="smart_city",
                           state="working", registry_camera_id=one.id, site_id=crossing.id),
        "offline": _target(db, path=crossing.node_path, category="smart_city", team="smart_city",
                           state="offline", reason="unreachable", down_days=3,
                           registry_camera_id=two.id, site_id=crossing.id),
        "covered": _target(db, path=desk.node_path, category="station", team="station",
                           state="degraded", reason="covered", down_days=1,
                           station_camera_id=desk.id),
        "bank": _target(db, path=bank.node_path, category="bank_atm", team="owner",
                        state="offline", reason="refused", down_days=10,
                        registry_camera_id=bank.cameras[0].id, site_id=bank.id),
        "shop": _target(db, path=shop.node_path, category="shop", team="owner", state="unknown",
                        registry_camera_id=shop.cameras[0].id, site_id=shop.id),
    }  # fmt: skip


def _sign_in(client: TestClient, db: Session, role: Role, node: str) -> None:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def _rows(client: TestClient, query: str) -> dict[str, list[str]]:
    """The counts table of the CSV: label → cameras, working, degraded, offline, unknown,
    uptime, time to repair."""
    response = client.get(f"/health.csv?{query}")
    assert response.status_code == 200, response.text
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    counts = table[1 : table.index([])]
    return {row[0]: row[1:] for row in counts}


def test_counts_by_each_grouping(client: TestClient, db: Session, settings: Settings) -> None:
    _city(db, settings)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    by_category = _rows(client, f"group=category&{WEEK}&lang=en")
    assert by_category["Smart City"][:5] == ["2", "1", "0", "1", "0"]
    assert by_category["Station cameras"][:5] == ["1", "0", "1", "0", "0"]
    assert by_category["Banks & ATMs"][:5] == ["1", "0", "0", "1", "0"]
    assert by_category["Shops"][:5] == ["1", "0", "0", "0", "1"]
    assert by_category["Total"][:5] == ["5", "1", "1", "2", "1"]
    assert float(by_category["Banks & ATMs"][5]) == 0.0  # offline the whole week
    assert 0 < float(by_category["Smart City"][5]) < 100
    by_station = _rows(client, f"group=station&{WEEK}&lang=en")
    assert {k: v[:4] for k, v in by_station.items() if k != "Total"} == {
        "S1 en": ["3", "1", "1", "1"],
        "S2 en": ["1", "0", "0", "0"],
        "S3 en": ["1", "0", "0", "1"],
    }
    by_zone = _rows(client, f"group=zone&{WEEK}&lang=en")
    assert {k: v[0] for k, v in by_zone.items()} == {"Z1 en": "4", "Z2 en": "1", "Total": "5"}
    by_crossing = _rows(client, f"group=crossing&{WEEK}&lang=en")
    assert by_crossing["Mall Road crossing"][:4] == ["2", "1", "0", "1"]


def test_the_page_shows_the_longest_broken_with_who_repairs_them(
    client: TestClient, db: Session, settings: Settings
) -> None:
    made = _city(db, settings)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    page = client.get(f"/health?{WEEK}&lang=en")
    assert page.status_code == 200
    text = page.text
    broken = text.split('id="health-broken"', 1)[1]
    order = [made[k].id for k in ("bank", "offline", "covered")]
    positions = [broken.index(f'data-target="{i}"') for i in order]
    assert positions == sorted(positions)  # the longest down first
    assert "10.0" in broken and "The owner" in broken and "Smart City" in broken
    assert "Covered" in broken and "Police station" in broken
    assert 'id="health-trend"' in text and 'aria-current="page"' in text
    for group in ("station", "zone", "crossing"):
        assert client.get(f"/health?group={group}&{WEEK}").status_code == 200


def test_a_period_before_the_outages_has_full_uptime(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    rows = _rows(client, "group=category&from=2026-11-01&to=2026-11-07&lang=en")
    assert float(rows["Banks & ATMs"][5]) == 100.0
    assert float(rows["Smart City"][5]) == 100.0
    week = _rows(client, f"group=category&{WEEK}&lang=en")
    assert float(week["Smart City"][5]) < 100.0


def test_csv_has_the_days_and_the_broken_list(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    response = client.get(f"/health.csv?{WEEK}&lang=en")
    assert response.headers["content-type"].startswith("text/csv")
    name = "camera-health-C-2026-11-27-2026-12-03.csv"
    assert name in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    days = table[table.index(["Day", "Uptime (%)"]) + 1 :]
    assert [d[0] for d in days[:7]] == [f"2026-11-{d}" for d in range(27, 31)] + [
        "2026-12-01", "2026-12-02", "2026-12-03",
    ]  # fmt: skip
    assert days[7] == []
    broken = days[8:]
    assert broken[0][:2] == ["Camera", "Place"]
    assert broken[1][:2] == ["Bank D 1", "12 Mall Road"] and broken[1][3:6] == [
        "Offline",
        "Connection refused",
        "10.0",
    ]
    hindi = client.get(f"/health.csv?{WEEK}&lang=hi").content.decode("utf-8-sig")
    assert "ऑफ़लाइन" in hindi or "बंद" in hindi


@pytest.mark.parametrize(
    ("lang", "words"), [("hi", "स्वास्थ्य समीक्षा"), ("en", "Camera health review")]
)
def test_pdf_opens_in_each_language(
    client: TestClient, db: Session, settings: Settings, lang: str, words: str
) -> None:
    _city(db, settings)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    response = client.get(f"/health.pdf?{WEEK}&lang={lang}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"-{lang}.pdf" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert words in text
    assert "Bank D" in text
    assert client.get(f"/health.pdf?{WEEK}&lang=fr").status_code == 422


def test_officers_see_only_their_charge(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    _sign_in(client, db, Role.SHO, "S1")
    rows = _rows(client, f"group=category&{WEEK}&lang=en")
    assert rows["Total"][:5] == ["3", "1", "1", "1", "0"]
    page = client.get(f"/health?{WEEK}&lang=en").text
    assert "Bank D" not in page and "Mall Road crossing" in page
    for path in ("/health", "/health.csv", "/health.pdf", "/health/cameras", "/health/alerts"):
        assert client.get(f"{path}?node=S3").status_code == 403, path
        assert client.get(f"{path}?node=C").status_code == 403, path


def test_the_lists_behind_the_numbers(client: TestClient, db: Session, settings: Settings) -> None:
    made = _city(db, settings)
    _sign_in(client, db, Role.DCP, "Z1")
    page = client.get("/health/cameras?state=offline&lang=en").text
    assert '<span class="level">1</span>' in page
    assert f'data-target="{made["offline"].id}"' in page and "Bank D" not in page
    broken = client.get("/health/cameras?lang=en").text
    assert '<span class="level">2</span>' in broken
    assert client.get("/health/alerts?lang=en").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-12-02&to=2026-12-01",  # ends before it starts
        "from=2026-12-01&to=2026-12-04",  # ends after today
        "from=2025-01-01&to=2026-12-01",  # longer than a year
        "from=yesterday",
        "to=2026-13-01",
        "group=colour",
    ],
)
def test_bad_periods_and_groupings_are_a_clear_4xx(
    client: TestClient, db: Session, query: str
) -> None:
    make_tree(db)
    _sign_in(client, db, Role.COMMISSIONER, "C")
    for path in ("/health", "/health.csv", "/health.pdf"):
        assert client.get(f"{path}?{query}").status_code == 422, (path, query)
    assert client.get("/health/cameras?state=fine").status_code == 422


def test_the_pages_read_in_hindi(client: TestClient, db: Session, settings: Settings) -> None:
    """No English word on the Hindi pages but the names people gave the cameras and sites."""
    made = _city(db, settings)
    measured = {"codec": "h264", "width": 640, "height": 360, "fps": 10.0, "bitrate_kbps": 512}
    made["covered"].last_result = json.dumps(measured | {"ttff_ms": 420.0})
    _sign_in(client, db, Role.COMMISSIONER, "C")
    typed = {"Mall", "Road", "crossing", "Bank", "D", "Shop", "C", "Lock", "up", "S1", "S2", "S3"}
    typed |= {"commissioner", "c", "h264"}  # the signed-in username, the codec
    allowed = ALLOWED | typed | set(LATIN_WORD.findall("Z1 Z2 C1 C2 KNP"))
    for path in (f"/health?{WEEK}", "/health?group=crossing", "/health/cameras",
                 "/health/alerts", f"/health/cameras/{made['covered'].id}"):  # fmt: skip
        page = client.get(path + ("&" if "?" in path else "?") + "lang=hi")
        assert page.status_code == 200, path
        assert latin_words(page.text, allowed) == set(), path


def test_signed_out_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/health", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
