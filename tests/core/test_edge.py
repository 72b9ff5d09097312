"""The HTTP edge: control characters refused once for every text that comes in (path, query,
forms, JSON), file bytes left alone, and one body-size limit by Content-Length or stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from nigrani.accounts import service as accounts
from nigrani.accounts.roles import Role
from nigrani.canvass.models import Incident
from nigrani.core import audit, edge
from nigrani.core.config import Settings
from nigrani.grievances.models import Complaint, ComplaintAttachment
from tests.accounts.factories import box, csrf_from, login, make_staff, make_tree
from tests.accounts.test_jurisdiction import collection, feature
from tests.grievances.test_web import _citizen_login

MiB = 1024 * 1024
INCIDENT = {
    "kind": "theft",
    "description": "Mobile phone snatched near the market",
    "lat": 26.45,
    "lon": 80.25,
    "address": "Mall Road crossing",
    "window_start": "2026-11-30T10:00:00+05:30",
    "window_end": "2026-11-30T11:00:00+05:30",
}


def _count(db: Session, model: type[Complaint] | type[Incident]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _bearer(
    db: Session, scopes: list[str], role: Role = Role.SHO, node: str = "S1"
) -> dict[str, str]:
    make_tree(db)
    user = make_staff(db, role, node)
    issued = accounts.issue_token(db, user=user, name="edge", scopes=scopes, actor=audit.SYSTEM)
    db.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def _refused(answer: object, status: int = 422) -> dict[str, str]:
    assert getattr(answer, "status_code", None) == status, getattr(answer, "text", "")
    error: dict[str, str] = answer.json()["error"]  # type: ignore[attr-defined]
    return error


def test_control_characters_in_path_or_query_are_refused_everywhere(client: TestClient) -> None:
    json_only = {"Accept": "application/json"}
    error = _refused(client.get("/api/v1/me", params={"q": "a\x00b"}))
    assert error["code"] == "invalid" and "query string" in error["message"]
    assert "Remove it" in error["message"]
    _refused(client.get("/api/v1/jurisdiction/locate?lat=%0126"))
    _refused(client.get("/api/v1/users/%00", headers=json_only))
    page = client.get("/static/%00nigrani.css")
    assert page.status_code == 422 and "web address" in page.text
    escape = client.get("/login", params={"next": "/\x1b"})
    assert escape.status_code == 422 and "<html" in escape.text
    # Tab, line feed and carriage return are text.
    assert client.get("/login", params={"next": "/grievances\t\r\n"}).status_code == 200


def test_nul_in_a_staff_form_is_refused_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    login(client, make_staff(db, Role.STATION_STAFF, "S1").username or "")
    form = {
        "category": "theft",
        "text": "My bicycle was stolen\x00 from the market.",
        "mobile": "98765 43210",
        "station_code": "S1",
        "csrf_token": csrf_from(client, "/grievances/walk-in"),
    }
    before = _count(db, Complaint)
    answer = client.post("/grievances/walk-in", data=form)
    assert answer.status_code == 422 and "control character" in answer.text
    assert "<html" in answer.text  # the page a browser shows, not a bare error
    assert _count(db, Complaint) == before
    clean = {**form, "text": "My bicycle was stolen\r\n\tfrom the market."}
    assert client.post("/grievances/walk-in", data=clean, follow_redirects=False).status_code == 303


def test_nul_in_a_multipart_text_field_is_refused_but_file_bytes_are_not(
    client: TestClient, db: Session
) -> None:
    make_tree(db)
    _citizen_login(client, db, "+919876500001")
    form = {
        "category": "theft",
        "text": "My bicycle was stolen from outside the sweet shop.",
        "lat": "26.47",
        "lon": "80.27",
        "csrf_token": csrf_from(client, "/citizen/complaints/new"),
    }
    photo = {"attachment": ("photo.jpg", b"\xff\xd8\xff\x00\x00\x10JFIF\x00\x01", "image/jpeg")}
    before = _count(db, Complaint)
    for bad in ({"text": form["text"] + "\x00"}, {"category": "the\x07ft"}):
        answer = client.post("/citizen/complaints", data={**form, **bad}, files=photo)
        assert answer.status_code == 422 and "control character" in answer.text
    assert _count(db, Complaint) == before
    filed = client.post("/citizen/complaints", data=form, files=photo, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    assert db.scalar(select(func.count(ComplaintAttachment.id))) == 1


def test_nul_in_a_json_string_is_refused_and_a_literal_backslash_u_is_not(
    client: TestClient, db: Session
) -> None:
    headers = {**_bearer(db, ["canvass"]), "Content-Type": "application/json"}
    before = _count(db, Incident)
    for body in (
        json.dumps({**INCIDENT, "description": "Snatched\u0000 near the market"}),
        json.dumps({**INCIDENT, "addr\u001fess": "x"}),
        json.dumps(INCIDENT).replace('"theft"', '"th\\u007Fft"'),
    ):
        error = _refused(client.post("/api/v1/incidents", content=body, headers=headers))
        assert error["code"] == "invalid" and "control character" in error["message"]
    assert _count(db, Incident) == before
    # `\\u0000` in JSON is a backslash, then the text u0000: no control character.
    literal = json.dumps({**INCIDENT, "description": "Snatched near the market \\u0000"})
    created = client.post("/api/v1/incidents", content=literal, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["description"].endswith("\\u0000")


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


def test_a_body_over_the_default_limit_is_refused_by_length_and_by_stream(
    client: TestClient, db: Session, settings: Settings
) -> None:
    headers = _bearer(db, ["canvass"])
    over = settings.max_body_bytes + 1
    by_length = client.post("/api/v1/incidents", content=b" " * over, headers=headers)
    assert _refused(by_length, 413)["code"] == "too_large"
    assert "1 MB" in by_length.json()["error"]["message"]
    streamed = client.post("/api/v1/incidents", content=_chunks(over), headers=headers)
    assert "content-length" not in streamed.request.headers
    assert _refused(streamed, 413)["code"] == "too_large"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    login_form = client.post("/login", content=b"username=" + b"a" * over, headers=form)
    assert login_form.status_code == 413 and "<html" in login_form.text
    assert _count(db, Incident) == 0


def test_upload_routes_take_more_than_the_default(
    client: TestClient, db: Session, settings: Settings
) -> None:
    make_tree(db)
    login(client, make_staff(db, Role.ADMIN, "C").username or "")
    headers = {"X-CSRF-Token": csrf_from(client, "/dashboard")}
    padded = collection(feature("S9", "C2", box(80.3, 26.4, 80.35, 26.45))) + b" " * (2 * MiB)
    assert len(padded) > settings.max_body_bytes
    done = client.post("/api/v1/jurisdiction/boundaries", content=padded, headers=headers)
    assert done.status_code == 200 and done.json() == {"created": 1, "updated": 0}


def test_the_whatsapp_webhook_strips_rather_than_being_refused(client: TestClient) -> None:
    answer = client.post("/webhooks/whatsapp", content=b'{"entry": ["\\u0000\x00"]}')
    assert answer.status_code != 422  # its own checks (signature, configuration) answer


def test_a_rule_for_a_route_that_does_not_exist_stops_the_start(client: TestClient) -> None:
    rules = {"/no/such/route": edge.BodyRule(1)}
    with pytest.raises(RuntimeError, match="/no/such/route"):
        edge.check_routes(client.app.routes, rules)  # type: ignore[attr-defined]


# The middleware alone, over an app that reads every chunk, to see what reaches the app.


class _Reader:
    def __init__(self) -> None:
        self.read = b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002 - the ASGI signature
        while True:
            message = await receive()
            self.read += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _render(request: Request, exc: edge.EdgeRefused) -> Response:  # noqa: ARG001 - the refusal renderer's signature
    return Response(exc.message, status_code=exc.status_code)


async def _run(chunks: list[bytes], content_type: str, limit: int = 1000) -> tuple[int, bytes]:
    reader = _Reader()
    middleware = edge.EdgeMiddleware(reader, default=limit, rules={}, render=_render)
    headers = [(b"content-type", content_type.encode())]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x",
        "query_string": b"",
        "headers": headers,
    }
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent[0]["status"], reader.read


BOUNDARY = "b0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    file = f'; filename="{filename}"' if filename is not None else ""
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{file}\r\n\r\n'
    return head.encode() + value + b"\r\n"


@pytest.mark.parametrize(
    ("chunks", "content_type", "status"),
    [
        ([b'{"a": "x\\u00', b'00"}'], "application/json", 422),
        ([b'{"a": "x\\\\u00', b'00"}'], "application/json", 200),
        ([b'{"a": "tab\\u0009 new\\u000A line"}'], "application/json", 200),
        ([b"a=x%0", b"0"], "application/x-www-form-urlencoded", 422),
        ([b"a=x%25", b"00"], "application/x-www-form-urlencoded", 200),
        ([_part("a", b"text\x00")[:40], _part("a", b"text\x00")[40:]], MULTIPART, 422),
        ([_part("f", b"\x00\x01binary", "v.mp4"), f"--{BOUNDARY}--".encode()], MULTIPART, 200),
        ([_part("f", b"binary", "v\x00.mp4"), f"--{BOUNDARY}--".encode()], MULTIPART, 422),
        ([b"raw \x00 text"], "", 422),
    ],
)
def test_control_characters_are_found_across_chunks(
    chunks: list[bytes], content_type: str, status: int
) -> None:
    assert asyncio.run(_run(chunks, content_type))[0] == status


def test_a_stream_stops_at_the_limit_and_the_app_never_sees_more() -> None:
    status, read = asyncio.run(_run([b"a" * 400] * 10, "application/octet-stream"))
    assert status == 413 and len(read) <= 1000
