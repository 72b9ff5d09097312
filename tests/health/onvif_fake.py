"""Fakes of the world at the edge of the prober's extra signals, speaking the real wire
formats on 127.0.0.1: an ONVIF device (SOAP 1.2 with WS-Security UsernameToken digests, as
cameras check them: device information, services, a PullPoint subscription whose
PullMessages returns the tamper notifications it is told to) and a camera's HTTP snapshot
server (routes answer with a status, a content type and a body, or not at all)."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree as ET

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
    ' xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
    ' xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
    ' xmlns:wsa="http://www.w3.org/2005/08/addressing"'
    ' xmlns:tt="http://www.onvif.org/ver10/schema"'
    ' xmlns:tns1="http://www.onvif.org/ver10/topics"'
    ' xmlns:ter="http://www.onvif.org/ver10/error">'
    "<env:Body>{body}</env:Body></env:Envelope>"
)
_NOT_AUTHORIZED = (
    "<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode>"
    "<env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>"
    '<env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason>'
    "</env:Fault>"
)


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _notification(topic: str, active: bool, item: str) -> str:
    now = _time(datetime.now(UTC))
    return (
        '<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/'
        f'topicExpression/ConcreteSet">{topic}</wsnt:Topic><wsnt:Message>'
        f'<tt:Message UtcTime="{now}" PropertyOperation="Changed"><tt:Source>'
        '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VideoSource_1"/>'
        f'</tt:Source><tt:Data><tt:SimpleItem Name="{item}" Value="{str(active).lower()}"/>'
        "</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )


@dataclass
class FakeOnvif:
    """The device's behaviour, changed by tests between probes."""

    user: str = "admin"
    password: str = "0nvifPass!"
    manufacturer: str = "Hikvision"
    model: str = "DS-2CD2043G2-I"
    firmware: str = "V5.7.3 build 220112"
    # (topic, active, data item name) of each notification PullMessages returns.
    events: list[tuple[str, bool, str]] = field(default_factory=list)
    delay_s: float = 0.0
    port: int = 0
    calls: list[str] = field(default_factory=list)

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: bytes) -> tuple[int, str]:
        root = ET.fromstring(body)  # noqa: S314 - our own client's request, in a test
        operation = next(iter(root.find("env:Body", NS) or []), None)
        name = operation.tag.rsplit("}", 1)[-1] if operation is not None else ""
        self.calls.append(name)
        if self.delay_s:
            time.sleep(self.delay_s)
        if not self._authorized(root):
            return 400, _NOT_AUTHORIZED
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            return 400, _NOT_AUTHORIZED.replace("ter:NotAuthorized", "ter:ActionNotSupported")
        return 200, handler()

    def _authorized(self, root: ET.Element) -> bool:
        token = root.find("env:Header/wsse:Security/wsse:UsernameToken", NS)
        if token is None:
            return False
        user = token.findtext("wsse:Username", "", NS)
        digest = token.findtext("wsse:Password", "", NS)
        nonce = base64.b64decode(token.findtext("wsse:Nonce", "", NS))
        created = token.findtext("wsu:Created", "", NS)
        raw = nonce + created.encode() + self.password.encode()
        expected = base64.b64encode(hashlib.sha1(raw).digest()).decode()  # noqa: S324 - WS-Security
        return user == self.user and digest == expected

    def _GetDeviceInformation(self) -> str:  # noqa: N802 - the SOAP operation's name
        return (
            f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{self.manufacturer}"
            f"</tds:Manufacturer><tds:Model>{self.model}</tds:Model><tds:FirmwareVersion>"
            f"{self.firmware}</tds:FirmwareVersion><tds:SerialNumber>DS0001</tds:SerialNumber>"
            "<tds:HardwareId>88</tds:HardwareId></tds:GetDeviceInformationResponse>"
        )

    def _GetServices(self) -> str:  # noqa: N802
        services = (
            ("http://www.onvif.org/ver10/device/wsdl", "/onvif/device_service"),
            ("http://www.onvif.org/ver10/events/wsdl", "/onvif/event_service"),
        )
        body = "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self.base()}{path}"
            "</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor>"
            "</tds:Version></tds:Service>"
            for ns, path in services
        )
        return f"<tds:GetServicesResponse>{body}</tds:GetServicesResponse>"

    def _CreatePullPointSubscription(self) -> str:  # noqa: N802
        now = datetime.now(UTC)
        return (
            "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
            f"<wsa:Address>{self.base()}/onvif/pullpoint/1</wsa:Address>"
            f"</tev:SubscriptionReference><wsnt:CurrentTime>{_time(now)}</wsnt:CurrentTime>"
            f"<wsnt:TerminationTime>{_time(now + timedelta(seconds=60))}</wsnt:TerminationTime>"
            "</tev:CreatePullPointSubscriptionResponse>"
        )

    def _PullMessages(self) -> str:  # noqa: N802
        now = datetime.now(UTC)
        messages = "".join(_notification(*event) for event in self.events)
        return (
            f"<tev:PullMessagesResponse><tev:CurrentTime>{_time(now)}</tev:CurrentTime>"
            f"<tev:TerminationTime>{_time(now + timedelta(seconds=60))}</tev:TerminationTime>"
            f"{messages}</tev:PullMessagesResponse>"
        )

    def _Unsubscribe(self) -> str:  # noqa: N802
        return "<wsnt:UnsubscribeResponse/>"


@dataclass
class Route:
    """What the fake snapshot server answers on one path."""

    status: int = 200
    content_type: str = "image/jpeg"
    body: bytes = b""
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False  # sent without a Content-Length


@dataclass
class FakeSnapshots:
    routes: dict[str, Route] = field(default_factory=dict)
    auth: str | None = None  # the Authorization header a route wants, when set
    port: int = 0

    def url(self, path: str, userinfo: str = "") -> str:
        return f"http://{userinfo}127.0.0.1:{self.port}{path}"


def _handler(device: FakeOnvif, snapshots: FakeSnapshots) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test's output stays quiet

        def _send(self, status: int, kind: str, body: bytes, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, xml = device.answer(body)
            envelope = _ENVELOPE.format(body=xml).encode()
            self._send(status, "application/soap+xml; charset=utf-8", envelope)

        def do_GET(self) -> None:
            route = snapshots.routes.get(self.path)
            if route is None:
                self._send(404, "text/plain", b"not found")
                return
            if snapshots.auth and self.headers.get("Authorization") != snapshots.auth:
                self._send(401, "text/plain", b"", **{"WWW-Authenticate": 'Basic realm="cam"'})
                return
            time.sleep(route.delay_s)
            if route.chunked:
                self._chunked(route)
            else:
                self._send(route.status, route.content_type, route.body, **route.headers)

        def _chunked(self, route: Route) -> None:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(route.body), 65536):
                piece = route.body[start : start + 65536]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (a timeout under test) is not the fake's error


@contextmanager
def serving() -> Iterator[tuple[FakeOnvif, FakeSnapshots]]:
    """One server on a free port of 127.0.0.1 playing both the ONVIF device and the
    snapshot server (a camera is one web server for both)."""
    device, snapshots = FakeOnvif(), FakeSnapshots()
    server = _Server(("127.0.0.1", 0), _handler(device, snapshots))
    device.port = snapshots.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield device, snapshots
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
