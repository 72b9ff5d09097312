"""The citizen's complaint pages over HTTP: the way in from the signed-in page, the
confirmation after filing, and a wrong number on the tracking form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, make_tree
from tests.accounts.test_otp import sign_in_citizen
from tests.grievances.factories import MOBILE, TEXT, make_complaint
from tests.grievances.test_web import _citizen_login as citizen_login


def test_the_signed_in_page_offers_filing_and_tracking(client: TestClient, db: Session) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, MOBILE)
    home = client.get("/citizen").text
    assert 'href="/citizen/complaints/new"' in home and "File a complaint" in home
    assert 'href="/citizen/complaints/track"' in home and "Track a complaint" in home
    assert 'href="/citizen/cameras/new"' in home  # beside the cameras


def test_the_filed_page_confirms_the_number_and_shows_what_was_given(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    db.commit()
    sign_in_citizen(client, db, MOBILE)
    token = csrf_from(client, "/citizen/complaints/new")
    form = {
        "category": "theft",
        "text": TEXT,
        "address": "Near the Hanuman temple, Kakadeo",
        "lat": "26.47",
        "lon": "80.27",
        "csrf_token": token,
    }
    photo = {"attachment": ("scooter.jpg", b"\xff\xd8\xff" + b"j" * 3000, "image/jpeg")}
    reply = client.post("/citizen/complaints", data=form, files=photo, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].endswith("?filed=1")
    page = client.get(reply.headers["location"]).text
    number = reply.headers["location"].split("/")[-1].split("?")[0]
    assert 'id="filed"' in page and "Your complaint is registered." in page
    assert f"Its number is {number}." in page
    assert "Near the Hanuman temple, Kakadeo" in page and "26.47000, 80.27000" in page
    assert "scooter.jpg" in page and "(3 KB)" in page
    # Later visits show what was given, without the confirmation.
    later = client.get(f"/citizen/complaints/{number}").text
    assert 'id="filed"' not in later and "scooter.jpg" in later


def test_a_wrong_number_on_the_tracking_form_is_said_on_the_form(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    complaint = make_complaint(db, settings)
    db.commit()
    citizen_login(client, db, MOBILE)  # the complaint's SMS is queued too
    reply = client.get("/citizen/complaints/track?number=knp-2026-999999")
    assert reply.status_code == 200
    assert "No complaint KNP-2026-999999 was filed from your mobile number." in reply.text
    assert 'value="KNP-2026-999999"' in reply.text and 'role="alert"' in reply.text
    found = client.get(
        f"/citizen/complaints/track?number={complaint.number.lower()}", follow_redirects=False
    )
    assert found.status_code == 303
    assert found.headers["location"] == f"/citizen/complaints/{complaint.number}"
