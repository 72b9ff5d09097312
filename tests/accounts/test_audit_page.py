"""The audit log page: filtered by person, action, object and IST dates, paged with the
filters kept, and exported as CSV of the filtered rows (formula-safe, itself audited)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.audit import AuditEntry
from tests.accounts.factories import login, make_staff, make_tree
from tests.conftest import Freeze

REASON = re.compile(r"reason-[a-z0-9-]+")


def _row(db: Session, freeze: Freeze, at: datetime, **fields: str) -> None:
    freeze(at)
    label = fields.pop("who", "sho-kalyanpur")
    audit.record(db, actor=audit.Actor(None, label), **fields)  # type: ignore[arg-type]


@pytest.fixture()
def rows(client: TestClient, db: Session, freeze: Freeze) -> None:
    """Three rows either side of an IST midnight, and a signed-in auditor."""
    make_tree(db)
    make_staff(db, Role.AUDITOR, "C", "auditor1")
    # 1 Dec 01:30 IST is still 30 Nov in UTC; 30 Nov 22:30 IST is 30 Nov in both.
    _row(
        db,
        freeze,
        datetime(2026, 11, 30, 20, 0, tzinfo=UTC),
        action="site.owner_revealed",
        object_type="site",
        object_id="7",
        reason="reason-early-december",
    )
    _row(
        db,
        freeze,
        datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        who="io-panki",
        action="site.owner_revealed",
        object_type="site",
        object_id="8",
        reason="reason-late-november",
    )
    _row(
        db,
        freeze,
        datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
        action="complaint.close",
        object_type="complaint",
        object_id="7",
        reason="=HYPERLINK(reason-formula)",
    )
    db.commit()
    freeze(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    assert login(client, "auditor1").status_code == 303


def _reasons(client: TestClient, query: str) -> set[str]:
    answer = client.get(f"/audit?{query}")
    assert answer.status_code == 200, answer.text
    return set(REASON.findall(answer.text))


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("", {"reason-early-december", "reason-late-november", "reason-formula"}),
        ("who=IO-PANKI", {"reason-late-november"}),
        ("action=complaint.close", {"reason-formula"}),
        ("object_type=site", {"reason-early-december", "reason-late-november"}),
        ("object_type=site&object_id=8", {"reason-late-november"}),
        ("object_id=7", {"reason-early-december", "reason-formula"}),
        ("since=2026-12-01&until=2026-12-01", {"reason-early-december"}),  # IST days
        ("until=2026-11-30", {"reason-late-november"}),
        ("since=2026-12-02", {"reason-formula"}),
    ],
)
def test_rows_are_filtered(client: TestClient, query: str, found: set[str]) -> None:
    assert _reasons(client, query) == found


@pytest.mark.usefixtures("rows")
@pytest.mark.parametrize(
    "query",
    [
        "since=2026-13-01",
        "until=0001-01-01",
        "since=yesterday",
        "since=2026-12-02&until=2026-12-01",
    ],
)
def test_a_wrong_date_is_refused_on_the_page(client: TestClient, query: str) -> None:
    answer = client.get(f"/audit?{query}")
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and 'id="audit-filter"' in answer.text
    assert client.get(f"/audit.csv?{query}").status_code == 422


@pytest.mark.usefixtures("rows")
def test_the_form_keeps_the_filters_and_the_raw_action_code(client: TestClient) -> None:
    page = client.get("/audit?who=io-panki&object_type=site&since=2026-11-01").text
    assert 'name="who" maxlength="120" value="io-panki"' in page
    assert '<option value="site" selected>' in page
    assert 'value="2026-11-01"' in page
    assert 'data-action="site.owner_revealed"' in page
    assert 'href="/audit.csv?who=io-panki&amp;object_type=site&amp;since=2026-11-01"' in page


def test_paging_keeps_the_filters(client: TestClient, db: Session, freeze: Freeze) -> None:
    make_tree(db)
    make_staff(db, Role.AUDITOR, "C", "auditor1")
    for n in range(105):
        _row(
            db,
            freeze,
            datetime(2026, 12, 1, 6, 0, n % 60, tzinfo=UTC),
            action="camera.view",
            object_type="camera",
            object_id=str(n),
        )
        _row(
            db,
            freeze,
            datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
            action="other",
            object_type="x",
            object_id="1",
        )
    db.commit()
    assert login(client, "auditor1").status_code == 303
    first = client.get("/audit?action=camera.view").text
    assert first.count('data-action="camera.view"') == 100
    older = re.search(r'id="audit-older" href="(/audit\?[^"]+)"', first)
    assert older, first
    link = older.group(1).replace("&amp;", "&")
    assert "action=camera.view" in link and "before=" in link
    second = client.get(link).text
    assert second.count('data-action="camera.view"') == 5
    assert 'data-action="other"' not in second
    assert 'id="audit-older"' not in second


@pytest.mark.usefixtures("rows")
def test_the_csv_holds_the_filtered_rows_formula_safe_and_is_audited(
    client: TestClient, db: Session
) -> None:
    answer = client.get("/audit.csv?object_id=7")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [r["action"] for r in table] == ["site.owner_revealed", "complaint.close"]
    assert table[0]["at_ist"] == "2026-12-01T01:30:00+05:30"
    assert table[1]["reason"] == "'=HYPERLINK(reason-formula)"  # shown as text, never run
    assert table[0]["actor"] == "sho-kalyanpur"
    db.expire_all()
    export = db.scalar(select(AuditEntry).where(AuditEntry.action == "audit.export"))
    assert export is not None and export.actor_label == "auditor1"
    assert json.loads(export.detail) == {"filters": {"object_id": "7"}}


@pytest.mark.usefixtures("rows")
def test_the_export_is_refused_to_roles_without_the_audit_log(
    client: TestClient, db: Session
) -> None:
    make_staff(db, Role.SHO, "S1", "sho1")
    db.commit()
    assert login(client, "sho1").status_code == 303
    assert client.get("/audit.csv").status_code == 403
    assert client.get("/audit?who=x").status_code == 403
