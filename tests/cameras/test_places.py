"""Place search reads the configured gazetteer: a city's own CSV or GeoJSON of localities, or
the post offices of the configured district; a bad one stops the start."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from nigrani.app import create_app
from nigrani.core.config import Settings
from nigrani.core.gazetteer import GazetteerError, localities, read_localities
from tests.accounts.test_otp import sign_in_citizen
from tests.conftest import invoke, make_settings


def names(client: TestClient, q: str) -> list[str]:
    page = client.get("/citizen/places", params={"q": q}).text
    return re.findall(r'data-name="([^"]+)"', page)


def citizen_client(settings: Settings, sessions: sessionmaker[Session]) -> TestClient:
    app = create_app(settings)
    app.state.sessions = sessions
    return TestClient(app)


def test_a_city_file_replaces_the_district(
    settings: Settings, sessions: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    csv_file = tmp_path / "localities.csv"
    csv_file.write_text(
        "name,lat,lon\nHazratganj,26.8500,80.9462\nHazratpur,26.9,80.9\nAminabad,26.846,80.93\n",
        encoding="utf-8",
    )
    own = make_settings(settings.db_url, tmp_path, gazetteer_file=csv_file)
    with citizen_client(own, sessions) as client:
        sign_in_citizen(client, db, "9876543210")
        assert names(client, "hazrat") == ["Hazratganj", "Hazratpur"]
        assert names(client, "kaly") == []  # Kanpur's Kalyanpur is not in this city's file
        assert (
            'data-lat="26.85" data-lon="80.9462"'
            in client.get("/citizen/places", params={"q": "ganj"}).text
        )


def test_geojson_points_are_read(tmp_path: Path) -> None:
    geo = tmp_path / "places.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": "Civil Lines"},
        "geometry": {"type": "Point", "coordinates": [81.84, 25.45]},
    }
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    [place] = read_localities(geo)
    assert (place.name, place.lat, place.lon) == ("Civil Lines", 25.45, 81.84)


def test_another_district_offers_its_own_post_offices(
    settings: Settings, sessions: sessionmaker[Session], db: Session, tmp_path: Path
) -> None:
    lucknow = make_settings(settings.db_url, tmp_path, gazetteer_district="LUCKNOW")
    with citizen_client(lucknow, sessions) as client:
        sign_in_citizen(client, db, "9876543210")
        assert "Lalbagh" in names(client, "lalb")  # "Lalbagh SO" without the office kind
        assert names(client, "armapore") == []  # a Kanpur office
    every = localities("LUCKNOW")
    assert all(26.0 < p.lat < 27.5 and 80.3 < p.lon < 81.5 for p in every)  # no strays


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,lat,lon\nHazratganj,north,80.9\n", "line 2: needs a name, lat and lon"),
        ("name,lat,lon\nHazratganj,126.8,80.9\n", "line 2: needs a name and coordinates"),
        ("place,latitude\nHazratganj,26.8\n", "line 2: needs a name, lat and lon"),
        ("name,lat,lon\n", "holds no localities"),
    ],
)
def test_a_bad_city_file_stops_the_start(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        make_settings("sqlite://", tmp_path, gazetteer_file=bad)


def test_a_bad_geojson_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"bad\.geojson: not a FeatureCollection"):
        read_localities(bad)


def test_an_unknown_district_stops_the_command(cli_env: dict[str, str]) -> None:
    result = invoke(cli_env | {"NIGRANI_GAZETTEER_DISTRICT": "KANPOOR"}, "db", "upgrade")
    assert result.exit_code == 2, result.output
    assert "Configuration refused" in result.output
    assert "district 'KANPOOR'" in result.output and "holds no localities" in result.output
