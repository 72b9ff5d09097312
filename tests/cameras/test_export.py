"""CSV and GeoJSON exports: masked owners only, formula-safe cells, jurisdiction respected."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras import export, importer
from nigrani.cameras.cli import cameras_app
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.text import safe_cell
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import OWNER_MOBILE, OWNER_NAME, make_site
from tests.cameras.test_import import S1, S2, S3, csv_file, row
from tests.conftest import command_env, fresh_database_url, invoke, make_settings

DIGITS = OWNER_MOBILE.removeprefix("+91")
FORBIDDEN = (OWNER_NAME, "Ramesh", "Kumar", DIGITS, DIGITS[:5], DIGITS[5:], "gAAAA")


@pytest.fixture(autouse=True)
def city(db: Session, settings: Settings) -> None:
    make_tree(db)
    make_site(db, settings)  # the factory's owner, in S1
    rows = [row(1, at=S1), row(2, at=S2, category="road", owner_name="", owner_mobile="")]
    rows.append(row(3, at=S3, owner_mobile=""))
    import_rows(db, settings, rows)
    db.commit()


def import_rows(db: Session, settings: Settings, rows: list[dict[str, Any]]) -> None:
    report = importer.import_sites(
        db,
        settings=settings,
        data=csv_file(rows),
        file_name="t.csv",
        actor=audit.SYSTEM,
        dry_run=False,
    )
    assert report.errors == []


def signed_in(client: TestClient, db: Session, role: Role, node: str) -> TestClient:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303
    return client


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_no_export_carries_an_owners_contact(client: TestClient, db: Session) -> None:
    signed_in(client, db, Role.ADMIN, "C")
    for path in ("/cameras/export.csv", "/cameras/export.geojson"):
        response = client.get(path)
        assert response.status_code == 200
        for plaintext in FORBIDDEN:
            assert plaintext.encode() not in response.content, (path, plaintext)
    rows = read_csv(client.get("/cameras/export.csv").content)
    assert {r["owner_name_masked"] for r in rows} == {"R***", ""}
    assert {r["owner_phone_masked"] for r in rows} == {"'+91 ********78", ""}


def test_csv_is_excel_friendly_and_formula_safe(
    client: TestClient, db: Session, settings: Settings
) -> None:
    hostile = row(
        9,
        name='=HYPERLINK("http://evil.example","click")',
        address="+91 Mall Road",
        facing="@SUM(A1)",
        external_id="-2+3",
        owner_name="दुकानदार",
    )
    import_rows(db, settings, [hostile, row(10, name="गुप्ता मिष्ठान भंडार")])
    db.commit()
    signed_in(client, db, Role.ADMIN, "C")
    response = client.get("/cameras/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = {r["external_id"]: r for r in read_csv(response.content)}
    evil = rows["'-2+3"]
    assert evil["name"] == "'" + hostile["name"]
    assert (evil["address"], evil["facing"]) == ("'+91 Mall Road", "'@SUM(A1)")
    assert rows["E-10"]["name"] == "गुप्ता मिष्ठान भंडार"
    assert [safe_cell(v) for v in ("\tcmd", "\rx", "a=b", 5)] == ["'\tcmd", "'\rx", "a=b", "5"]


def test_geojson_is_a_valid_feature_collection(client: TestClient, db: Session) -> None:
    signed_in(client, db, Role.CONTROL_ROOM, "C")
    response = client.get("/cameras/export.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    doc = json.loads(response.content)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 4
    for feature in doc["features"]:
        point = shape(feature["geometry"])
        assert point.geom_type == "Point" and shapely.is_valid(point)
        assert 80.2 <= point.x <= 80.4 and 26.4 <= point.y <= 26.6
        assert not any(key.endswith(("_enc", "_hash")) for key in feature["properties"])
    shop = next(f for f in doc["features"] if f["properties"]["external_id"] == "E-1")
    assert shop["properties"]["linked_cameras"] == 1 and shop["properties"]["station"] == "S1"


def test_an_sho_exports_only_their_station(client: TestClient, db: Session) -> None:
    signed_in(client, db, Role.SHO, "S1")
    rows = read_csv(client.get("/cameras/export.csv").content)
    assert {r["station"] for r in rows} == {"S1"} and len(rows) == 2
    doc = json.loads(client.get("/cameras/export.geojson").content)
    assert {f["properties"]["station"] for f in doc["features"]} == {"S1"}


def test_filters_are_the_registry_lists(client: TestClient, db: Session) -> None:
    signed_in(client, db, Role.DCP, "Z1")
    assert [r["external_id"] for r in read_csv(client.get("/cameras/export.csv").content)] == [
        "",
        "E-1",
        "E-2",
    ]
    roads = read_csv(client.get("/cameras/export.csv?category=road&public=yes").content)
    assert [r["external_id"] for r in roads] == ["E-2"]
    in_s2 = read_csv(client.get("/cameras/export.csv?station=S2&linked=yes").content)
    assert [r["external_id"] for r in in_s2] == ["E-2"]


def test_large_exports_stream_in_batches(
    client: TestClient, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_rows(db, settings, [row(n) for n in range(10, 25)])
    db.commit()
    monkeypatch.setattr(export, "BATCH", 4)
    signed_in(client, db, Role.ADMIN, "C")
    with client.stream("GET", "/cameras/export.csv") as response:
        chunks = list(response.iter_raw())
    assert len(read_csv(b"".join(chunks))) == 19
    doc = json.loads(client.get("/cameras/export.geojson").content)
    assert len(doc["features"]) == 19
    assert [f["id"] for f in doc["features"]] == sorted(f["id"] for f in doc["features"])


def test_exports_are_audited_and_need_staff(client: TestClient, db: Session) -> None:
    assert client.get("/cameras/export.csv", follow_redirects=False).status_code == 303
    signed_in(client, db, Role.STATION_STAFF, "S2").get("/cameras/export.geojson?category=road")
    entry = db.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "site.export"))
    detail = json.loads(entry.one().detail)
    assert detail["format"] == "geojson" and detail["filters"] == {"category": "road"}


def test_an_export_imports_again_unchanged(
    client: TestClient, db: Session, settings: Settings
) -> None:
    signed_in(client, db, Role.ADMIN, "C")
    body = client.get("/cameras/export.csv?category=road").content
    report = importer.import_sites(
        db,
        settings=settings,
        data=body,
        file_name="export.csv",
        actor=audit.SYSTEM,
        dry_run=True,
    )
    assert (report.errors, report.unchanged, report.created) == ([], 1, 0)


def test_cli_exports_csv_and_geojson(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path)
        upgrade(settings)
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            make_tree(session)
            make_site(session, settings)
        engine.dispose()
        env = command_env(url, tmp_path)
        out = tmp_path / "sites.geojson"
        made = invoke(env, "export", "--format", "geojson", "--out", str(out), app=cameras_app)
        printed = invoke(env, "export", app=cameras_app)
        assert made.exit_code == 0 and printed.exit_code == 0, made.output + printed.output
        assert len(json.loads(out.read_bytes())["features"]) == 1
        assert "Gupta Sweets" in printed.output and OWNER_NAME not in printed.output
