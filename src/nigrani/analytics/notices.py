"""Who is told when a station analytics rule raises an alert: the station's SHO and the
control-room operators whose charge holds the station, once per alert."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nigrani.accounts import notifications
from nigrani.accounts.models import JurisdictionNode
from nigrani.analytics.models import AnalyticsEvent


def alert_raised(session: Session, *, event: AnalyticsEvent, poster_id: int | None) -> int:
    """Tell the readers of a new alert (the notification is unique per alert: a retried
    post tells no one twice), but not the account the worker posts as; how many were told."""
    station = session.get_one(JurisdictionNode, event.station_id)
    told = notifications.Event(
        kind=notifications.ANALYTICS_ALERT,
        object_type="analytics_event",
        object_id=event.id,
        event="raised",
        link=f"/analytics/events/{event.id}",
        params={
            "rule": event.kind,
            "station": station.name_en[:60],
            "station_hi": (station.name_hi or station.name_en)[:60],
        },
    )
    users = [
        u
        for u in notifications.station_readers(session, node_path=event.node_path)
        if u != poster_id
    ]
    return notifications.notify(session, users=users, event=told)
