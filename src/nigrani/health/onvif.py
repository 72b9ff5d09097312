"""The ONVIF check: the camera's own word on what it is and whether it is being tampered
with, where an ONVIF endpoint is set.

`check_onvif` asks the device for GetDeviceInformation (manufacturer, model, firmware,
serial), then opens a PullPoint subscription, pulls the waiting notifications once and
unsubscribes. A notification on one of the tamper topics whose data says it is on (the
camera's own scene-change, blur, darkness, glare or signal-loss detector) is reported as
an active tamper event. The client is `onvif-zeep-async` (docs/decisions.md); it runs on
an event loop of this worker thread, under one deadline.

It never raises for the camera's fault: an unreachable device, a wrong password, a fault
or a timeout is returned as `problem` with a detail scrubbed of the credentials. The
prober records it and nothing else follows from it: only a tamper event the camera sent
changes the camera's state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

import aiohttp
import zeep.exceptions
from onvif import ONVIFCamera, ONVIFError  # type: ignore[import-untyped]

from nigrani.health.secrets import scrub

TIMEOUT_S: Final = 4.0
PULL_S: Final = 1.0  # how long the device may hold PullMessages open for news
SUBSCRIPTION: Final = timedelta(seconds=60)
MESSAGE_LIMIT: Final = 32
# The ONVIF tamper topics (the namespace prefix varies by device: matched without it).
TAMPER_TOPICS: Final = (
    "VideoSource/GlobalSceneChange",
    "VideoSource/ImageTooBlurry",
    "VideoSource/ImageTooDark",
    "VideoSource/ImageTooBright",
    "VideoSource/SignalLoss",
)
PROBLEMS: Final = ("unreachable", "auth", "timeout", "fault", "events")
_AUTH_WORDS: Final = ("notauthorized", "not authorized", "unauthorized", "401", "authority")


@dataclass(frozen=True, slots=True)
class OnvifEndpoint:
    """Where and as whom to ask the camera (decrypted only for the check)."""

    host: str
    port: int
    user: str
    password: str

    def masked(self) -> str:
        """Host and port only: safe to show and log."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass
class OnvifResult:
    """What the device said; `problem` is "" when it answered GetDeviceInformation."""

    problem: str = ""
    answered: bool = False  # GetDeviceInformation came back
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    events: bool = False  # the PullPoint subscription worked
    events_problem: str = ""
    tamper: list[str] = field(default_factory=list)  # active tamper topics
    detail: str = ""
    elapsed_ms: float = 0.0

    def measurements(self) -> dict[str, Any]:
        """The facts to store (JSON-able); never the endpoint's credentials."""
        values: dict[str, Any] = {
            "ok": not self.problem,
            "problem": self.problem,
            "manufacturer": self.manufacturer,
            "model": self.model,
            "firmware": self.firmware,
            "serial": self.serial,
            "events": self.events,
            "tamper": list(self.tamper),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }
        if self.events_problem:
            values["events_problem"] = self.events_problem
        if self.detail:
            values["detail"] = self.detail
        return values


def tamper_topic(topic: str) -> str | None:
    """The tamper topic a notification's topic is (without its prefix), or None."""
    bare = topic.split(":", 1)[1] if ":" in topic.split("/", 1)[0] else topic
    return next((t for t in TAMPER_TOPICS if bare == t or bare.startswith(t + "/")), None)


def _items(message: Any) -> list[tuple[str, str]]:
    data = getattr(message, "Data", None)
    items = getattr(data, "SimpleItem", None) or []
    return [(str(getattr(i, "Name", "")), str(getattr(i, "Value", ""))) for i in items]


def active_tamper(notifications: Iterable[Any]) -> list[str]:
    """The tamper topics among notifications whose data says the condition holds (a
    message without data is an event: it holds)."""
    found: list[str] = []
    for note in notifications:
        topic = tamper_topic(str(getattr(getattr(note, "Topic", None), "_value_1", "") or ""))
        message = getattr(getattr(note, "Message", None), "_value_1", None)
        if topic is None or getattr(message, "PropertyOperation", "") == "Deleted":
            continue
        items = _items(message)
        if (not items or any(v.lower() == "true" for _n, v in items)) and topic not in found:
            found.append(topic)
    return found


def _problem(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    text = f"{exc} {getattr(exc, 'subcodes', '')} {getattr(exc, 'code', '')}".lower()
    if isinstance(exc, zeep.exceptions.Fault):
        subcodes = " ".join(str(getattr(s, "text", s)) for s in exc.subcodes or [])
        text += " " + subcodes.lower()
        return "auth" if any(word in text for word in _AUTH_WORDS) else "fault"
    if isinstance(exc, zeep.exceptions.TransportError) and exc.status_code == 401:
        return "auth"
    return "unreachable"


def check_onvif(
    endpoint: OnvifEndpoint, *, timeout_s: float = TIMEOUT_S, pull_s: float = PULL_S
) -> OnvifResult:
    """Device information and active tamper events; never raises for the camera."""
    result = OnvifResult()
    started = time.monotonic()
    try:
        _run(lambda: asyncio.wait_for(_ask(endpoint, result, pull_s), timeout_s))
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        result.detail = scrub(text, endpoint.password, endpoint.user)[:200]
        if result.answered:
            result.events_problem = _problem(exc)  # only its events failed (or were slow)
        else:
            result.problem = _problem(exc)
    result.elapsed_ms = (time.monotonic() - started) * 1000
    return result


def _run(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run the coroutine `make` gives to its end in an event loop of its own: in this
    thread (the prober's workers have none), or in a thread of its own where a loop already
    runs here (asyncio.run refuses one inside another: a caller on an event loop, or
    Playwright's synchronous API in a test's main thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with ThreadPoolExecutor(1, thread_name_prefix="onvif") as pool:
        pool.submit(lambda: asyncio.run(make())).result()


async def _ask(endpoint: OnvifEndpoint, result: OnvifResult, pull_s: float) -> None:
    camera = ONVIFCamera(
        endpoint.host, endpoint.port, endpoint.user, endpoint.password, no_cache=True
    )
    try:
        device = await camera.create_devicemgmt_service()
        info = await device.GetDeviceInformation()
        result.manufacturer = str(info.Manufacturer or "")[:80]
        result.model = str(info.Model or "")[:80]
        result.firmware = str(info.FirmwareVersion or "")[:80]
        result.serial = str(info.SerialNumber or "")[:80]
        result.answered = True
        try:
            result.tamper = await _pull(camera, pull_s)
            result.events = True
        except (ONVIFError, zeep.exceptions.Error, aiohttp.ClientError, OSError) as exc:
            result.events_problem = _problem(exc)
            result.detail = scrub(str(exc), endpoint.password, endpoint.user)[:200]
    finally:
        await camera.close()


async def _pull(camera: ONVIFCamera, pull_s: float) -> list[str]:
    await camera.update_xaddrs()
    manager = await camera.create_pullpoint_manager(SUBSCRIPTION, lambda: None)
    try:
        messages = await manager.get_service().PullMessages(
            {"MessageLimit": MESSAGE_LIMIT, "Timeout": timedelta(seconds=pull_s)}
        )
        return active_tamper(getattr(messages, "NotificationMessage", None) or [])
    finally:
        await manager.shutdown()
