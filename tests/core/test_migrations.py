"""The Alembic tree builds exactly the schema the models declare, and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nigrani.core.db import make_engine
from nigrani.core.migrate import alembic_config, upgrade
from nigrani.models import Base, include_name
from tests.conftest import fresh_database_url, make_settings


def test_migrations_match_the_models_and_downgrade(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path):
        settings = make_settings(url, tmp_path / "var")
        upgrade(settings)
        engine = make_engine(url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], diff
        command.downgrade(alembic_config(settings), "base")
        upgrade(settings)
        engine.dispose()
