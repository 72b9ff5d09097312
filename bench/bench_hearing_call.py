"""Video hearings: call set-up in the browser, "call next" → the first remote video frame at
the citizen, through our waiting room and signalling, next to a bare WebRTC call.

Each round a citizen joins the DCP's live queue and waits in the room (Chromium, fake
camera and microphone, a 390 px phone); the DCP's console presses "call next"; the clock
stops when the citizen's page has decoded a frame of the DCP's video (getStats). The
console then ends the call (held by phone) for the next round. In the same round, the
reference: two bare pages of the same browser connect to each other directly (the SDP
passed by the benchmark, no server), from `createOffer` to the first decoded frame — the
floor any signalling adds to. Rounds interleave subject and reference; medians are shown.
The server runs in this process with its clock at 11:55 IST on a Tuesday (the demo's window
is open whatever the day), on a fresh SQLite demo database.

    .venv/bin/python -m bench.bench_hearing_call             # 7 rounds
    .venv/bin/python -m bench.bench_hearing_call --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench import serving
from nigrani.accounts import otp
from nigrani.accounts import service as accounts
from nigrani.accounts.deps import SESSION_COOKIE
from nigrani.accounts.models import User
from nigrani.app import create_app
from nigrani.core import clock as clocks
from nigrani.core.clock import FixedClock
from nigrani.core.config import Settings
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.demo.grievances import seed_grievances
from nigrani.demo.hearings import seed_hearings
from nigrani.demo.seed import seed_tree, seed_users
from nigrani.hearings import hours, service
from nigrani.hearings.schemas import PlaceCreate

AT = datetime(2031, 3, 4, 6, 25, tzinfo=UTC)  # Tuesday 11:55 IST
GOAL_MS = 500.0
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-quic",
]
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
FIRST_FRAME = """async () => {
  const s = window.hearingStats ? await window.hearingStats() : null;
  return s ? s.video_frames : 0;
}"""
# Two bare peers in two pages: A offers its fake camera, B answers; B's first decoded frame.
BARE_OFFER = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  window.pc = new RTCPeerConnection();
  stream.getTracks().forEach(t => window.pc.addTrack(t, stream));
  window.cands = [];
  window.pc.onicecandidate = e => { if (e.candidate) window.cands.push(e.candidate.toJSON()); };
  window.t0 = performance.now();
  await window.pc.setLocalDescription(await window.pc.createOffer());
  return window.pc.localDescription.toJSON();
}"""
BARE_ANSWER = """async (offer) => {
  window.pc = new RTCPeerConnection();
  window.cands = [];
  window.pc.onicecandidate = e => { if (e.candidate) window.cands.push(e.candidate.toJSON()); };
  window.pc.ontrack = e => {};
  await window.pc.setRemoteDescription(offer);
  await window.pc.setLocalDescription(await window.pc.createAnswer());
  return window.pc.localDescription.toJSON();
}"""
BARE_FRAMES = """async () => {
  let n = 0;
  (await window.pc.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded || 0;
  });
  return n;
}"""


