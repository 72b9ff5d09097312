"""The category report: counts per category and per sub-area, scoping, targets, CSV and PDF."""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level, Role
from nigrani.cameras import report, report_pdf
from nigrani.cameras.categories import DEFAULT_CATEGORIES
from nigrani.cameras.models import Camera, CameraCategory, Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import current_language
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import make_site

TARGETS = sum(c.target for c in DEFAULT_CATEGORIES)


def _site(
    db: Session,
    settings: Settings,
    name: str,
    where: tuple[float, float],
    category: str,
    count: int,
    health: tuple[str, ...] = (),
) -> Site:
    """A site with `count` cameras registered; one linked Camera row per health value."""
    site = make_site(
        db, settings, name=name, lat=where[0], lon=where[1], category=category,
        camera_count=count, cameras=[], owner_name=None, owner_mobile=None,
    )  # fmt: skip
    for state in health:
        db.add(Camera(site_id=site.id, linked=True, health=state, created_at=utcnow()))
    db.add(Camera(site_id=site.id, linked=False, health="working", created_at=utcnow()))
    db.flush()
    return site


def _city(db: Session, settings: Settings) -> None:
    """Four active sites in S1, S2, S3 (tree of tests.accounts.factories) and a withdrawn one."""
    make_tree(db)
    _site(db, settings, "Shop A", (26.42, 80.22), "shop", 3, ("working", "offline"))
    _site(db, settings, "Factory B", (26.46, 80.27), "industry", 5, ("unknown", "unknown"))
    _site(db, settings, "Shop C", (26.55, 80.25), "shop", 2, ("working",))
    _site(db, settings, "Bank D", (26.50, 80.35), "bank_atm", 4, ("working", "working", "degraded"))
    gone = _site(db, settings, "Mill E", (26.45, 80.36), "industry", 10, ("working",) * 3)
    gone.status = "withdrawn"
    db.flush()


def _counts(line: report.CategoryLine | report.AreaLine) -> list[int]:
    return line.counts.values()


def _by_code(rep: report.CategoryReport) -> dict[str, report.CategoryLine]:
    return {line.code: line for line in rep.categories}


def _node(db: Session, code: str) -> JurisdictionNode:
    return jurisdiction.get_by_code(db, code)


@contextmanager
def _language(lang: str) -> Iterator[None]:
    """Run code outside a request in a language, then restore the previous one."""
    token = current_language.set(lang)
    try:
        yield
    finally:
        current_language.reset(token)


def test_counts_per_category_and_totals(db: Session, settings: Settings) -> None:
    _city(db, settings)
    rep = report.category_report(db, node=_node(db, "C"), lang="en")
    lines = _by_code(rep)
    assert [line.code for line in rep.categories] == [c.code for c in DEFAULT_CATEGORIES]
    # sites, cameras, linked, working, degraded, offline, not checked yet
    assert _counts(lines["shop"]) == [2, 5, 3, 2, 0, 1, 0]
    assert _counts(lines["industry"]) == [1, 5, 2, 0, 0, 0, 2]
    assert _counts(lines["bank_atm"]) == [1, 4, 3, 2, 1, 0, 0]
    assert _counts(lines["school"]) == [0, 0, 0, 0, 0, 0, 0]
    assert _counts(rep.total) == [4, 14, 8, 4, 1, 1, 2]
    assert lines["industry"].target == 1000
    assert lines["industry"].progress == 0.2
    assert lines["bank_atm"].progress == 0.4  # 3 of 800
    assert lines["shop"].progress is None  # no target set
    assert rep.total.target == TARGETS
    assert rep.total.progress == round(100 * 8 / TARGETS, 1)


def test_names_follow_the_language(db: Session, settings: Settings) -> None:
    _city(db, settings)
    rep = report.category_report(db, node=_node(db, "C"), lang="hi")
    assert _by_code(rep)["bank_atm"].name == "बैंक व एटीएम"
    assert rep.node_name == "C हिन्दी"
    assert [a.name for a in rep.areas] == ["Z1 हिन्दी", "Z2 हिन्दी"]


def test_breakdown_per_child_node_adds_up(db: Session, settings: Settings) -> None:
    _city(db, settings)
    rep = report.category_report(db, node=_node(db, "C"), lang="en")
    assert [(a.code, _counts(a)) for a in rep.areas] == [
        ("Z1", [3, 10, 5, 2, 0, 1, 2]),
        ("Z2", [1, 4, 3, 2, 1, 0, 0]),
    ]
    circle = report.category_report(db, node=_node(db, "C1"), lang="en")
    assert [(a.code, a.level, a.counts.sites) for a in circle.areas] == [
        ("S1", "station", 2),
        ("S2", "station", 1),
    ]
    station = report.category_report(db, node=_node(db, "S1"), lang="en")
    assert station.areas == []
    assert _counts(station.total) == [2, 8, 4, 1, 0, 1, 2]


