"""The health tests' shared fixture: a database of the test's own, for two workers at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core.config import Settings
from tests.health.state_factories import own_database


@pytest.fixture()
def own_db(tmp_path: Path) -> Iterator[tuple[sessionmaker[Session], Settings]]:
    """Each worker on its own connection to a migrated database of its own."""
    yield from own_database(tmp_path)
