"""A video hearing end to end in Chromium with fake camera and microphone: a citizen joins
the DCP's live queue on a phone, waits while the DCP finishes another citizen's call, is
called, and both pages receive the other's video and audio (frames and bytes on the remote
track, through getStats); the DCP records the outcome and the citizen sees the complaint
number. The citizen agreed on screen to a recording: the server's own peer recorded both
sides, and each is in the evidence store under its hash and plays (PyAV decodes its picture
and sound). Then the camera denied: the room offers sound only.

The server here is the demo's database served again with a clock standing at 11:55 IST on
a Tuesday, so the 12:00-14:00 window is open whatever the day the test runs."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import av
import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select

from nigrani.accounts import otp
from nigrani.app import create_app
from nigrani.core.clock import FixedClock
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.demo.hearings import seed_hearings
from nigrani.evidence import store
from nigrani.hearings import hours, service
from nigrani.hearings.models import HearingRecording, HearingTicket
from nigrani.hearings.schemas import PlaceCreate
from tests import serving
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS, LiveServer
from tests.e2e.helpers import PHONE, hindi, shot, sign_in, sign_in_by_sms

AT = datetime(2031, 3, 4, 6, 25, tzinfo=UTC)  # Tuesday 11:55 IST
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-quic",
]
CITIZEN = "9812300011"


@pytest.fixture(scope="module")
def hearing_server(live_server: LiveServer) -> Iterator[str]:
    """The demo database, served with the clock at 11:55 IST and WebSockets on."""
    settings = live_server.settings
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_hearings(session, settings, now=AT, history=0)  # today's queue only
    engine.dispose()
    recorded = settings.model_copy(
        update={"hearings_recording": True, "hearings_recorder_addresses": "127.0.0.1"}
    )
    app = create_app(recorded, clock=FixedClock(AT), run_scheduler=True)  # texts at 11:55 too
    with serving.in_thread(app, ws="auto", lifespan="on") as url:
        yield url


@pytest.fixture(scope="module")
def media_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium with fake media (a second one, from the session's Playwright, which runs
    once per process); the pages grant (or deny) the camera per context."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    yield chromium
    chromium.close()


def _page(browser: Browser, url: str, permissions: list[str], **options: object) -> Page:
    context = browser.new_context(base_url=url, permissions=permissions, **{**DESKTOP, **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _someone_ahead(live_server: LiveServer) -> None:
    """Another citizen joined first (by the service, as a walk-in from another phone)."""
    engine = make_engine(live_server.settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        window = hours.all_windows(session)[-1]
        user = otp.citizen_for(session, settings=live_server.settings, e164="+919812300010")
        data = PlaceCreate(window_id=window.id, topic="Demo: a water tanker blocks our lane")
        service.take_place(
            session,
            settings=live_server.settings,
            citizen=user,
            window=window,
            data=data,
            topic_complaint_id=None,
            now=AT,
            language="hi",
        )
    engine.dispose()


def _book_now(citizen: Page, phone: str, topic: str) -> None:
    """The citizen signs in by SMS, takes a place in today's live queue and is in the room."""
    sign_in_by_sms(citizen, phone, then="/hearings")
    citizen.locator(".window a.button").first.click()
    citizen.locator('input[name="slot"][value="now"]').check()
    citizen.locator("#topic").fill(topic)
    citizen.locator("#book-form button[type=submit]").click()
    citizen.wait_for_url("**/hearings/t/**")


def _stats(page: Page) -> dict[str, Any]:
    return page.evaluate("window.hearingStats ? window.hearingStats() : null") or {}


def _receiving(page: Page, timeout_s: float = 15.0) -> dict[str, Any]:
    """Wait until the page has decoded remote video and received remote audio."""
    deadline = time.monotonic() + timeout_s
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = _stats(page)
        if stats.get("video_frames", 0) > 5 and stats.get("audio_bytes", 0) > 1000:
            return stats
        time.sleep(0.05)
    raise AssertionError(f"no remote media: {stats}")