def prepare(settings: Settings) -> None:
    """Migrate and load the parts of the demo a hearing needs."""
    upgrade(settings)
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        seed_tree(session)
        seed_users(session)
        seed_grievances(session, settings)  # the categories and stations of the outcome
        seed_hearings(session, settings, now=AT, history=0)
    engine.dispose()


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app in a thread (its clock at 11:55 IST, WebSockets on); yields its URL."""
    port = serving.free_port()
    app = create_app(settings, clock=FixedClock(AT))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="auto")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


def _cookie(settings: Settings, user_of: Any) -> str:
    engine = make_engine(settings.db_url)
    with clocks.use(FixedClock(AT)), transaction(make_sessionmaker(engine)) as session:
        token = accounts.start_session(session, user=user_of(session), settings=settings)
    engine.dispose()
    return token


def _citizen_in_queue(settings: Settings, index: int) -> tuple[str, str]:
    """A citizen who joined the live queue: their session cookie and room path."""
    engine = make_engine(settings.db_url)
    with transaction(make_sessionmaker(engine)) as session:
        user = otp.citizen_for(session, settings=settings, e164=f"+9198123{index:05d}")
        window = hours.all_windows(session)[0]
        data = PlaceCreate(window_id=window.id, topic="Bench: a question for the DCP")
        _t, secret = service.take_place(
            session,
            settings=settings,
            citizen=user,
            window=window,
            data=data,
            topic_complaint_id=None,
            now=AT,
            language="en",
        )
        with clocks.use(FixedClock(AT)):  # the login lives on the server's clock
            token = accounts.start_session(session, user=user, settings=settings)
    engine.dispose()
    return token, f"/hearings/t/{secret}"


def _context(browser: Browser, url: str, token: str | None, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=url, **options)
    if token:
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
    context.set_default_timeout(15_000)
    return context


def _wait(page: Page, script: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(script) > 0:
            return
        time.sleep(0.01)
    raise RuntimeError("no remote frame")


def through_nigrani(browser: Browser, url: str, settings: Settings, officer: str, i: int) -> float:
    """One call: ms from pressing "call next" to the citizen's first remote frame."""
    token, room = _citizen_in_queue(settings, i)
    citizen = _context(browser, url, token, **PHONE).new_page()
    citizen.goto(room)
    if not citizen.locator("#media-check").count():
        raise RuntimeError(f"{citizen.url}: {citizen.locator('main').inner_text()[:300]}")
    citizen.wait_for_function("document.getElementById('media-check').textContent.length > 0")
    console = _context(browser, url, officer).new_page()
    console.goto("/hearings/console")
    time.sleep(0.5)  # both sockets open
    started = time.perf_counter()
    console.locator("#call-next button").click()
    _wait(citizen, FIRST_FRAME)
    took = (time.perf_counter() - started) * 1000
    console.locator("#phone-callback").click()  # ends the call: the officer is free again
    console.wait_for_selector("#call-next")
    citizen.context.close()
    console.context.close()
    return took


def bare(browser: Browser, url: str) -> float:
    """One bare call between two pages of this origin: createOffer → first decoded frame."""
    context = _context(browser, url, None)
    a, b = context.new_page(), context.new_page()
    for page in (a, b):
        page.goto("/healthz")
    started = time.perf_counter()
    offer = a.evaluate(BARE_OFFER)
    answer = b.evaluate(BARE_ANSWER, offer)
    a.evaluate("async (d) => { await window.pc.setRemoteDescription(d); }", answer)
    time.sleep(0.05)  # gather
    for src, dst in ((a, b), (b, a)):
        for cand in src.evaluate("window.cands"):
            dst.evaluate("async (c) => { await window.pc.addIceCandidate(c); }", cand)
    _wait(b, BARE_FRAMES)
    took = (time.perf_counter() - started) * 1000
    context.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            demo=True,
            database_url=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
            var_dir=Path(tmp),
            cookie_secure=False,
        )
        prepare(settings)

        def dcp(session: Any) -> User:
            return accounts.get_staff(session, "dcp.central")

        officer = _cookie(settings, dcp)
        with serve(settings) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            ours, ref = [], []
            for i in range(args.rounds):
                ours.append(through_nigrani(browser, url, settings, officer, i))
                ref.append(bare(browser, url))
                print(f"round {i + 1}: Nigrani {ours[-1]:.0f} ms, bare WebRTC {ref[-1]:.0f} ms")
            browser.close()
    mine, floor = statistics.median(ours), statistics.median(ref)
    verdict = "met" if mine <= GOAL_MS else "MISSED"
    print(
        f"call set-up, median of {args.rounds}: Nigrani (call next → first remote frame) "
        f"{mine:.0f} ms; bare WebRTC (createOffer → first frame) {floor:.0f} ms; "
        f"ratio {mine / floor:.2f}; goal ≤ {GOAL_MS:.0f} ms: {verdict}"
    )


if __name__ == "__main__":
    main()
