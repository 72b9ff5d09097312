"""The start-up check: an http backend that could not send every template is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import command_env, invoke, make_settings
from tests.core import fake_sms
from tests.core.fake_sms import API_KEY, FakeGateway


def _settings(tmp_path: Path, text: str, **overrides: object) -> None:
    path = tmp_path / "sms.toml"
    path.write_text(text, encoding="utf-8")
    values: dict[str, object] = {
        "sms_backend": "http",
        "sms_config_file": path,
        "sms_api_key": API_KEY,
    }
    values.update(overrides)
    make_settings("sqlite://", tmp_path, **values)


def test_a_complete_file_is_accepted(tmp_path: Path) -> None:
    _settings(tmp_path, fake_sms.profile_toml("https://sms.example.in/send"))


def test_missing_dlt_ids_are_named(tmp_path: Path) -> None:
    text = fake_sms.profile_toml("https://x.in/send", skip=("otp.hi", "footage.reminder"))
    with pytest.raises(ValueError, match=r"no DLT template id.*: footage\.reminder, otp\.hi "):
        _settings(tmp_path, text)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sms_config_file": None}, "needs NIGRANI_SMS_CONFIG_FILE"),
        ({"sms_api_key": ""}, "needs NIGRANI_SMS_API_KEY"),
        ({"sms_webhook_secret": "short"}, "24\\+ random characters"),
        ({"sms_config_file": Path("/nonexistent/sms.toml")}, "No such file"),
    ],
)
def test_incomplete_settings_are_refused(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _settings(tmp_path, fake_sms.profile_toml("https://x.in/send"), **change)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dlt\n", "is not TOML"),
        ('[dlt.templates]\n"otp.xx" = "1"\n', "dlt.entity_id: Field required"),
        ("[gateway]\nurl = 'ftp://x'\n", "gateway.url"),
    ],
)
def test_a_bad_file_is_refused_with_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _settings(tmp_path, text)


def test_an_unknown_template_or_field_is_refused(tmp_path: Path) -> None:
    good = fake_sms.profile_toml("https://x.in/send")
    with pytest.raises(ValueError, match=r"no such SMS template: otp\.fr"):
        _settings(tmp_path, good.replace('"otp.en"', '"otp.fr"'))
    with pytest.raises(ValueError, match="unknown fields"):
        _settings(tmp_path, good.replace('"ref" = "ref"', '"reference" = "ref"'))


def test_log_stays_the_default_and_needs_nothing(tmp_path: Path) -> None:
    assert make_settings("sqlite://", tmp_path).sms_backend == "log"


def test_every_command_refuses_to_start_and_names_the_missing(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    path = tmp_path / "sms.toml"
    path.write_text(fake_sms.profile_toml(gateway.url, skip=("otp.en",)), encoding="utf-8")
    env = command_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        tmp_path / "var",
        NIGRANI_SMS_BACKEND="http",
        NIGRANI_SMS_CONFIG_FILE=str(path),
        NIGRANI_SMS_API_KEY=API_KEY,
    )
    result = invoke(env, "db", "upgrade")
    listing = invoke(env, "sms", "templates", "--file", str(path))
    assert result.exit_code == 2 and "otp.en" in result.output
    assert API_KEY[-12:] not in result.output  # not even the tail pydantic's text shows
    assert listing.exit_code == 0, listing.output  # what to register, while ids are missing
    assert "otp.en  (Text, DLT id: MISSING)" in listing.output
    assert f"otp.hi  (Unicode, DLT id: {fake_sms.dlt_ids()['otp.hi']})" in listing.output
    assert "{#var#}" in listing.output
