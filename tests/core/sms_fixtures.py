"""Fixtures for the SMS tests: the fake gateway, settings that use it, an app and a browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from nigrani.app import create_app
from nigrani.core.config import Settings
from tests.conftest import SwitchClock
from tests.core import fake_sms
from tests.core.fake_sms import FakeGateway


@pytest.fixture()
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway(slow_seconds=1.0)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture()
def sms_settings(database_url: str, tmp_path: Path, gateway: FakeGateway) -> Settings:
    return fake_sms.http_settings(database_url, tmp_path, gateway)


@pytest.fixture()
def sms_app(sms_settings: Settings, sessions: sessionmaker[Session], clock: SwitchClock) -> FastAPI:
    application = create_app(sms_settings, clock=clock)
    application.state.sessions = sessions
    return application


@pytest.fixture()
def browser(sms_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(sms_app) as client:
        yield client
