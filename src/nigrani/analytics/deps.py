"""Who may post analytics events and act on alerts, and load-or-404 for an alert."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Scope, get_token, require_staff
from nigrani.accounts.models import ApiToken
from nigrani.accounts.roles import Permission
from nigrani.analytics import workflow
from nigrani.analytics.models import AnalyticsEvent
from nigrani.core import audit
from nigrani.core.deps import DbSession
from nigrani.core.i18n import _
from nigrani.core.params import PathId

# A worker's key (scope "worker") acting as an account whose role may post events.
get_event_poster = require_staff(
    Permission.POST_ANALYTICS_EVENTS, lambda: _("Your role does not allow posting alerts.")
)
EventPoster = Annotated[Scope, Depends(get_event_poster)]

get_alert_handler = require_staff(
    Permission.HANDLE_ANALYTICS_ALERTS, lambda: _("Your role does not allow acting on alerts.")
)
AlertHandler = Annotated[Scope, Depends(get_alert_handler)]


async def get_poster_actor(
    scope: EventPoster, token: Annotated[ApiToken | None, Depends(get_token)]
) -> audit.Actor:
    """Who posts, for the audit log: the account, and the key it used when there is one."""
    actor = accounts_service.actor_of(scope.user)
    if token is None:
        return actor
    return audit.Actor(actor.id, f"{actor.label} (key {token.prefix}: {token.name})"[:120])


PosterActor = Annotated[audit.Actor, Depends(get_poster_actor)]


def get_current_event(event_id: PathId, scope: AlertHandler, db: DbSession) -> AnalyticsEvent:
    """The alert in the path, if it lies under the caller's node (404 as if absent)."""
    return workflow.get_event(db, event_id=event_id, scope_path=scope.node.path)


CurrentEvent = Annotated[AnalyticsEvent, Depends(get_current_event)]