def test_sites_filed_above_station_level_still_add_up(db: Session, settings: Settings) -> None:
    _city(db, settings)
    bank = db.scalars(select(Site).where(Site.name == "Bank D")).one()
    bank.node_path = _node(db, "Z2").path  # e.g. an import that knew only the zone
    db.flush()
    zone = report.category_report(db, node=_node(db, "Z2"), lang="en")
    assert [(a.code, a.name, a.counts.sites) for a in zone.areas] == [
        ("C2", "C2 en", 0),
        (None, "Registered directly at this level", 1),
    ]
    city = report.category_report(db, node=_node(db, "C"), lang="en")
    assert [a.counts.sites for a in city.areas] == [3, 1]


def test_set_target_is_audited_and_validated(db: Session) -> None:
    actor = audit.Actor(7, "admin")
    report.set_target(db, code="hotel", target=450, actor=actor)
    assert db.get(CameraCategory, "hotel").target == 450  # type: ignore[union-attr]
    db.commit()  # audit rows are appended at the commit
    rows = audit.entries_for(db, object_type="camera_category", object_id="hotel")
    assert [(r.action, r.actor_id, r.detail) for r in rows] == [
        ("category.target", 7, '{"from": 300, "to": 450}')
    ]
    report.set_target(db, code="hotel", target=450, actor=actor)  # unchanged: no new row
    assert len(audit.entries_for(db, object_type="camera_category", object_id="hotel")) == 1
    for code, bad in (("hotel", -1), ("hotel", report.MAX_TARGET + 1), ("nope", 5)):
        with pytest.raises(ValidationFailed):
            report.set_target(db, code=code, target=bad, actor=actor)


def _signed_in(client: TestClient, db: Session, role: Role, node: str) -> None:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def test_sho_sees_only_their_station(client: TestClient, db: Session, settings: Settings) -> None:
    _city(db, settings)
    _signed_in(client, db, Role.SHO, "S1")
    page = client.get("/cameras/report?lang=en")
    assert page.status_code == 200
    assert "S1 en" in page.text and "Download CSV" in page.text
    rows = list(csv.reader(io.StringIO(client.get("/cameras/report.csv").text.lstrip("\ufeff"))))
    assert rows[-1][:8] == ["Total", "2", "8", "4", "1", "0", "1", "2"]
    for other in ("S2", "C1", "C"):
        assert client.get(f"/cameras/report?node={other}").status_code == 403, other
        assert client.get(f"/cameras/report.csv?node={other}").status_code == 403, other
        assert client.get(f"/cameras/report.pdf?node={other}").status_code == 403, other
    assert "/cameras/report/targets" not in page.text  # no targets form for non-admins