def test_a_citizen_waits_is_called_and_both_sides_see_and_hear_each_other(
    media_browser: Browser, hearing_server: str, live_server: LiveServer
) -> None:
    _someone_ahead(live_server)
    citizen = _page(media_browser, hearing_server, ["camera", "microphone"], **PHONE)
    sign_in_by_sms(citizen, CITIZEN, then="/hearings")
    citizen.locator(".window a.button").first.click()
    citizen.locator('input[name="slot"][value="now"]').check()
    citizen.locator("#topic").fill("Demo: my motorcycle was stolen from the market")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    shot(citizen, "hearing-book.png")
    citizen.locator("#book-form button[type=submit]").click()
    citizen.wait_for_url("**/hearings/t/**")
    expect(citizen.locator("#room-position")).to_have_text("2")
    expect(citizen.locator("#media-check")).not_to_have_text("")
    citizen.locator("#consent-yes").click()
    expect(citizen.locator("#consent-state")).to_have_text(
        hindi("You said yes: the call will be recorded.") or ""
    )

    dcp = _page(media_browser, hearing_server, ["camera", "microphone"])
    sign_in(dcp, live_server.logins["dcp.central"])
    dcp.goto("/hearings/console")
    dcp.locator("#call-next button").click()  # the citizen ahead: no page, heard by phone
    expect(dcp.locator("#held")).to_contain_text("1")
    dcp.locator("#phone-callback").click()
    expect(citizen.locator("#room-position")).to_have_text("1", timeout=12_000)
    shot(citizen, "hearing-room-waiting.png")

    started = time.monotonic()
    dcp.locator("#call-next button").click()
    at_citizen = _receiving(citizen)
    setup_ms = (time.monotonic() - started) * 1000
    at_officer = _receiving(dcp)
    print(f"call next → five remote frames and sound at the citizen: {setup_ms:.0f} ms")
    assert at_citizen["video_bytes"] > 0 and at_officer["video_frames"] > 5
    expect(citizen.locator(".hearing-room")).to_have_attribute("data-state", "in_call")
    expect(citizen.locator("#recording-badge")).to_be_visible()
    expect(dcp.locator("#recording-badge")).to_be_visible()
    time.sleep(2)  # two seconds of the call on the record
    shot(citizen, "hearing-room-call.png")
    shot(dcp, "hearing-console.png")

    dcp.locator("#notes").fill("Demo: heard; the theft goes to Kotwali for an FIR.")
    dcp.locator("#category").select_option("theft")
    dcp.locator("#station_code").select_option("KNP-S-KOTWALI")
    dcp.locator("#outcome-form button[type=submit]").click()
    expect(dcp.locator("#last-outcome")).to_contain_text("KNP-")
    number = dcp.locator("#last-outcome").inner_text().split()[-1].rstrip(".")
    expect(citizen.locator("#room-complaint")).to_have_text(number, timeout=12_000)
    engine = make_engine(live_server.settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        heard = session.query(HearingTicket).filter(HearingTicket.outcome.is_not(None)).all()
        assert [t.outcome_complaint.number for t in heard if t.outcome_complaint] == [number]
        kept = session.scalars(select(HearingRecording).order_by(HearingRecording.side)).all()
        assert [r.side for r in kept] == ["citizen", "officer"]
        files = [(r.id, r.item) for r in kept]
    engine.dispose()
    for recording_id, item in files:
        assert item.kind == "hearing" and item.media_type == "video/mp4"
        path = store.blob_path(live_server.settings, item.sha256)
        assert store.hash_file(path) == item.sha256  # stored under the hash of its bytes
        with av.open(str(path)) as played:
            kinds = {s.type for s in played.streams}
            frames = sum(1 for _ in played.decode(video=0))
        assert kinds == {"video", "audio"} and frames >= 10, (kinds, frames)
        answer = dcp.request.get(f"/hearings/recordings/{recording_id}")
        assert answer.status == 200 and answer.headers["content-type"] == "video/mp4"
        assert hashlib.sha256(answer.body()).hexdigest() == item.sha256
    expect(dcp.locator("#done .recording-link")).to_have_count(2)


def test_a_join_heard_before_the_call_next_answer_is_still_recorded(
    media_browser: Browser, hearing_server: str, live_server: LiveServer
) -> None:
    """On a slow machine the citizen's room can join before the officer's page has the
    answer to its own "call next": the early "joined" must keep its word about recording."""
    citizen = _page(media_browser, hearing_server, ["camera", "microphone"], **PHONE)
    _book_now(citizen, "9812300014", "Demo: a neighbour's generator runs all night")
    expect(citizen.locator("#room-position")).to_have_text("1")
    citizen.locator("#consent-yes").click()
    expect(citizen.locator("#consent-state")).not_to_have_text("")

    dcp = _page(media_browser, hearing_server, ["camera", "microphone"])
    sign_in(dcp, live_server.logins["dcp.central"])
    dcp.goto("/hearings/console")

    def answer_late(route: Route) -> None:
        answer = route.fetch()
        room = citizen.locator(".hearing-room")
        expect(room).to_have_attribute("data-state", re.compile("called|in_call"))
        time.sleep(1.5)  # the room has joined: its "joined" reaches the console first
        route.fulfill(response=answer)

    dcp.route("**/hearings/console/*/next", answer_late)
    dcp.locator("#call-next button").click()
    _receiving(citizen)
    _receiving(dcp)
    expect(citizen.locator("#recording-badge")).to_be_visible()
    expect(dcp.locator("#recording-badge")).to_be_visible()
    dcp.locator("#hang-up").click()
    expect(dcp.locator(".hearing-console")).not_to_have_class("in-call")


def test_a_denied_camera_joins_with_sound_only(media_browser: Browser, hearing_server: str) -> None:
    citizen = _page(media_browser, hearing_server, ["microphone"], **PHONE)
    _book_now(citizen, "9812300012", "Demo: a question about a lost document")
    sound_only = hindi(
        "The camera is not allowed or missing: you will join with sound only. To be seen, "
        "allow the camera in your browser and reload."
    )
    expect(citizen.locator("#media-check")).to_have_text(sound_only or "")
    expect(citizen.locator(".hearing-room")).to_have_class("card narrow hearing-room audio-only")
    width = citizen.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(citizen, "hearing-room-audio-only.png")
