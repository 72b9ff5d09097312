"""Bytes that are not UTF-8 in a text body (form field, multipart text, JSON) are refused
with a clear 422 before the app parses them, where the parsers would have replaced them
silently (U+FFFD, or Latin-1 letters); UTF-8 Hindi passes everywhere."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.canvass.models import Incident
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.core.test_edge import MULTIPART, _part, _run

HINDI = "मोबाइल छीना गया"
FORM = "kind=theft&lat=26.45&lon=80.25&window_start=2026-11-30T10:00&window_end=2026-11-30T11:00"
JSON = (
    '{"kind": "theft", "lat": 26.45, "lon": 80.25, "window_start": "2026-11-30T10:00:00Z", '
    '"window_end": "2026-11-30T11:00:00Z", "description": "%s"}'
)


@pytest.fixture()
def officer(client: TestClient, db: Session) -> dict[str, str]:
    make_tree(db)
    make_staff(db, Role.INVESTIGATING_OFFICER, "S1", "io-utf8")
    db.commit()
    login(client, "io-utf8")
    return {"x-csrf-token": csrf_from(client, "/incidents/new")}


def _descriptions(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Incident.description).order_by(Incident.id)))


def test_a_form_field_that_is_not_utf8_is_refused(
    client: TestClient, db: Session, officer: dict[str, str]
) -> None:
    form = {"content-type": "application/x-www-form-urlencoded", **officer}
    for description in (b"abc%FFdef", b"abc\xffdef", b"%C3"):  # escaped, raw, cut short
        reply = client.post(
            "/incidents", content=FORM.encode() + b"&description=" + description, headers=form
        )
        assert reply.status_code == 422 and "UTF-8" in reply.text
    assert db.scalar(select(func.count(Incident.id))) == 0
    good = f"{FORM}&description={quote(HINDI)}".encode()
    assert (
        client.post("/incidents", content=good, headers=form, follow_redirects=False).status_code
        == 303
    )
    assert _descriptions(db) == [HINDI]


def test_json_and_multipart_text_that_is_not_utf8_are_refused(
    client: TestClient, db: Session, officer: dict[str, str]
) -> None:
    json_type = {"content-type": "application/json", **officer}
    broken = (JSON % "abc").encode().replace(b"abc", b"ab\xc3")
    reply = client.post("/api/v1/incidents", content=broken, headers=json_type)
    assert reply.status_code == 422 and "UTF-8" in reply.json()["error"]["message"]
    form = dict(part.split("=") for part in FORM.split("&"))
    multipart = client.post(
        "/incidents", data=form, files={"description": (None, b"mp\xffx")}, headers=officer
    )
    assert multipart.status_code == 422 and "UTF-8" in multipart.text
    assert db.scalar(select(func.count(Incident.id))) == 0
    good = (JSON % HINDI).encode()
    assert client.post("/api/v1/incidents", content=good, headers=json_type).status_code == 201
    assert _descriptions(db) == [HINDI]


@pytest.mark.parametrize(
    ("chunks", "content_type", "status"),
    [
        ([HINDI.encode()[:5], HINDI.encode()[5:]], "application/json", 200),  # cut mid-letter
        ([HINDI.encode()[:5]], "application/json", 422),  # and never finished
        (
            [b"a=" + quote(HINDI).encode()[:7], quote(HINDI).encode()[7:]],
            "application/x-www-form-urlencoded",
            200,
        ),
        ([_part("a", HINDI.encode())[:60], _part("a", HINDI.encode())[60:]], MULTIPART, 200),
        ([_part("a", b"\xe0\xa4") + b"--b0undary--"], MULTIPART, 422),  # cut by the part's end
        ([_part("f", b"\xff\xfe binary", "v.mp4"), b"--b0undary--"], MULTIPART, 200),  # a file
    ],
)
def test_utf8_is_followed_across_chunks(
    chunks: list[bytes], content_type: str, status: int
) -> None:
    assert asyncio.run(_run(chunks, content_type))[0] == status
