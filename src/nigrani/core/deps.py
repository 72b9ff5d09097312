"""Typed dependencies shared by every feature: settings and the request's database session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from nigrani.core import clock
from nigrani.core.config import Settings
from nigrani.core.db import transaction


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> clock.Clock:
    """The app's clock (`create_app(clock=...)`); tests override this dependency."""
    app_clock: clock.Clock = request.app.state.clock
    return app_clock


async def bind_clock(app_clock: Annotated[clock.Clock, Depends(get_clock)]) -> None:
    """Bind the app's clock for the request, so every service's `utcnow()` agrees with it.

    An app-wide async dependency: it runs in the request's own task before the route's
    other dependencies, and the threads that run sync code inherit the binding."""
    clock.bind(app_clock)


async def get_now(app_clock: Annotated[clock.Clock, Depends(get_clock)]) -> datetime:
    """The request's "now" from the app's clock."""
    return app_clock.now()


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, committed at the edge when the route returns."""
    with transaction(request.app.state.sessions) as session:
        yield session


async def get_sessions(request: Request) -> sessionmaker[Session]:
    """The session factory, for a route that keeps its whole unit of work in one thread."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    return sessions


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Now = Annotated[datetime, Depends(get_now)]
Sessions = Annotated[sessionmaker[Session], Depends(get_sessions)]
# scope="function": the commit happens before the response is sent, so an accepted
# request is durable by the time the client hears about it.
DbSession = Annotated[Session, Depends(get_db, scope="function")]
