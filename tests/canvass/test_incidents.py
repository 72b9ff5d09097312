"""Incidents and the canvass through HTTP: the form, the API, jurisdiction, owner privacy."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.canvass import service as canvass_service
from nigrani.canvass.models import Incident
from nigrani.core.audit import AuditEntry
from nigrani.core.config import Settings
from nigrani.core.i18n import translate
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.cameras.factories import OWNER_MOBILE, OWNER_NAME, make_site
from tests.canvass.factories import PLACE, make_incident

FORM = {
    "kind": "chain_snatching",
    "description": "Gold chain snatched by two men on a motorcycle",
    "lat": str(PLACE["lat"]),
    "lon": str(PLACE["lon"]),
    "address": "Mall Road crossing",
    "window_start": "2026-11-30T18:00",
    "window_end": "2026-11-30T18:45",
    "fir_number": "FIR 456/2026",
}


def _post(client: TestClient, **changes: str) -> tuple[int, str, str]:
    token = csrf_from(client, "/incidents/new")
    reply = client.post(
        "/incidents", data={**FORM, **changes, "csrf_token": token}, follow_redirects=False
    )
    return reply.status_code, reply.headers.get("location", ""), reply.text


def _count(db: Session) -> int:
    return db.scalar(select(func.count(Incident.id))) or 0


def test_officer_records_an_incident_and_sees_the_canvass(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    site = make_site(db, settings)
    login(client, io.username or "")

    status, location, _ = _post(client)

    assert status == 303 and re.fullmatch(r"/incidents/\d+", location)
    incident = db.get(Incident, int(location.rsplit("/", 1)[1]))
    assert incident is not None
    assert incident.node_path == io.node.path if io.node else False
    # 18:00 IST is 12:30 UTC: the form's wall clock is the city's.
    assert incident.window_start.hour == 12 and incident.window_start.minute == 30
    page = client.get(location).text
    assert incident.number in page and "Gupta Sweets" in page
    assert f'id="site-{site.id}"' in page
    assert OWNER_NAME not in page and OWNER_MOBILE[3:] not in page
    assert client.get(f"{location}/print").status_code == 200
    assert db.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "incident.create")
    )


HINDI_WINDOW = translate("The time window must end after it starts.", "hi")


def test_bad_forms_say_why_and_store_nothing(client: TestClient, db: Session) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    login(client, io.username or "")
    cases = {
        "window_end": ("2026-11-30T17:00", "end after it starts"),
        "kind": ("murder-ish", "Unknown incident type"),
        "lat": ("not a number", "Pick the place"),
        "window_start": ("yesterday", "date and time"),
    }
    for field, (value, message) in cases.items():
        status, _, body = _post(client, **{field: value})
        assert status == 422, field
        assert message in body, field
    client.cookies.set("nigrani_lang", "hi")  # the refusal in the officer's language
    status, _, body = _post(client, window_end="2026-11-30T17:00")
    assert status == 422 and HINDI_WINDOW in body and "end after it starts" not in body
    client.cookies.set("nigrani_lang", "en")
    status, _, body = _post(client, lat="28.61", lon="77.21")  # Delhi
    assert status == 422 and "outside the commissionerate" in body
    status, _, body = _post(client, lat="26.55", lon="80.35")  # station S3, another zone
    assert status == 403
    assert _count(db) == 0


def test_other_zones_and_other_roles_cannot_see_the_incident(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    incident = make_incident(db, io)
    outsider = make_staff(db, Role.SHO, "S3")
    auditor = make_staff(db, Role.AUDITOR, "C")
    dcp = make_staff(db, Role.DCP, "Z1")

    login(client, outsider.username or "")
    for url in (f"/incidents/{incident.id}", f"/api/v1/incidents/{incident.id}/canvass"):
        assert client.get(url).status_code == 404, url
    assert incident.number not in client.get("/incidents").text

    client.cookies.clear()
    login(client, auditor.username or "")
    assert client.get(f"/incidents/{incident.id}").status_code == 403

    client.cookies.clear()
    login(client, dcp.username or "")  # the zone above sees it
    assert client.get(f"/incidents/{incident.id}").status_code == 200


def test_api_creates_and_canvasses(client: TestClient, db: Session, settings: Settings) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    site = make_site(db, settings)
    login(client, io.username or "")
    token = csrf_from(client, "/incidents/new")
    body = {
        "kind": "theft",
        "lat": PLACE["lat"],
        "lon": PLACE["lon"],
        "window_start": "2026-11-30T12:00:00Z",
        "window_end": "2026-11-30T13:00:00Z",
    }
    created = client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert created.json()["station_code"] == "S1"

    reply = client.get(f"/api/v1/incidents/{created.json()['id']}/canvass?radius_m=300")
    assert reply.status_code == 200
    hits = reply.json()["hits"]
    assert reply.json()["incident"] == number
    assert [h["site_id"] for h in hits] == [site.id]
    assert hits[0]["distance_m"] == 111.2
    assert hits[0]["owner_phone_masked"].endswith(OWNER_MOBILE[-2:])
    assert OWNER_MOBILE not in reply.text
    too_wide = client.get(f"/api/v1/incidents/{created.json()['id']}/canvass?radius_m=50000")
    assert too_wide.status_code == 422
    naive = client.post(
        "/api/v1/incidents",
        json={**body, "window_start": "2026-11-30T12:00:00"},
        headers={"X-CSRF-Token": token},
    )
    assert naive.status_code == 422


def test_the_officer_in_charge_may_canvass_and_covers_the_station(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    io = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    refused = [
        make_staff(db, Role.AUDITOR, "C", "auditor"),  # may not canvass
        make_staff(db, Role.STATION_STAFF, "S1", "desk"),  # may not canvass
        make_staff(db, Role.INVESTIGATING_OFFICER, "S2", "io-s2"),  # another station
        make_staff(db, Role.INVESTIGATING_OFFICER, "P1", "io-p1"),  # a post: not all of S1
    ]
    accepted = [make_staff(db, Role.SHO, "S1", "sho"), make_staff(db, Role.ACP, "C1", "acp")]
    db.commit()
    login(client, io.username or "")
    headers = {"X-CSRF-Token": csrf_from(client, "/incidents/new")}
    body = {"kind": "theft", **PLACE}
    body |= {"window_start": "2026-11-30T12:00:00Z", "window_end": "2026-11-30T13:00:00Z"}
    for officer in refused:
        reply = client.post(
            "/api/v1/incidents", json={**body, "officer_id": officer.id}, headers=headers
        )
        assert reply.status_code == 422 and reply.json()["error"]["field"] == "officer_id"
    assert _count(db) == 0
    for officer in accepted:
        reply = client.post(
            "/api/v1/incidents", json={**body, "officer_id": officer.id}, headers=headers
        )
        assert reply.status_code == 201 and reply.json()["officer_id"] == officer.id


def test_an_incident_is_found_by_number_only_inside_the_jurisdiction(db: Session) -> None:
    nodes = make_tree(db)
    incident = make_incident(db, make_staff(db, Role.INVESTIGATING_OFFICER, "S1"))

    def found(code: str, number: str = incident.number) -> Incident | None:
        return canvass_service.incident_by_number(db, number=number, scope_path=nodes[code].path)

    assert found("S1") is incident and found("C1") is incident
    assert found("C", f"  {incident.number} ") is incident
    assert found("S2") is None and found("Z2") is None
    assert found("S1", "INC-NOPE") is None
