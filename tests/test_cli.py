"""The `nigrani` command end to end on a fresh database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from nigrani.core.db import make_engine
from nigrani.core.errors import PermissionDenied
from tests.conftest import invoke


def test_help_explains_every_command() -> None:
    result = invoke({}, "--help")
    assert result.exit_code == 0
    for name in ("serve", "demo", "db", "user", "import", "audit", "scheduler"):
        assert name in result.output
    assert "boundaries" in invoke({}, "import", "--help").output


def test_unsafe_settings_are_refused(tmp_path: Path) -> None:
    result = invoke({"NIGRANI_VAR_DIR": str(tmp_path)}, "db", "upgrade")
    assert result.exit_code == 2
    assert "NIGRANI_SECRET_KEY" in result.output


def test_demo_users_boundaries_and_audit(cli_env: dict[str, str], tmp_path: Path) -> None:
    demo = invoke(cli_env, "demo", "--no-serve")
    assert demo.exit_code == 0, demo.output
    for username in ("admin", "commissioner", "sho.kotwali", "io.colonelganj", "auditor"):
        assert username in demo.output
    created = invoke(
        cli_env,
        "user",
        "create",
        "sho.beconganj",
        "sho",
        "--node",
        "KNP-S-BECONGANJ",
        stdin="Ram Kumar\nlong enough password\nlong enough password\n",
    )
    assert created.exit_code == 0, created.output
    wrong = invoke(
        cli_env,
        "user",
        "create",
        "x.y",
        "sho",
        "--node",
        "KNP-Z-CEN",
        stdin="X\nlong enough password\nlong enough password\n",
    )
    assert wrong.exit_code == 1 and "attached only to: Police station" in wrong.output
    unknown = invoke(
        cli_env,
        "user",
        "create",
        "x.z",
        "superuser",
        "--node",
        "KNP",
        stdin="X\nlong enough password\nlong enough password\n",
    )
    assert unknown.exit_code == 1 and "Unknown role" in unknown.output
    geo = tmp_path / "posts.geojson"
    geo.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code": "KNP-P-NEW",
                            "name_en": "New Post",
                            "name_hi": "नई चौकी",
                            "parent": "KNP-S-KOTWALI",
                        },
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[80.35, 26.47], [80.351, 26.47], [80.351, 26.471], [80.35, 26.47]]
                            ],
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    imported = invoke(cli_env, "import", "boundaries", str(geo), "--level", "post")
    assert imported.exit_code == 0 and "1 new" in imported.output
    verified = invoke(cli_env, "audit", "verify")
    assert verified.exit_code == 0 and "intact" in verified.output


def test_audit_verify_names_the_broken_row(cli_env: dict[str, str]) -> None:
    assert invoke(cli_env, "demo", "--no-serve").exit_code == 0
    engine = make_engine(cli_env["NIGRANI_DATABASE_URL"])
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        conn.execute(text("UPDATE audit_log SET actor_label = 'nobody' WHERE id = 4"))
    engine.dispose()
    result = invoke(cli_env, "audit", "verify")
    assert result.exit_code == 1
    assert "broken" in result.output and "row 4" in result.output


def test_token_create_list_revoke(cli_env: dict[str, str]) -> None:
    from nigrani.core.audit import AuditEntry
    from nigrani.core.db import make_sessionmaker
    from nigrani.grievances.channels.open311 import service as open311_service

    assert invoke(cli_env, "demo", "--no-serve").exit_code == 0
    created = invoke(
        cli_env, "token", "create", "Kanpur 311 app", "--user", "admin", "--expires-days", "30"
    )
    assert created.exit_code == 0, created.output
    assert "cannot be shown again" in created.output
    secret = re.search(r"^(ngr_[0-9a-f]{8}_\S+)$", created.output, re.MULTILINE)
    number = re.search(r"Issued key #(\d+) \(open311\)", created.output)
    assert secret and number, created.output
    assert invoke(cli_env, "token", "create", "x", "--user", "nobody").exit_code == 1
    wrong = invoke(cli_env, "token", "create", "x", "--user", "admin", "--scope", "everything")
    assert wrong.exit_code == 1 and "Scopes must be among" in wrong.output

    listed = invoke({**cli_env, "COLUMNS": "160"}, "token", "list")  # one line per key
    assert listed.exit_code == 0 and "Kanpur 311 app" in listed.output
    assert "active" in listed.output and secret.group(1)[13:] not in listed.output
    engine = make_engine(cli_env["NIGRANI_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:
        assert open311_service.authorize(session, secret.group(1)).name == "Kanpur 311 app"

    assert (
        invoke(cli_env, "token", "revoke", number.group(1)).exit_code == 2
    )  # --reason is required
    revoked = invoke(cli_env, "token", "revoke", number.group(1), "--reason", "app retired")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    again = invoke(cli_env, "token", "revoke", number.group(1), "--reason", "again")
    assert again.exit_code == 1 and "already revoked" in again.output
    assert invoke(cli_env, "token", "revoke", "9999", "--reason", "x").exit_code == 1
    assert "revoked" in invoke(cli_env, "token", "list").output
    with make_sessionmaker(engine)() as session:
        with pytest.raises(PermissionDenied):
            open311_service.authorize(session, secret.group(1))
        actions = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "api_token")
        ).all()
    engine.dispose()
    assert [a.action for a in actions] == ["token.issue", "token.revoke"]
    assert all(a.actor_label.startswith("cli:") for a in actions)
    assert "app retired" in str(actions[1].detail)
    assert invoke(cli_env, "audit", "verify").exit_code == 0


def _queued_sms(database_url: str) -> list[str]:
    """The bodies of the SMS waiting in the outbox (the only place that keeps their links)."""
    from nigrani.core.outbox import OutboxJob

    engine = make_engine(database_url)
    with engine.connect() as conn:
        payloads = conn.scalars(select(OutboxJob.payload).where(OutboxJob.kind == "sms")).all()
    engine.dispose()
    return [json.loads(payload)["body"] for payload in payloads]


def test_demo_links_use_the_port_it_serves_on(cli_env: dict[str, str]) -> None:
    """`nigrani demo --port 8401` sends the shop owner a footage link on :8401, not :8000."""
    demo = invoke(cli_env, "demo", "--no-serve", "--port", "8401")
    assert demo.exit_code == 0, demo.output
    assert "http://127.0.0.1:8401/login" in demo.output
    bodies = _queued_sms(cli_env["NIGRANI_DATABASE_URL"])
    assert any("http://127.0.0.1:8401/f/" in body for body in bodies), bodies
    assert not [body for body in bodies if ":8000" in body]


@pytest.mark.parametrize(
    ("host", "given", "expected"),
    [
        ("127.0.0.1", None, "http://127.0.0.1:8401"),
        ("0.0.0.0", None, "http://127.0.0.1:8401"),  # noqa: S104 - what `--host` may be given
        ("::", None, "http://[::1]:8401"),
        ("nigrani.local", None, "http://nigrani.local:8401"),
        ("0.0.0.0", "https://nigrani.example.gov.in", "https://nigrani.example.gov.in"),  # noqa: S104
    ],
)
def test_open311_discovery_names_the_served_address_unless_one_is_set(
    database_url: str,
    engine: object,  # noqa: ARG001 - the schema
    sessions: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    given: str | None,
    expected: str,
) -> None:
    """`serve --host/--port` set the links' address; NIGRANI_PUBLIC_URL, when given, wins."""
    from fastapi.testclient import TestClient
    from rich.console import Console

    from nigrani.app import create_app
    from nigrani.core.commands import served_settings
    from nigrani.core.config import get_settings
    from tests.conftest import command_env

    extra = {"NIGRANI_PUBLIC_URL": given} if given else {}
    for name, value in command_env(database_url, tmp_path, **extra).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        settings = served_settings(Console(), host, 8401)
    finally:
        get_settings.cache_clear()
    app = create_app(settings)
    app.state.sessions = sessions
    with TestClient(app) as client:
        found = client.get("/open311/v2/discovery.json").json()
    assert found["contact"] == expected
    assert found["endpoints"][0]["url"] == f"{expected}/open311/v2"


def test_demo_says_loudly_under_the_sign_ins_when_live_video_is_off(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Something already listens on the cameras' RTSP port: the demo still serves, and a
    red panel right under the sign-in table says live video is off, and why."""
    import socket

    from nigrani import cli
    from nigrani.demo import live

    served: list[int] = []
    monkeypatch.setattr(cli, "_serve", lambda _s, _h, port, **_: served.append(port))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(live, "DEMO_RTSP_PORT", port)
        demo = invoke(cli_env, "demo", "--port", "8401")
    assert demo.exit_code == 0, demo.output
    assert served == [8401]
    table_end = demo.output.index("jurisdiction")
    banner = demo.output.index("LIVE STATION VIDEO IS OFF")
    assert table_end < banner < demo.output.index("Citizens:")
    assert f"Port {port}" in demo.output and "in use" in demo.output
    assert "Preparing demo footage" not in demo.output  # refused before minutes of encoding
