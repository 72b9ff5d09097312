"""Open311 GeoReport v2 conformance: every endpoint in .json and .xml, and its errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts import service as accounts
from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.grievances.channels.open311 import api as open311
from nigrani.grievances.models import Complaint, GrievanceCategory
from tests.accounts.factories import make_staff, make_tree

BASE = "/open311/v2"
FORM = {
    "service_code": "theft",
    "lat": "26.47",
    "long": "80.27",
    "address_string": "Mall Road crossing, Kanpur",
    "description": "My bicycle was stolen from outside the sweet shop.",
    "first_name": "Ramesh",
    "last_name": "Kumar",
    "phone": "9876543210",
    "attribute[landmark]": "Gupta Sweets",
}


def _key(db: Session, scopes: list[str], name: str = "civic-app") -> str:
    admin = make_staff(db, Role.ADMIN, "C", username=f"admin-{name}")
    issued = accounts.issue_token(db, user=admin, name=name, scopes=scopes, actor=audit.SYSTEM)
    return issued.secret


@pytest.fixture()
def key(db: Session) -> str:
    make_tree(db)
    secret = _key(db, ["open311"])
    db.commit()
    return secret


def _xml(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314 - our own server's answer in a test


def _file(client: TestClient, key: str, fmt: str = "json", **changes: str) -> Any:
    answer = client.post(f"{BASE}/requests.{fmt}", data={**FORM, "api_key": key, **changes})
    assert answer.status_code == 200, answer.text
    return answer


def _count(db: Session) -> int:
    return db.scalar(select(func.count(Complaint.id))) or 0


def test_discovery_in_both_formats(client: TestClient) -> None:
    found = client.get(f"{BASE}/discovery.json")
    assert found.headers["content-type"].startswith("application/json")
    endpoint = found.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery"
    formats = [f.text for f in root.iterfind("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]


def test_services_and_their_definitions(client: TestClient) -> None:
    services = client.get(f"{BASE}/services.json").json()
    theft = next(s for s in services if s["service_code"] == "theft")
    assert theft["type"] == "realtime" and theft["metadata"] is True
    assert set(theft) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    root = _xml(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    codes = [s.findtext("service_code") for s in root.iterfind("service")]
    assert codes == [s["service_code"] for s in services]
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]
    hindi = client.get(f"{BASE}/services.json", headers={"Accept-Language": "hi"}).json()
    assert next(s for s in hindi if s["service_code"] == "theft")["service_name"] == "चोरी"

    definition = client.get(f"{BASE}/services/theft.json").json()
    assert definition["service_code"] == "theft"
    assert definition["attributes"][0]["code"] == "landmark"
    assert definition["attributes"][0]["datatype"] == "string"
    root = _xml(client.get(f"{BASE}/services/theft.xml").content)
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "landmark"
    assert root.findtext("attributes/attribute/required") == "false"


def test_post_a_request_then_follow_it_by_id_token_and_list(
    client: TestClient, db: Session, key: str
) -> None:
    filed = _file(client, key).json()
    assert len(filed) == 1 and set(filed[0]) == {
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    }
    number, token = filed[0]["service_request_id"], filed[0]["token"]
    complaint = db.scalars(select(Complaint).where(Complaint.number == number)).one()
    assert complaint.channel == "open311" and complaint.station is not None
    assert complaint.address == "Mall Road crossing, Kanpur (Gupta Sweets)"
    assert not complaint.mobile_verified and complaint.phone_masked == "+91 ********10"

    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": number, "token": token}
    ]
    root = _xml(client.get(f"{BASE}/tokens/{token}.xml").content)
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == number

    mine = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()[0]
    assert mine["status"] == "open" and mine["service_code"] == "theft"
    assert mine["description"] == FORM["description"] and mine["lat"] == 26.47
    assert mine["requested_datetime"].endswith("+05:30") and mine["expected_datetime"]
    public = client.get(f"{BASE}/requests/{number}.json").json()[0]
    assert public["description"] == "" and public["address"] == ""
    assert public["status"] == "open" and public["agency_responsible"]
    root = _xml(client.get(f"{BASE}/requests/{number}.xml").content)
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/status") == "open"

    listed = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in listed] == [number]
    by_id = client.get(f"{BASE}/requests.json", params={"service_request_id": f"{number},X-1"})
    assert [r["service_request_id"] for r in by_id.json()] == [number]
    assert client.get(f"{BASE}/requests.json", params={"status": "closed"}).json() == []
    assert client.get(f"{BASE}/requests.json", params={"service_code": "traffic"}).json() == []
    root = _xml(client.get(f"{BASE}/requests.xml", params={"status": "open"}).content)
    assert [r.findtext("service_request_id") for r in root.iterfind("request")] == [number]


def test_post_answers_in_xml(client: TestClient, key: str) -> None:
    root = _xml(_file(client, key, "xml").content)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id")
    assert root.findtext("request/token")


def _error(answer: Any, status: int, fmt: str = "json") -> str:
    assert answer.status_code == status, answer.text
    if fmt == "xml":
        root = _xml(answer.content)
        assert root.tag == "errors" and root.findtext("error/code") == str(status)
        return root.findtext("error/description") or ""
    body = answer.json()
    assert isinstance(body, list) and body[0]["code"] == status
    return str(body[0]["description"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_are_in_georeport_format_and_change_nothing(
    client: TestClient, db: Session, key: str, fmt: str
) -> None:
    before = _count(db)
    post = f"{BASE}/requests.{fmt}"
    assert "api_key" in _error(client.post(post, data=FORM), 403, fmt)
    assert "api_key" in _error(client.post(post, data={**FORM, "api_key": "ngr_x_y"}), 403, fmt)
    other = _key(db, ["canvass"], name="not-open311")
    db.commit()
    _error(client.post(post, data={**FORM, "api_key": other}), 403, fmt)
    bad = [
        {"service_code": ""},
        {"service_code": "no-such-service"},
        {"lat": "north"},
        {"long": ""},
        {"lat": "", "long": "", "address_string": ""},
        {"description": "short"},
        {"phone": "12345"},
        {"attribute[colour]": "red"},
        {"lat": "10.0", "long": "10.0"},  # outside India: the core refuses the place
    ]
    for change in bad:
        answer = client.post(post, data={**FORM, "api_key": key, **change})
        status = 404 if change.get("service_code") == "no-such-service" else 400
        _error(answer, status, fmt)
    assert _count(db) == before
    _error(client.get(f"{BASE}/requests/C-2026-999999.{fmt}"), 404, fmt)
    _error(client.get(f"{BASE}/tokens/nope.{fmt}"), 404, fmt)
    _error(client.get(f"{BASE}/services/nope.{fmt}"), 404, fmt)
    _error(client.get(f"{BASE}/requests.{fmt}", params={"status": "pending"}), 400, fmt)
    _error(client.get(f"{BASE}/requests.{fmt}", params={"start_date": "yesterday"}), 400, fmt)
    span = {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}
    _error(client.get(f"{BASE}/requests.{fmt}", params=span), 400, fmt)
    _error(client.get(f"{BASE}/requests.{fmt}", params={"api_key": "ngr_a_b"}), 403, fmt)
    _error(client.get(f"{BASE}/nothing-here.{fmt}"), 404, fmt)


def test_an_unknown_format_is_a_404_in_json(client: TestClient) -> None:
    answer = client.get(f"{BASE}/services.csv")
    assert answer.status_code == 404 and json.loads(answer.text)[0]["code"] == 404


def test_a_retired_category_is_no_service(client: TestClient, db: Session, key: str) -> None:
    retired = db.scalars(select(GrievanceCategory).where(GrievanceCategory.code == "theft")).one()
    retired.is_active = False
    db.commit()
    _error(client.post(f"{BASE}/requests.json", data={**FORM, "api_key": key}), 404, "json")
    _error(client.get(f"{BASE}/services/theft.json"), 404, "json")
    assert _count(db) == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_control_characters_are_refused_in_georeport_format(
    client: TestClient, db: Session, key: str, fmt: str
) -> None:
    before = _count(db)
    nul = {**FORM, "api_key": key, "description": FORM["description"] + "\x00"}
    assert "control character" in _error(client.post(f"{BASE}/requests.{fmt}", data=nul), 400, fmt)
    assert "web address" in _error(client.get(f"{BASE}/requests/%00.{fmt}"), 400, fmt)
    query = {"service_code": "theft\x00", "api_key": key}
    assert "query string" in _error(client.get(f"{BASE}/requests.{fmt}", params=query), 400, fmt)
    assert _count(db) == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_absurd_dates_are_a_400_not_a_server_error(client: TestClient, fmt: str) -> None:
    url = f"{BASE}/requests.{fmt}"
    for dates in (
        {"end_date": "0001-01-01"},
        {"start_date": "0001-01-01T00:00:00Z"},
        {"start_date": "9999-12-31"},
        {"end_date": "9999-12-31T23:59:59-23:59"},
        {"start_date": "10000-01-01"},
        {"start_date": "1999-12-31T23:00:00Z"},
    ):
        assert "2000 to 2099" in _error(client.get(url, params=dates), 400, fmt), dates
    backwards = {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}
    assert "after end_date" in _error(client.get(url, params=backwards), 400, fmt)
    for fine in (
        {"end_date": "2000-01-01"},
        {"start_date": "2099-12-31T23:59:59-23:59"},
        {"start_date": "2026-11-01T00:00:00+05:30"},
    ):
        assert client.get(url, params=fine).status_code == 200, fine


def _stream(total: int) -> Iterator[bytes]:
    for start in range(0, total, 16 * 1024):
        yield b"a" * min(16 * 1024, total - start)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_large_body_is_refused_unread_and_a_wrong_key_before_the_body(
    client: TestClient, db: Session, key: str, fmt: str
) -> None:
    url, form = f"{BASE}/requests.{fmt}", {"Content-Type": "application/x-www-form-urlencoded"}
    big = b"description=" + b"a" * open311.MAX_BODY
    assert "64 KB" in _error(client.post(url, content=big, headers=form), 413, fmt)
    streamed = client.post(url, content=_stream(open311.MAX_BODY + 1), headers=form)
    assert "content-length" not in streamed.request.headers
    _error(streamed, 413, fmt)
    wrong = {**form, "Authorization": "Bearer ngr_x_y"}
    assert "api_key" in _error(client.post(url, content=big, headers=wrong), 403, fmt)
    _error(client.post(url, params={"api_key": "ngr_x_y"}, content=big, headers=form), 403, fmt)
    # The key may come in the query string or as a Bearer token instead of in the form.
    assert client.post(url, params={"api_key": key}, data=FORM).status_code == 200
    bearer = {"Authorization": f"Bearer {key}"}
    assert client.post(url, data=FORM, headers=bearer).status_code == 200
    assert _count(db) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_form_parser_errors_and_unknown_fields_are_in_georeport_format(
    client: TestClient, db: Session, key: str, fmt: str
) -> None:
    url = f"{BASE}/requests.{fmt}"
    keyed = {**FORM, "api_key": key}
    no_boundary = {"Content-Type": "multipart/form-data"}
    assert "boundary" in _error(client.post(url, content=b"x", headers=no_boundary), 400, fmt)
    photo = {"media": ("p.jpg", b"\xff\xd8\xff", "image/jpeg")}
    assert "files" in _error(client.post(url, data=keyed, files=photo), 400, fmt)
    many = urlencode([*keyed.items(), *[("attribute[landmark]", "x")] * open311.MAX_FIELDS])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert "fields" in _error(client.post(url, content=many, headers=form), 400, fmt)
    unknown = {**keyed, "colour": "red"}
    assert "Unknown field: colour" in _error(client.post(url, data=unknown), 400, fmt)
    assert _count(db) == 0
