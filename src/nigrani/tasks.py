"""Every feature's periodic tasks, one list for the scheduler (app and CLI alike)."""

from __future__ import annotations

from nigrani.analytics import tasks as analytics_tasks
from nigrani.canvass import tasks as canvass_tasks
from nigrani.core import audit_anchor
from nigrani.core.outbox import PeriodicTask
from nigrani.grievances import tasks as grievances_tasks
from nigrani.health import tasks as health_tasks
from nigrani.hearings import tasks as hearings_tasks
from nigrani.stations import tasks as stations_tasks

PERIODIC: list[PeriodicTask] = [
    *audit_anchor.PERIODIC,
    *analytics_tasks.PERIODIC,
    *canvass_tasks.PERIODIC,
    *grievances_tasks.PERIODIC,
    *health_tasks.PERIODIC,
    *hearings_tasks.PERIODIC,
    *stations_tasks.PERIODIC,
]
