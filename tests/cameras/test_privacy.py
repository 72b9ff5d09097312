"""Owner contacts never leave the server outside the audited reveal; the DB holds ciphertext."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.cameras import owners
from nigrani.cameras.models import Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.security import FieldCipher
from nigrani.grievances.models import Complaint
from tests.accounts.factories import login, make_staff, make_tree
from tests.cameras.factories import OWNER_MOBILE, OWNER_NAME, make_site
from tests.grievances.factories import make_complaint

SECRETS = (
    OWNER_NAME,
    "Ramesh",
    "Gupta",
    OWNER_MOBILE,
    OWNER_MOBILE[3:],
    "98123 45678",
    "admin:secret",
    "10.0.0.5",
)
STAFF_URLS = (
    "/api/v1/cameras/sites",
    "/api/v1/cameras/sites/{id}",
    "/cameras",
    "/cameras/sites/{id}",
    "/cameras?q=gupta",
    "/audit",
    "/dashboard",
    "/cameras/map",
    "/cameras/map/site/{id}",
    "/api/v1/cameras/map?bbox=80.2,26.4,80.4,26.6&zoom=17",
    "/cameras/export.csv",
    "/cameras/export.geojson",
    "/cameras/report",
    "/cameras/report.csv",
)


def _assert_clean(body: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in body, f"{secret!r} leaked in {where}"


def test_no_page_or_response_shows_the_owner(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    site = make_site(db, settings, name="Sweets Corner")
    for role, node in ((Role.ADMIN, "C"), (Role.SHO, "S1"), (Role.CONTROL_ROOM, "C")):
        make_staff(db, role, node, f"u-{role.value.replace('_', '-')}")
    db.commit()
    for role in (Role.ADMIN, Role.SHO, Role.CONTROL_ROOM):
        client.cookies.clear()
        login(client, f"u-{role.value.replace('_', '-')}")
        for url in STAFF_URLS:
            if url == "/audit" and role != Role.ADMIN:
                continue
            response = client.get(url.format(id=site.id))
            assert response.status_code == 200, (url, role)
            _assert_clean(response.text, f"{url} as {role}")
        masked = client.get(f"/api/v1/cameras/sites/{site.id}").json()
        assert masked["owner_name_masked"] == "R***"
        assert masked["owner_phone_masked"] == "+91 ********78"
        assert "stream_url" not in str(masked)


def test_rows_hold_ciphertext_only(db: Session, settings: Settings) -> None:
    make_tree(db)
    site = make_site(db, settings)
    db.commit()
    row = db.execute(
        text(
            "SELECT owner_name_enc, owner_phone_enc, owner_phone_hash, owner_name_masked "
            "FROM camera_sites WHERE id = :id"
        ),
        {"id": site.id},
    ).one()
    raw = " ".join(str(v) for v in row)
    _assert_clean(raw, "camera_sites row")
    cipher = FieldCipher(settings.encryption_key)
    assert cipher.decrypt(row[0]) == OWNER_NAME and cipher.decrypt(row[1]) == OWNER_MOBILE
    streams = db.execute(
        text("SELECT stream_url_enc FROM cameras WHERE stream_url_enc IS NOT NULL")
    ).scalar_one()
    assert "secret" not in streams
    assert cipher.decrypt(streams) == "rtsp://admin:secret@10.0.0.5/1"
    audit_rows = db.execute(text("SELECT detail, reason FROM audit_log")).all()
    _assert_clean(str(audit_rows), "audit_log")


def test_reveal_needs_a_reference_and_reason_and_is_audited(
    db: Session, settings: Settings
) -> None:
    make_tree(db)
    site: Site = make_site(db, settings)
    actor = audit.Actor(1, "io1")
    import pytest

    from nigrani.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        owners.reveal(db, site=site, settings=settings, actor=actor, reference="", reason="x")
    contact = owners.reveal(
        db,
        site=site,
        settings=settings,
        actor=actor,
        reference="FIR 7/2026",
        reason="Robbery at the corner shop",
    )
    assert (contact.name, contact.mobile) == (OWNER_NAME, OWNER_MOBILE)
    db.commit()  # audit rows are appended at the commit
    rows = audit.entries_for(db, object_type="site", object_id=str(site.id))
    assert rows[0].action == "site.owner_revealed" and rows[0].reference == "FIR 7/2026"


def test_masks_show_neither_length_nor_more_than_two_digits(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    long = make_site(db, settings)  # Ramesh Kumar Gupta
    short = make_site(db, settings, name="Tea stall", lat=26.48, owner_name="Al", owner_mobile=None)
    make_staff(db, Role.SHO, "S1", "masks")
    db.commit()
    login(client, "masks")
    read = {s["id"]: s for s in client.get("/api/v1/cameras/sites").json()["items"]}
    assert (read[long.id]["owner_name_masked"], read[short.id]["owner_name_masked"]) == (
        "R***",
        "A***",
    )
    assert read[long.id]["owner_phone_masked"] == "+91 ********78"


def _migration(name: str) -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_masks_written_before_lose_their_lengths_in_the_migration(
    db: Session, settings: Settings
) -> None:
    make_tree(db)
    site = make_site(db, settings)
    bare = make_site(db, settings, name="Bus stop", lat=26.48, owner_name=None, owner_mobile=None)
    complaint = make_complaint(db, settings)
    db.execute(update(Site).where(Site.id == site.id).values(owner_name_masked="R***** K****"))
    db.execute(update(Complaint).values(name_masked="र*** क****"))
    with Operations.context(MigrationContext.configure(db.connection())):
        _migration("0011_shorter_name_masks.py").upgrade()
    db.expire_all()
    assert (site.owner_name_masked, bare.owner_name_masked) == ("R***", None)
    assert complaint.name_masked == "र***"