def test_dcp_breakdown_lists_circles(client: TestClient, db: Session, settings: Settings) -> None:
    _city(db, settings)
    _signed_in(client, db, Role.DCP, "Z1")
    page = client.get("/cameras/report?lang=en")
    assert page.status_code == 200
    assert 'href="/cameras/report?node=C1"' in page.text
    assert "S3 en" not in page.text and "Z2 en" not in page.text
    assert client.get("/cameras/report?node=S2").status_code == 200
    assert client.get("/cameras/report?node=Z2").status_code == 403
    partial = client.get("/cameras/report?node=C1", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "S2 en" in partial.text


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/cameras/report", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def _post_targets(client: TestClient, *, code: list[str], target: list[str]) -> int:
    data = {"csrf_token": csrf_from(client, "/cameras/report"), "node": "C"}
    form = {**data, "code": code, "target": target}
    response: Response = client.post("/cameras/report/targets", data=form, follow_redirects=False)
    return response.status_code


def test_admin_sets_targets(client: TestClient, db: Session, settings: Settings) -> None:
    _city(db, settings)
    _signed_in(client, db, Role.ADMIN, "C")
    assert 'action="/cameras/report/targets"' in client.get("/cameras/report").text
    data = {"csrf_token": csrf_from(client, "/cameras/report"), "node": "Z1"}
    data |= {"code": ["industry", "shop"], "target": ["1200", "400"]}  # type: ignore[dict-item]
    response = client.post("/cameras/report/targets", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/cameras/report?node=Z1&saved=1"
    db.expire_all()
    assert db.get(CameraCategory, "industry").target == 1200  # type: ignore[union-attr]
    assert db.get(CameraCategory, "shop").target == 400  # type: ignore[union-attr]
    row = audit.entries_for(db, object_type="camera_category", object_id="shop")[0]
    assert (row.action, row.actor_label) == ("category.target", "admin-c")
    assert "Targets saved" in client.get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("codes", "targets"),
    [
        (["industry"], ["-5"]),
        (["industry"], ["many"]),
        (["nope"], ["5"]),
        (["industry"], []),
        (["industry", "shop"], ["5"]),
    ],
)
def test_bad_targets_are_refused(
    codes: list[str], targets: list[str], client: TestClient, db: Session
) -> None:
    make_tree(db)
    _signed_in(client, db, Role.ADMIN, "C")
    assert _post_targets(client, code=codes, target=targets) == 422
    db.expire_all()
    assert db.get(CameraCategory, "industry").target == 1000  # type: ignore[union-attr]


def test_only_admins_set_targets(client: TestClient, db: Session) -> None:
    make_tree(db)
    _signed_in(client, db, Role.COMMISSIONER, "C")
    assert _post_targets(client, code=["industry"], target=["5"]) == 403
    db.expire_all()
    assert db.get(CameraCategory, "industry").target == 1000  # type: ignore[union-attr]


def test_csv_headers_rows_and_injection(
    client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    db.get(CameraCategory, "school").name_en = "=HYPERLINK(1)"  # type: ignore[union-attr]
    _node(db, "Z2").name_en = "@SUM(A1)"
    _signed_in(client, db, Role.COMMISSIONER, "C")
    response = client.get("/cameras/report.csv?lang=en")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="camera-category-report-C.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    with _language("en"):
        assert rows[0] == report.category_headers()
        assert rows[len(DEFAULT_CATEGORIES) + 3] == report.area_headers()
    assert rows[1] == ["Shops", "2", "5", "3", "2", "0", "1", "0", "0", ""]
    assert rows[3] == ["'=HYPERLINK(1)", *["0"] * 8, ""]
    total = ["Total", "4", "14", "8", "4", "1", "1", "2"]
    assert rows[len(DEFAULT_CATEGORIES) + 1][:8] == total
    areas = rows[len(DEFAULT_CATEGORIES) + 4 :]
    assert [r[:2] for r in areas] == [["'@SUM(A1)", "1"], ["Z1 en", "3"], ["Total", "4"]]
    hindi = client.get("/cameras/report.csv?lang=hi").content.decode("utf-8-sig")
    assert "बैंक व एटीएम" in hindi and "Z1 हिन्दी" in hindi


STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
MAPPING = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _pdf_text_chars(pdf: bytes) -> set[str]:
    """Every character the embedded fonts' ToUnicode maps can produce (no PDF library)."""
    chars: set[str] = set()
    for raw in STREAM.findall(pdf):
        try:
            data = zlib.decompress(raw)
        except zlib.error:
            data = raw  # fpdf2 leaves the small ToUnicode maps uncompressed; others may not
        if b"begincmap" in data:
            for _glyph, text in MAPPING.findall(data):
                chars.update(bytes.fromhex(text.decode()).decode("utf-16-be"))
    return chars


def _pages(pdf: bytes) -> int:
    """The page count in the PDF's page tree."""
    tree = next(obj for obj in pdf.split(b"endobj") if re.search(rb"/Type\s*/Pages\b", obj))
    found = re.search(rb"/Count (\d+)", tree)
    assert found, "no page count"
    return int(found.group(1))


@pytest.mark.parametrize(
    ("lang", "text", "font"),
    [
        ("hi", "C हिन्दी बैंक व एटीएम पुलिस चौकियाँ", rb"/FontName /[A-Z]{6}\+NotoSansDevanagari\b"),
        ("en", "Camera category report C en Banks & ATMs", rb"/FontName /[A-Z]{6}\+NotoSans\b"),
    ],
)
def test_pdf_in_each_language(
    lang: str, text: str, font: bytes, client: TestClient, db: Session, settings: Settings
) -> None:
    _city(db, settings)
    _signed_in(client, db, Role.COMMISSIONER, "C")
    response = client.get(f"/cameras/report.pdf?lang={lang}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"camera-category-report-C-{lang}.pdf" in response.headers["content-disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert re.search(font, pdf)
    assert _pages(pdf) == 1
    assert set(text + "14 8") - {" "} <= _pdf_text_chars(pdf)  # totals: 14 cameras, 8 linked


def test_pdf_refuses_an_unknown_language(client: TestClient, db: Session) -> None:
    make_tree(db)
    _signed_in(client, db, Role.COMMISSIONER, "C")
    assert client.get("/cameras/report.pdf?lang=fr").status_code == 422


def test_station_pdf_has_no_breakdown(db: Session, settings: Settings) -> None:
    _city(db, settings)
    with _language("en"):
        pdf = report_pdf.render(
            report.category_report(db, node=_node(db, "S1"), lang="en"), demo=True
        )
    assert _pages(pdf) == 1
    assert set("S1 en Demo") - {" "} <= _pdf_text_chars(pdf)


def test_long_breakdown_runs_onto_more_pages(db: Session) -> None:
    make_tree(db)
    circle = _node(db, "C1")
    for i in range(60):
        jurisdiction.create_node(
            db, code=f"X{i}", level=Level.STATION, name_en=f"Station {i}",
            name_hi=f"थाना {i}", parent=circle,
        )  # fmt: skip
    with _language("hi"):
        pdf = report_pdf.render(report.category_report(db, node=circle, lang="hi"))
    assert _pages(pdf) >= 2
