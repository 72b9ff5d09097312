"""Alembic environment: the URL comes from the caller's config (see nigrani.core.migrate)."""

from __future__ import annotations

from alembic import context

from nigrani.core.db import make_engine
from nigrani.models import Base, include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (SQLite in batch mode for ALTERs)."""
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
