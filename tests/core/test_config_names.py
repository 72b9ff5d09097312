"""A misspelt NIGRANI_* variable, or an unknown .env key, stops every start with a message
that names it and the setting it was probably meant to be."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from nigrani.app import create_app
from nigrani.cli import app as cli
from nigrani.core.config import NOT_SETTINGS, Settings, UnknownSettingError, get_settings
from tests.conftest import make_settings


def test_a_misspelt_variable_is_refused_with_the_right_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NIGRANI_SECRT_KEY", "s" * 40)
    with pytest.raises(UnknownSettingError, match=r"NIGRANI_SECRT_KEY .*NIGRANI_SECRET_KEY\?"):
        make_settings("sqlite://", tmp_path)
    monkeypatch.delenv("NIGRANI_SECRT_KEY")
    monkeypatch.setenv("nigrani_otp_ttl", "60")  # read without case, so refused without case
    with pytest.raises(UnknownSettingError, match=r"nigrani_otp_ttl .*NIGRANI_OTP_TTL_SECONDS"):
        make_settings("sqlite://", tmp_path)


def test_a_name_like_no_setting_gets_no_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIGRANI_FOO", "1")
    with pytest.raises(UnknownSettingError) as refused:
        Settings(demo=True)
    assert str(refused.value) == (
        "environment variable NIGRANI_FOO is not a setting (docs/configuration.md lists them)"
    )


def test_the_test_and_benchmark_variables_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"NIGRANI_TEST_DATABASE_URL", "NIGRANI_SCREENSHOTS"} <= NOT_SETTINGS
    for name in NOT_SETTINGS:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("OTHER_SECRT_KEY", "x")  # outside the prefix: not ours
    assert Settings(demo=True).demo


def test_every_unknown_dotenv_key_is_refused(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("NIGRANI_DEMO=1\nNIGRANI_TIMEZON=UTC\nSECRET_KEY=x\n", encoding="utf-8")
    with pytest.raises(UnknownSettingError) as refused:
        Settings(_env_file=dotenv)
    assert str(refused.value) == (
        ".env key NIGRANI_TIMEZON is not a setting (did you mean NIGRANI_TIMEZONE?); "
        ".env key SECRET_KEY is not a setting (did you mean NIGRANI_SECRET_KEY?)"
    )
    dotenv.write_text("NIGRANI_DEMO=1\nNIGRANI_TIMEZONE=UTC\n", encoding="utf-8")
    assert Settings(_env_file=dotenv).timezone == "UTC"


def test_an_unknown_keyword_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="secrt_key"):
        Settings(demo=True, secrt_key="x")  # type: ignore[call-arg]


def test_no_app_is_built_from_a_misspelt_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with TestClient(create_app(make_settings(url, tmp_path))) as client:
        assert client.get("/healthz").status_code == 200
    monkeypatch.setenv("NIGRANI_COOKIE_SECUR", "0")
    get_settings.cache_clear()
    try:
        with pytest.raises(UnknownSettingError, match="NIGRANI_COOKIE_SECURE"):
            create_app(get_settings())
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("command", [["serve"], ["demo", "--no-serve"], ["db", "upgrade"]])
def test_commands_exit_2_naming_the_variable(command: list[str], tmp_path: Path) -> None:
    # No keys either: the name is checked first, so a `serve` that misses it cannot hang.
    env = {
        "NIGRANI_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "NIGRANI_DEFAULT_LANGAUGE": "en",
    }
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, command, env={"COLUMNS": "200", **env})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert result.output == (
        "Configuration refused: environment variable NIGRANI_DEFAULT_LANGAUGE is not a "
        "setting (did you mean NIGRANI_DEFAULT_LANGUAGE?)\n"
    )


def test_make_demo_shows_the_message_not_a_traceback(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "nigrani", "demo", "--no-serve"]
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NIGRANI_VAR_DIIR": str(tmp_path)}
    done = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert "NIGRANI_VAR_DIIR is not a setting (did you mean NIGRANI_VAR_DIR?)" in done.stdout
    assert not (tmp_path / "var").exists()  # stopped before anything was made
