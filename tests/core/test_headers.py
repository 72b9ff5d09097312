"""Security headers on every answer (issue 13: app pages sent none of them, only the footage
owner's pages did), and Starlette's own form refusals in the page's language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts
from nigrani.accounts.roles import Role
from nigrani.core import audit
from tests.accounts.factories import csrf_from, login, make_staff, make_tree

FRAMES = "frame-ancestors 'none'"


def _guarded(answer: Response, *, cache: str | None = "no-store") -> None:
    headers = answer.headers
    assert headers["x-frame-options"] == "DENY"
    assert FRAMES in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers.get("cache-control") == cache


def test_pages_api_answers_and_refusals_carry_the_headers(
    client: TestClient, other_client: TestClient, db: Session
) -> None:
    make_tree(db)
    user = make_staff(db, Role.SHO, "S1")
    issued = accounts.issue_token(
        db, user=user, name="h", scopes=["integration"], actor=audit.SYSTEM
    )
    db.commit()
    _guarded(client.get("/login"))
    login(client, user.username or "")
    for path in ("/grievances", "/cameras", "/stations/compliance", "/no/such/page"):
        _guarded(client.get(path))
    bearer = {"Authorization": f"Bearer {issued.secret}"}
    api = other_client.get("/api/v1/cameras/sites", headers=bearer)
    assert api.status_code == 200
    _guarded(api)
    refused = client.get("/grievances", params={"q": "a\x00b"})  # refused at the edge
    assert refused.status_code == 422
    _guarded(refused)


def test_static_files_stay_cacheable(client: TestClient) -> None:
    answer = client.get("/static/nigrani.css")
    assert answer.status_code == 200
    _guarded(answer, cache=None)
    assert answer.headers["etag"]


def test_a_route_that_sets_its_own_keeps_them(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", username="keys")
    db.commit()
    login(client, "keys")
    token = csrf_from(client, "/admin/tokens")
    issued = client.post(
        "/admin/tokens",
        data={"name": "open311 app", "scope": "open311", "csrf_token": token},
        follow_redirects=False,
    )
    assert issued.status_code == 200, issued.text
    assert issued.headers["referrer-policy"] == "no-referrer"  # the secret's page says so


@pytest.mark.parametrize(("lang", "expected"), [("en", "Shorten it"), ("hi", "छोटा")])
def test_a_form_field_over_1_mb_is_refused_in_the_pages_language(
    client: TestClient, lang: str, expected: str
) -> None:
    token = csrf_from(client, "/citizen/complaints/new")
    fields = {"text": (None, "x" * (1024 * 1024 + 10)), "csrf_token": (None, token)}
    answer = client.post(f"/citizen/complaints?lang={lang}", files=fields)
    assert answer.status_code == 400
    assert "Part exceeded" not in answer.text and expected in answer.text
    assert "1 MB" in answer.text
