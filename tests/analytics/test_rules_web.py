"""The station analytics rules page over HTTP: who may see and change it, inside whose
charge, what it stores (only what differs from the defaults, and for a zone only what
differs from the station), audits and refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Role
from nigrani.analytics import rule_settings
from nigrani.analytics.models import AnalyticsRuleOverride
from nigrani.core import audit
from nigrani.core.config import Settings
from tests.accounts.factories import csrf_from, login, make_staff, make_tree
from tests.conftest import Freeze
from tests.stations.station_fixtures import make_camera

NOW = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_now(freeze: Freeze) -> None:
    freeze(NOW)


@pytest.fixture()
def tree(db: Session) -> dict[str, JurisdictionNode]:
    return make_tree(db)


def _sign_in(client: TestClient, db: Session, role: Role, node: str) -> None:
    user = make_staff(db, role, node)
    db.commit()
    assert login(client, user.username or "").status_code == 303


def _form(**changes: str | None) -> dict[str, str]:
    """The form as the page fills it with the defaults, with some values changed (None: a
    checkbox left unticked)."""
    values: dict[str, str | None] = {
        "crowd_waiting.enabled": "on",
        "crowd_waiting.min_people": "5",
        "crowd_waiting.for_s": "600",
        "long_wait.enabled": "on",
        "long_wait.for_s": "1200",
        "desk_unattended.enabled": "on",
        "desk_unattended.duty_start": "08:00",
        "desk_unattended.duty_end": "20:00",
        "desk_unattended.for_s": "900",
        "phone_in_hand.for_s": "60",
        "raised_voice.enabled": "on",
        "raised_voice.over_db": "12",
        "raised_voice.for_s": "3",
        "camera_tamper.enabled": "on",
        "camera_tamper.for_s": "60",
    }
    values |= {k.replace("__", "."): v for k, v in changes.items()}
    return {k: v for k, v in values.items() if v is not None}


def _save(client: TestClient, station: int, form: dict[str, str]) -> int:
    token = csrf_from(client, f"/analytics/rules?station={station}")
    response = client.post(
        f"/analytics/rules?station={station}",
        data=form | {"csrf_token": token},
        follow_redirects=False,
    )
    return int(response.status_code)


def _stored(db: Session, station: JurisdictionNode) -> dict[str, object]:
    db.expire_all()
    return rule_settings.stored(db, station_id=station.id)


def test_the_sho_sees_the_defaults_for_the_own_station(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    _sign_in(client, db, Role.SHO, "S1")
    page = client.get("/analytics/rules?lang=en")
    assert page.status_code == 200
    text = page.text
    assert "S1 en" in text and 'id="rules-form"' in text
    assert '<a href="/analytics/rules">' in text  # the menu offers it to those who may change
    assert 'name="crowd_waiting.min_people" type="number" required\n          value="5"' in text
    phone = text.split('id="rule-phone_in_hand"')[1].split("</fieldset>")[0]
    assert 'name="phone_in_hand.enabled">' in phone  # unticked: off by default
    assert 'id="precision-phone_in_hand"' in phone and "Precision not measured" in phone
    assert 'value="S2"' not in text and f'value="{tree["S2"].id}"' not in text
    hindi = client.get("/analytics/rules?lang=hi").text
    assert "एनालिटिक्स नियम" in hindi and "सटीकता" in hindi


def test_saving_stores_only_what_differs_keeps_zones_and_is_audited(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    s1 = tree["S1"]
    zones = {"hall": {"crowd_waiting": {"for_s": 120}}}
    db.add(
        AnalyticsRuleOverride(
            station_id=s1.id, rules_json=json.dumps({"zones": zones}), updated_at=NOW
        )
    )
    _sign_in(client, db, Role.SHO, "S1")
    form = _form(
        crowd_waiting__min_people="3",
        phone_in_hand__enabled="on",
        raised_voice__enabled=None,
        desk_unattended__duty_start="20:00",
        desk_unattended__duty_end="08:00",
    )
    assert _save(client, s1.id, form) == 303
    assert _stored(db, s1) == {
        "station": {
            "crowd_waiting": {"min_people": 3},
            "desk_unattended": {"duty_start": "20:00", "duty_end": "08:00"},
            "phone_in_hand": {"enabled": True},
            "raised_voice": {"enabled": False},
        },
        "zones": zones,
    }
    rules = rule_settings.rule_set(db, station_id=s1.id)
    assert rules.for_zone("hall").crowd_waiting.min_people == 3
    assert rules.for_zone("hall").crowd_waiting.for_s == 120
    [row] = audit.entries_for(db, object_type="jurisdiction_node", object_id=str(s1.id))
    assert (row.action, row.actor_label) == ("analytics.rules", "sho-s1")
    assert json.loads(row.detail)["after"]["crowd_waiting"] == {"min_people": 3}
    page = client.get(f"/analytics/rules?station={s1.id}&saved=1&lang=en").text
    assert 'id="rules-saved"' in page and 'value="3"' in page
    # back to the defaults: nothing of the station's own is left
    assert _save(client, s1.id, _form()) == 303
    assert _stored(db, s1)["station"] == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"crowd_waiting__min_people": "0"}, "crowd_waiting.min_people"),
        ({"crowd_waiting__min_people": "101"}, "crowd_waiting.min_people"),
        ({"long_wait__for_s": "abc"}, "long_wait.for_s"),
        ({"camera_tamper__for_s": "28801"}, "camera_tamper.for_s"),
        ({"raised_voice__over_db": "2.5"}, "raised_voice.over_db"),
        ({"desk_unattended__duty_end": "25:00"}, "desk_unattended.duty_end"),
        ({"desk_unattended__duty_start": ""}, "desk_unattended.duty_start"),
        ({"long_wait__for_s": "1" * 41}, "A value is too long."),
    ],
)
def test_bad_values_are_refused_with_a_422_saying_which(
    client: TestClient,
    db: Session,
    tree: dict[str, JurisdictionNode],
    change: dict[str, str],
    message: str,
) -> None:
    s1 = tree["S1"]
    _sign_in(client, db, Role.SHO, "S1")
    token = csrf_from(client, f"/analytics/rules?station={s1.id}")
    response = client.post(
        f"/analytics/rules?station={s1.id}&lang=en",
        data=_form(**change) | {"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'id="rules-error"' in response.text and message in response.text
    assert _stored(db, s1) == {"station": {}, "zones": {}}
    assert audit.entries_for(db, object_type="jurisdiction_node", object_id=str(s1.id)) == []


def test_a_station_that_is_not_a_number_is_a_422(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    _sign_in(client, db, Role.SHO, "S1")
    assert client.get("/analytics/rules?station=S1").status_code == 422
    assert tree


@pytest.mark.parametrize(("role", "node"), [(Role.ACP, "C1"), (Role.DCP, "Z1")])
def test_officers_above_change_stations_in_their_charge_only(
    client: TestClient,
    db: Session,
    tree: dict[str, JurisdictionNode],
    role: Role,
    node: str,
) -> None:
    _sign_in(client, db, role, node)
    picker = client.get("/analytics/rules").text
    assert f'value="{tree["S2"].id}"' in picker and f'value="{tree["S3"].id}"' not in picker
    assert _save(client, tree["S2"].id, _form(long_wait__for_s="900")) == 303
    assert _stored(db, tree["S2"])["station"] == {"long_wait": {"for_s": 900.0}}
    assert client.get(f"/analytics/rules?station={tree['S3'].id}").status_code == 404
    assert client.get(f"/analytics/rules?station={tree['P1'].id}").status_code == 404


def test_the_sho_cannot_reach_another_station(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    _sign_in(client, db, Role.SHO, "S1")
    token = csrf_from(client, "/analytics/rules")
    response = client.post(
        f"/analytics/rules?station={tree['S2'].id}",
        data=_form(long_wait__for_s="900") | {"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert _stored(db, tree["S2"]) == {"station": {}, "zones": {}}


def test_the_control_room_sees_the_rules_but_may_not_change_them(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    _sign_in(client, db, Role.CONTROL_ROOM, "C")
    page = client.get(f"/analytics/rules?station={tree['S1'].id}").text
    assert "<fieldset disabled>" in page and "Save the station" not in page
    assert '<a href="/analytics/rules">' not in page
    assert _save(client, tree["S1"].id, _form(long_wait__for_s="900")) == 403
    assert _stored(db, tree["S1"]) == {"station": {}, "zones": {}}


def test_roles_without_station_cctv_are_refused_the_page(
    client: TestClient, db: Session, tree: dict[str, JurisdictionNode]
) -> None:
    _sign_in(client, db, Role.STATION_STAFF, "S1")
    assert client.get(f"/analytics/rules?station={tree['S1'].id}").status_code == 403


SQUARE = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)]


def _zoned(db: Session, settings: Settings) -> None:
    """A camera of S1 with a waiting hall and a desk drawn on it."""
    zones = [
        {"name": "Hall & porch", "points": SQUARE, "kind": "waiting"},
        {"name": "Desk 1", "points": SQUARE, "kind": "desk"},
    ]
    make_camera(db, settings, name="Hall", zones=zones)
    db.commit()


def _zone_form(**changes: str | None) -> dict[str, str]:
    """The hall's form as the page fills it (the station's values: the defaults)."""
    values: dict[str, str | None] = {
        "crowd_waiting.enabled": "on",
        "crowd_waiting.min_people": "5",
        "crowd_waiting.for_s": "600",
        "long_wait.enabled": "on",
        "long_wait.for_s": "1200",
        "action": "save",
    }
    values |= {k.replace("__", "."): v for k, v in changes.items()}
    return {k: v for k, v in values.items() if v is not None}


def _save_zone(
    client: TestClient, station: int, zone: str, form: dict[str, str]
) -> tuple[int, str]:
    token = csrf_from(client, f"/analytics/rules?station={station}")
    response = client.post(
        "/analytics/rules/zones",
        params={"station": station, "zone": zone, "lang": "en"},
        data=form | {"csrf_token": token},
        follow_redirects=False,
    )
    return int(response.status_code), response.text


def test_a_zone_keeps_only_what_differs_from_the_station_and_is_audited(
    client: TestClient, db: Session, settings: Settings, tree: dict[str, JurisdictionNode]
) -> None:
    s1 = tree["S1"]
    _zoned(db, settings)
    _sign_in(client, db, Role.SHO, "S1")
    page = client.get(f"/analytics/rules?station={s1.id}&lang=en").text
    assert 'data-zone="Hall &amp; porch"' in page and 'data-zone="Desk 1"' in page
    hall = page.split('data-zone="Hall &amp; porch"')[1].split("</form>")[0]
    assert 'name="crowd_waiting.min_people"' in hall and "desk_unattended" not in hall
    desk = page.split('data-zone="Desk 1"')[1].split("</form>")[0]
    assert 'name="desk_unattended.duty_start"' in desk and "crowd_waiting" not in desk

    status, _ = _save_zone(client, s1.id, "Hall & porch", _zone_form(crowd_waiting__min_people="3"))
    assert status == 303
    assert _stored(db, s1) == {
        "station": {},
        "zones": {"Hall & porch": {"crowd_waiting": {"min_people": 3}}},
    }
    rules = rule_settings.rule_set(db, station_id=s1.id)
    assert rules.for_zone("Hall & porch").crowd_waiting.min_people == 3
    assert rules.for_zone("Desk 1").crowd_waiting.min_people == 5
    [row] = audit.entries_for(db, object_type="jurisdiction_node", object_id=str(s1.id))
    assert (row.action, row.actor_label) == ("analytics.rules.zone", "sho-s1")
    assert json.loads(row.detail) == {
        "zone": "Hall & porch",
        "before": {},
        "after": {"crowd_waiting": {"min_people": 3}},
    }
    shown = client.get(f"/analytics/rules?station={s1.id}&zone_saved=Hall+%26+porch&lang=en").text
    hall = shown.split('data-zone="Hall &amp; porch"')[1].split("</form>")[0]
    assert "Saved for this zone." in hall and "this zone's own" in hall
    assert 'value="reset"' in hall  # it has its own values, so it may go back

    # the station changes its own value later: the zone keeps its own, the rest follows
    assert _save(client, s1.id, _form(long_wait__for_s="900")) == 303
    assert (
        rule_settings.rule_set(db, station_id=s1.id).for_zone("Hall & porch").long_wait.for_s == 900
    )
    # back to the station's values
    status, _ = _save_zone(client, s1.id, "Hall & porch", {"action": "reset"})
    assert status == 303
    assert _stored(db, s1)["zones"] == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"crowd_waiting__min_people": "0"}, "crowd_waiting.min_people"),
        ({"long_wait__for_s": "soon"}, "long_wait.for_s"),
        ({"crowd_waiting__for_s": "9" * 41}, "A value is too long."),
    ],
)
def test_bad_zone_values_are_refused_beside_the_zone_and_change_nothing(
    client: TestClient,
    db: Session,
    settings: Settings,
    tree: dict[str, JurisdictionNode],
    change: dict[str, str],
    message: str,
) -> None:
    s1 = tree["S1"]
    _zoned(db, settings)
    _sign_in(client, db, Role.SHO, "S1")
    status, text = _save_zone(client, s1.id, "Hall & porch", _zone_form(**change))
    assert status == 422
    hall = text.split('data-zone="Hall &amp; porch"')[1].split("</form>")[0]
    assert "zone-error" in hall and message in hall
    assert _stored(db, s1) == {"station": {}, "zones": {}}
    assert audit.entries_for(db, object_type="jurisdiction_node", object_id=str(s1.id)) == []


def test_a_zone_no_camera_has_or_another_stations_or_a_watchers_change_is_refused(
    client: TestClient, db: Session, settings: Settings, tree: dict[str, JurisdictionNode]
) -> None:
    s1, s2 = tree["S1"], tree["S2"]
    _zoned(db, settings)
    _sign_in(client, db, Role.SHO, "S1")
    assert _save_zone(client, s1.id, "Roof", _zone_form())[0] == 404
    assert _save_zone(client, s2.id, "Hall & porch", _zone_form())[0] == 404
    assert _save_zone(client, s1.id, "x" * 61, _zone_form())[0] == 422
    client.cookies.clear()
    _sign_in(client, db, Role.CONTROL_ROOM, "C")
    page = client.get(f"/analytics/rules?station={s1.id}&lang=en").text
    assert "Save this zone" not in page and 'data-zone="Desk 1"' in page
    low = _zone_form(crowd_waiting__min_people="2")
    assert _save_zone(client, s1.id, "Hall & porch", low)[0] == 403
    for node in (s1, s2):
        assert _stored(db, node) == {"station": {}, "zones": {}}
    assert audit.entries_for(db, object_type="jurisdiction_node", object_id=str(s1.id)) == []
