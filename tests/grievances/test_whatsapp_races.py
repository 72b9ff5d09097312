"""WhatsApp deliveries for one user arriving together, as Meta sends them (retries, several
webhook workers): each sees the state the one before it left.

The app is served over loopback HTTP on a database of its own (not the rolled-back test
transaction), so every request has its own connection and the races are real.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from nigrani.app import create_app
from nigrani.core.db import make_engine, make_sessionmaker, transaction
from nigrani.core.migrate import upgrade
from nigrani.grievances.channels.models import WhatsAppConversation, WhatsAppInbound
from nigrani.grievances.models import Complaint
from tests import serving
from tests.accounts.factories import make_tree
from tests.conftest import fresh_database_url, make_settings
from tests.grievances import fake_whatsapp as wa
from tests.grievances.fake_whatsapp import FakeWhatsApp

USERS = [f"9198765432{i:02d}" for i in range(3)]
COPIES = 4


@dataclass
class Live:
    fake: FakeWhatsApp
    sessions: sessionmaker[Session]

    def together(self, values: list[dict[str, Any]]) -> list[int]:
        """Deliver every value at once, one thread each; their HTTP statuses."""
        start = threading.Barrier(len(values))

        def post(value: dict[str, Any]) -> int:
            body = wa.envelope(value)
            with httpx.Client(timeout=30) as client:
                start.wait()
                url = self.fake.webhook_url
                return client.post(url, content=body, headers=self.fake.headers(body)).status_code

        with ThreadPoolExecutor(len(values)) as pool:
            return list(pool.map(post, values))

    def count(self, column: Any, *where: Any) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count(column)).where(*where)) or 0


@pytest.fixture()
def live(tmp_path: Path) -> Iterator[Live]:
    fake = FakeWhatsApp(token="EAAG-race", app_secret="race-app-secret")
    fake.start()
    for url in fresh_database_url(tmp_path):
        settings = make_settings(
            url,
            tmp_path / "var",
            whatsapp_verify_token="verify-race",
            whatsapp_app_secret=fake.app_secret,
            whatsapp_token=fake.token,
            whatsapp_phone_number_id=wa.PHONE_NUMBER_ID,
            whatsapp_api_base=fake.base,
        )
        upgrade(settings)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            make_tree(session)
        app = create_app(settings)
        try:
            with serving.in_thread(app) as base:
                fake.webhook_url = f"{base}/webhooks/whatsapp"
                yield Live(fake, sessions)
        finally:
            app.state.engine.dispose()
            engine.dispose()
            fake.stop()


def _to_confirm(live: Live, user: str) -> None:
    for i, said in enumerate(["hi", "1", "Someone broke the lock of my shop", "Mall Road", "0"]):
        assert live.fake.deliver(wa.text(user, f"{user}-step{i}", said)).status_code == 200


def test_a_repeated_yes_at_the_confirm_step_files_one_complaint(live: Live) -> None:
    for user in USERS:
        _to_confirm(live, user)
        copies = [wa.text(user, f"{user}-yes{i}", "1") for i in range(COPIES)]
        assert live.together(copies) == [200] * COPIES
    assert live.count(Complaint.id, Complaint.channel == "whatsapp") == len(USERS)
    with live.sessions() as session:
        states = session.scalars(select(WhatsAppConversation.state)).all()
    # The copies after the first took turns: idle → the menu, "1" picked a category, and
    # the last one was too short to be what happened.
    assert states == ["what"] * len(USERS)


def test_a_new_users_first_messages_arriving_together(live: Live) -> None:
    for user in USERS:
        first = [wa.text(user, f"{user}-first{i}", "नमस्ते") for i in range(COPIES)]
        assert live.together(first) == [200] * COPIES
    assert live.count(WhatsAppConversation.id) == len(USERS)
    assert live.count(WhatsAppInbound.id) == len(USERS) * COPIES
    assert live.count(WhatsAppInbound.message_id.distinct()) == len(USERS) * COPIES
