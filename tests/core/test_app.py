"""The shell: health, metrics, API docs, language choice, IST, errors, settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from nigrani.core import i18n
from nigrani.core.config import Settings
from nigrani.core.phones import mask_mobile, normalize_mobile
from nigrani.core.security import FieldCipher, generate_key


def test_health_metrics_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.get("/login")
    metrics = client.get("/metrics").text
    assert 'nigrani_http_requests_total{method="GET",route="/login",status="200"}' in metrics
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/jurisdiction/locate" in schema["paths"]


def test_every_page_has_an_icon(client: TestClient) -> None:
    """Browsers ask for /favicon.ico on every page: an icon, not a 404 in every log; the
    pages also link the drawn SVG."""
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon"
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age" in ico.headers["cache-control"]
    page = client.get("/login").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


def test_language_follows_link_then_cookie_then_browser(client: TestClient) -> None:
    assert client.get("/login").headers["content-language"] == "en"
    hindi = client.get("/login", headers={"Accept-Language": "hi-IN,hi;q=0.9"})
    assert hindi.headers["content-language"] == "hi" and '<html lang="hi">' in hindi.text
    chosen = client.get("/login?lang=hi")
    assert client.cookies.get("nigrani_lang") == "hi" and chosen.status_code == 200
    assert (
        client.get("/login", headers={"Accept-Language": "en"}).headers["content-language"] == "hi"
    )
    assert client.get("/login?lang=fr").headers["content-language"] == "hi"


def test_pages_mint_a_csrf_cookie_and_machine_endpoints_do_not(client: TestClient) -> None:
    page = client.get("/login")
    assert "nigrani_csrf=" in page.headers.get("set-cookie", "")
    for path in ("/open311/v2/discovery.json", "/open311/v2/services.json"):
        api = TestClient(client.app).get(path, headers={"Accept-Language": "hi"})
        assert api.status_code == 200 and "set-cookie" not in api.headers, path
        assert api.headers["content-language"] == "hi"


def test_times_show_in_ist() -> None:
    moment = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    token = i18n.current_language.set("en")
    try:
        assert i18n.format_ist(moment) == "24 Nov 2026, 12:00 IST"
        i18n.current_language.set("hi")
        assert i18n.format_ist(moment).endswith("12:00 IST")
        assert "नव॰" in i18n.format_ist(moment) or "नवं" in i18n.format_ist(moment)
    finally:
        i18n.current_language.reset(token)


def test_json_errors_have_one_shape(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    missing = client.get("/nowhere", headers={"Accept": "application/json"})
    assert missing.status_code == 404


def test_settings_refuse_default_secrets_outside_demo() -> None:
    with pytest.raises(ValidationError, match="NIGRANI_SECRET_KEY"):
        Settings(demo=False)
    with pytest.raises(ValidationError, match="NIGRANI_ENCRYPTION_KEY"):
        Settings(demo=False, secret_key="x" * 40)
    with pytest.raises(ValidationError, match="default_language"):
        Settings(demo=True, default_language="fr")
    ok = Settings(demo=False, secret_key="x" * 40, encryption_key=generate_key())
    assert ok.db_url.startswith("sqlite:///") and ok.timezone == "Asia/Kolkata"
    assert Settings(demo=True).demo


def test_key_rotation_keeps_old_values_readable() -> None:
    old, new = generate_key(), generate_key()
    token = FieldCipher(old).encrypt("+919876543210")
    rotated = FieldCipher(f"{new},{old}")
    assert rotated.decrypt(token) == "+919876543210"
    assert FieldCipher(new).decrypt(rotated.rotate(token)) == "+919876543210"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        FieldCipher(new).decrypt(token)


def test_mobile_numbers() -> None:
    assert normalize_mobile("098765 43210") == "+919876543210"
    assert normalize_mobile("+91-98765-43210") == "+919876543210"
    assert mask_mobile("+919876543210") == "+91 ********10"
