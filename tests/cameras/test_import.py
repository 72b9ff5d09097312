"""Bulk import of sites from real CSV and XLSX files: every bad row reported, all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts_service
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Role
from nigrani.cameras import importer
from nigrani.cameras.api import io as api_io
from nigrani.cameras.cli import cameras_app
from nigrani.cameras.importer import ImportFailed, ImportReport
from nigrani.cameras.models import Camera, Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.core.security import FieldCipher
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import command_env, fresh_database_url, invoke, make_settings

OWNER_NAME, OWNER_MOBILE = "Ramesh Kumar Gupta", "98123 45678"
S1, S2, S3, IN_P1 = (26.45, 80.28), (26.55, 80.25), (26.5, 80.35), (26.42, 80.22)


@pytest.fixture(autouse=True)
def city(db: Session) -> None:
    make_tree(db)
    db.commit()


def row(n: int, **changes: Any) -> dict[str, Any]:
    """A good row: a shop in S1 with an owner and one of two cameras linked."""
    lat, lon = changes.pop("at", S1)
    values: dict[str, Any] = dict.fromkeys(importer.COLUMNS, "")
    values |= {
        "external_id": f"E-{n}", "name": f"Gupta Sweets {n}", "address": "12 Mall Road",
        "lat": lat, "lon": lon, "category": "shop", "camera_count": 2, "linked_cameras": 1,
        "owner_name": OWNER_NAME, "owner_mobile": OWNER_MOBILE, "retention_days": 30,
    }  # fmt: skip
    return values | changes


def csv_file(rows: list[dict[str, Any]], *, bom: bool = False, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else importer.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode(encoding)


def xlsx_file(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    for values in rows:
        book.active.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(db: Session, settings: Settings, data: bytes, **options: Any) -> ImportReport:
    """Import as the system (a real run unless dry_run=True); options: dry_run, scope_path."""
    given: dict[str, Any] = {"dry_run": False, "file_name": "sites.csv", **options}
    return importer.import_sites(db, settings=settings, data=data, actor=audit.SYSTEM, **given)


def count(db: Session, model: type[Site] | type[Camera]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def where(report: ImportReport) -> set[tuple[int, str]]:
    return {(e.line, e.column) for e in report.errors}


def audited_imports(db: Session) -> int:
    stmt = select(func.count()).where(audit.AuditEntry.action == "site.import")
    return db.scalar(stmt) or 0


def paths(db: Session) -> dict[str, str]:
    return {n.code: n.path for n in db.scalars(select(JurisdictionNode))}


def test_dry_run_reports_every_bad_row_and_writes_nothing(db: Session, settings: Settings) -> None:
    rows = [
        row(1),
        row(2, camera_count=-2),
        row(3, at=(26.7, 80.3)),  # north of the commissionerate
        row(4, category="temple"),
        row(5, external_id="E-1"),
        row(6, owner_mobile="12345"),
        row(7, linked_cameras=3),
        row(8, name=""),
        row(9, lat="north"),
        row(10, is_public="maybe"),
        row(11, at=(51.5, -0.12), camera_count=0),  # London, and no cameras
        row(12, camera_count="2.0", linked_cameras="+1"),  # odd but valid numbers
    ]
    report = run(db, settings, csv_file(rows), dry_run=True)
    assert where(report) == {
        (3, "camera_count"), (4, "lat,lon"), (5, "category"), (6, "external_id"),
        (7, "owner_mobile"), (8, "linked_cameras"), (9, "name"), (10, "lat"),
        (11, "is_public"), (12, "lat,lon"), (12, "camera_count"),
    }  # fmt: skip
    reasons = {(e.line, e.column): e.reason for e in report.errors}
    assert "at least 1" in reasons[3, "camera_count"]
    assert "outside the commissionerate" in reasons[4, "lat,lon"]
    assert "not in India" in reasons[12, "lat,lon"]
    assert "temple" in reasons[5, "category"] and "shop" in reasons[5, "category"]
    assert "line 2" in reasons[6, "external_id"]
    assert "mobile" in reasons[7, "owner_mobile"]
    assert (report.rows, report.created, report.updated) == (12, 2, 0)
    assert count(db, Site) == count(db, Camera) == 0
    assert audited_imports(db) == 0


def test_real_run_with_one_bad_row_writes_nothing(db: Session, settings: Settings) -> None:
    data = csv_file([row(1), row(2), row(3, camera_count=-1)])
    with pytest.raises(ImportFailed) as failed:
        run(db, settings, data)
    assert where(failed.value.report) == {(4, "camera_count")}
    assert failed.value.status == 422
    assert count(db, Site) == count(db, Camera) == 0


def test_a_site_gets_its_station_an_encrypted_owner_and_linked_cameras(
    db: Session, settings: Settings
) -> None:
    nodes = paths(db)
    report = run(
        db,
        settings,
        csv_file(
            [
                row(1, at=IN_P1, linked_cameras=2),
                row(2, category="road", owner_name="", owner_mobile=""),
            ]
        ),
    )
    assert (report.created, report.updated, report.unchanged, report.errors) == (2, 0, 0, [])
    shop = db.scalars(select(Site).where(Site.external_id == "E-1")).one()
    assert (shop.node_path, shop.source, shop.is_public) == (nodes["S1"], "import", False)
    assert shop.linked_count == 2 and shop.camera_count == 2
    cipher = FieldCipher(settings.encryption_key)
    assert shop.owner_name_enc and cipher.decrypt(shop.owner_name_enc) == OWNER_NAME
    assert shop.owner_phone_enc and cipher.decrypt(shop.owner_phone_enc) == "+919812345678"
    assert (shop.owner_name_masked, shop.owner_phone_masked) == ("R***", "+91 ********78")
    raw = db.execute(text("SELECT * FROM camera_sites")).all()
    assert OWNER_NAME not in repr(raw) and "9812345678" not in repr(raw)
    road = db.scalars(select(Site).where(Site.external_id == "E-2")).one()
    assert road.is_public and road.owner_name_enc is None and road.owner_phone_hash is None


def test_reimport_is_idempotent_and_updates_what_changed(db: Session, settings: Settings) -> None:
    first = [row(1), row(2, linked_cameras=2), row(3)]
    run(db, settings, csv_file(first))
    again = run(db, settings, csv_file(first))
    assert (again.created, again.updated, again.unchanged, again.contacts) == (0, 0, 3, 3)
    changed = [row(1, name="Gupta Sweets & Namkeen"), row(2, linked_cameras=0), row(3, at=S3)]
    report = run(db, settings, csv_file([*changed, row(4)]))
    assert (report.created, report.updated, report.unchanged) == (1, 3, 0)
    sites = {s.external_id: s for s in db.scalars(select(Site))}
    assert len(sites) == count(db, Site) == 4
    assert sites["E-1"].name == "Gupta Sweets & Namkeen"
    assert [sites[f"E-{n}"].linked_count for n in (1, 2, 3, 4)] == [1, 0, 1, 1]
    assert sites["E-3"].node_path == paths(db)["S3"]
    # A new contact is written, though the site counts as unchanged: contacts are never compared.
    owner_changed = run(db, settings, csv_file([*changed, row(4, owner_name="Suresh")]))
    assert (owner_changed.updated, owner_changed.unchanged, owner_changed.contacts) == (0, 4, 4)
    db.refresh(sites["E-4"])
    cipher = FieldCipher(settings.encryption_key)
    assert cipher.decrypt(sites["E-4"].owner_name_enc or "") == "Suresh"
    no_owner = run(db, settings, csv_file([row(1, owner_name="", owner_mobile="")]))
    assert (no_owner.updated, no_owner.contacts) == (1, 0)  # the contact goes: masks show it


def test_utf8_with_bom_and_hindi_text(db: Session, settings: Settings) -> None:
    hindi = row(1, name="गुप्ता मिष्ठान भंडार", address="माल रोड, कानपुर", owner_name="रमेश कुमार")
    report = run(db, settings, csv_file([hindi], bom=True))
    assert report.errors == [] and report.created == 1
    site = db.scalars(select(Site)).one()
    assert (site.name, site.address) == ("गुप्ता मिष्ठान भंडार", "माल रोड, कानपुर")
    assert site.owner_name_masked == "र***"


def test_latin1_bytes_are_refused_naming_the_line(db: Session, settings: Settings) -> None:
    data = csv_file([row(1), row(2, name="Café Kanpur")], encoding="latin-1")
    report = run(db, settings, data, dry_run=True)
    assert where(report) == {(3, "")}
    assert "UTF-8" in report.errors[0].reason and "3" in report.errors[0].reason
    with pytest.raises(ImportFailed):
        run(db, settings, data)
    assert count(db, Site) == 0


def test_xlsx_is_read_by_content_with_numbers_as_numbers(db: Session, settings: Settings) -> None:
    header = list(importer.COLUMNS)
    values = [row(1) | {"owner_mobile": 9812345678, "is_public": True}, row(2, name="दुकान")]
    data = xlsx_file([header, *([v[c] for c in header] for v in values)])
    report = run(db, settings, data, file_name="named-like-a.csv")
    assert (report.created, report.errors) == (2, [])
    sites = {s.external_id: s for s in db.scalars(select(Site))}
    assert sites["E-1"].is_public and sites["E-2"].name == "दुकान"
    assert sites["E-1"].owner_phone_masked == "+91 ********78"


@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, 1, ".xls"),
        (b"PK\x03\x04 not really a zip", 1, "XLSX"),
        (b"\n\n", 1, "empty"),
        (b"external_id,name\nE-1," + b"x" * 200_000 + b"\n", 2, "CSV"),
    ],
)
def test_unreadable_files_are_refused_clearly(
    db: Session, settings: Settings, data: bytes, line: int, needle: str
) -> None:
    report = run(db, settings, data, dry_run=True)
    assert [e.line for e in report.errors] == [line]
    assert needle in report.errors[0].reason


def test_header_problems_are_listed_together(db: Session, settings: Settings) -> None:
    data = b"external_id,name,name,latitude,lon,extra_thing\nE-1,a,b,26.4,80.2,x\n"
    report = run(db, settings, data, dry_run=True)
    assert where(report) == {
        (1, "name"),
        (1, "latitude"),
        (1, "extra_thing"),
        (1, "lat"),
        (1, "category"),
    }


def test_cells_beyond_the_header_are_an_error(db: Session, settings: Settings) -> None:
    data = csv_file([row(1)]) + b"E-2,Shop,Mall Road, Kanpur,26.45,80.28,shop,,1,0,,,30,N\n"
    assert (3, "") in where(run(db, settings, data, dry_run=True))


def test_rows_outside_the_importers_charge_are_refused(db: Session, settings: Settings) -> None:
    zone_1 = paths(db)["Z1"]
    run(db, settings, csv_file([row(1, at=S3)]))
    data = csv_file([row(1, at=S1), row(2, at=S3)])
    report = run(db, settings, data, dry_run=True, scope_path=zone_1)
    assert where(report) == {(2, "external_id"), (3, "lat,lon")}
    assert all("outside your charge" in e.reason for e in report.errors)


def test_a_withdrawn_site_is_not_brought_back(db: Session, settings: Settings) -> None:
    run(db, settings, csv_file([row(1)]))
    db.execute(update(Site).values(status="withdrawn"))
    assert where(run(db, settings, csv_file([row(1)]), dry_run=True)) == {(2, "external_id")}


def test_progress_and_one_audit_row_without_personal_data(db: Session, settings: Settings) -> None:
    seen: list[tuple[int, int]] = []
    data = csv_file([row(n) for n in range(1, 2502)])
    progress = lambda done, total: seen.append((done, total))  # noqa: E731
    report = run(db, settings, data, file_name="kanpur-shops.csv", progress=progress)
    db.commit()  # audit rows are appended at the commit
    assert report.created == 2501
    assert seen[-1] == (5002, 5002) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    entries = db.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "site.import"))
    (entry,) = entries.all()
    assert report.sha256 in entry.detail and "kanpur-shops.csv" in entry.detail
    assert '"created": 2501' in entry.detail
    assert "Ramesh" not in entry.detail and "98123" not in entry.detail


def test_api_dry_run_then_real_run(client: TestClient, db: Session) -> None:
    admin = make_staff(db, Role.ADMIN, "C")
    db.commit()
    login(client, admin.username or "")
    headers = {"x-csrf-token": csrf_from(client, "/cameras/import")}
    bad = {"file": ("sites.csv", csv_file([row(1), row(2, camera_count=-3)]), "text/csv")}
    checked = client.post("/api/v1/cameras/import?dry_run=true", files=bad, headers=headers)
    assert checked.status_code == 200
    assert checked.json()["errors"] == [
        {"line": 3, "column": "camera_count", "reason": "must be at least 1"}
    ]
    refused = client.post("/api/v1/cameras/import?dry_run=false", files=bad, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["line"] == 3 and refused.json()["error"]["code"] == "invalid"
    good = {"file": ("sites.xlsx", csv_file([row(1), row(2)]), "application/octet-stream")}
    done = client.post("/api/v1/cameras/import?dry_run=false", files=good, headers=headers)
    assert done.status_code == 200 and done.json()["created"] == 2
    assert count(db, Site) == 2


@pytest.mark.parametrize(
    ("role", "node", "status"),
    [(Role.CONTROL_ROOM, "C", 200), (Role.SHO, "S1", 403), (Role.COMMISSIONER, "C", 403)],
)
def test_only_admins_and_control_room_import(
    client: TestClient, db: Session, role: Role, node: str, status: int
) -> None:
    user = make_staff(db, role, node)
    db.commit()
    login(client, user.username or "")
    headers = {"x-csrf-token": csrf_from(client, "/account")}
    files = {"file": ("sites.csv", csv_file([row(1)]), "text/csv")}
    response = client.post("/api/v1/cameras/import?dry_run=true", files=files, headers=headers)
    assert response.status_code == status
    assert client.get("/cameras/import").status_code == status


@pytest.mark.parametrize(("scopes", "status"), [(["integration"], 200), (["worker"], 403)])
def test_api_tokens_need_the_integration_scope(
    client: TestClient, db: Session, scopes: list[str], status: int
) -> None:
    admin = make_staff(db, Role.ADMIN, "C")
    issued = accounts_service.issue_token(
        db, user=admin, name="city-gis", scopes=scopes, actor=audit.SYSTEM
    )
    db.commit()
    headers = {"authorization": f"Bearer {issued.secret}"}
    files = {"file": ("sites.csv", csv_file([row(1)]), "text/csv")}
    response = client.post("/api/v1/cameras/import?dry_run=true", files=files, headers=headers)
    assert response.status_code == status
    assert client.get("/cameras/export.csv", headers=headers).status_code == status


def test_api_refuses_a_file_over_the_limit(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_io, "MAX_UPLOAD_MB", 0)
    admin = make_staff(db, Role.ADMIN, "C")
    db.commit()
    login(client, admin.username or "")
    headers = {"x-csrf-token": csrf_from(client, "/cameras/import")}
    files = {"file": ("sites.csv", csv_file([row(1)]), "text/csv")}
    assert client.post("/api/v1/cameras/import", files=files, headers=headers).status_code == 413


def test_import_page_checks_then_imports(client: TestClient, db: Session) -> None:
    operator = make_staff(db, Role.CONTROL_ROOM, "C")
    db.commit()
    login(client, operator.username or "")
    token = csrf_from(client, "/cameras/import")
    bad = {"file": ("sites.csv", csv_file([row(1), row(2, category="temple")]), "text/csv")}
    page = client.post("/cameras/import", files=bad, data={"csrf_token": token, "dry_run": "true"})
    assert (
        page.status_code == 200 and "temple" in page.text and '<td class="mono">3</td>' in page.text
    )
    failed = client.post("/cameras/import", files=bad, data={"csrf_token": token})
    assert failed.status_code == 422 and count(db, Site) == 0
    good = {"file": ("sites.csv", csv_file([row(1)]), "text/csv")}
    done = client.post("/cameras/import", files=good, data={"csrf_token": token})
    assert done.status_code == 200 and "1 created" in done.text and count(db, Site) == 1


def test_cli_import_shows_problems_then_imports(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path)
        upgrade(settings)
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            make_tree(session)
        engine.dispose()
        env = command_env(url, tmp_path)
        bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
        bad.write_bytes(csv_file([row(1), row(2, owner_mobile="000")]))
        good.write_bytes(csv_file([row(1), row(2)]))
        checked = invoke(env, "import", str(bad), "--dry-run", app=cameras_app)
        assert checked.exit_code == 1 and "owner_mobile" in checked.output
        done = invoke(env, "import", str(good), app=cameras_app)
        assert done.exit_code == 0, done.output
        assert "Created 2" in done.output


def test_a_dry_run_answers_alike_for_a_right_and_a_wrong_guessed_contact(
    client: TestClient, db: Session, settings: Settings
) -> None:
    run(db, settings, csv_file([row(1)]))
    operator = make_staff(db, Role.CONTROL_ROOM, "C")
    db.commit()
    login(client, operator.username or "")
    headers = {"x-csrf-token": csrf_from(client, "/cameras/import")}
    answers = []
    for name, mobile in ((OWNER_NAME, OWNER_MOBILE), ("Suresh Yadav", "98123 45600")):
        guess = csv_file([row(1, owner_name=name, owner_mobile=mobile)])
        files = {"file": ("guess.csv", guess, "text/csv")}
        answer = client.post("/api/v1/cameras/import?dry_run=true", files=files, headers=headers)
        assert answer.status_code == 200
        answers.append(answer.json())
    assert answers[0] == answers[1]
    assert (answers[0]["unchanged"], answers[0]["updated"], answers[0]["contacts"]) == (1, 0, 1)
