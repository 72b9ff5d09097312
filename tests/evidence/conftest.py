"""Fixtures of the evidence tests: a media folder per test, and an investigating officer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.core import audit
from nigrani.core.config import Settings
from tests.accounts.factories import make_staff, make_tree


@pytest.fixture()
def media(settings: Settings, tmp_path: Path) -> Settings:
    """The session's settings with a media folder of this test's own."""
    return settings.model_copy(update={"media_dir": tmp_path / "media"})


@pytest.fixture()
def officer(db: Session) -> audit.Actor:
    """An investigating officer of station S1 of the small test tree."""
    make_tree(db)
    user = make_staff(db, Role.INVESTIGATING_OFFICER, "S1")
    return audit.Actor(user.id, user.username or "io")
