"""Every feature's tables, imported once so Alembic and the tests see the whole schema."""

from nigrani.accounts import models as accounts_models
from nigrani.accounts import notifications
from nigrani.analytics import models as analytics_models
from nigrani.cameras import models as cameras_models
from nigrani.cameras.spatial import UNMODELLED
from nigrani.canvass import models as canvass_models
from nigrani.core import audit, outbox, sms
from nigrani.core.db import Base
from nigrani.evidence import models as evidence_models
from nigrani.grievances import models as grievances_models
from nigrani.grievances.channels import models as channels_models
from nigrani.grievances.channels.whatsapp import sender as whatsapp_sender
from nigrani.health import models as health_models
from nigrani.hearings import models as hearings_models
from nigrani.stations import models as stations_models

__all__ = [
    "Base",
    "accounts_models",
    "analytics_models",
    "audit",
    "cameras_models",
    "canvass_models",
    "channels_models",
    "evidence_models",
    "grievances_models",
    "health_models",
    "hearings_models",
    "notifications",
    "outbox",
    "sms",
    "stations_models",
    "whatsapp_sender",
]


def include_name(
    name: str | None,
    type_: str,  # noqa: ARG001 - Alembic's include_name hook
    parent_names: object,  # noqa: ARG001 - Alembic's include_name hook
) -> bool:
    """Leave to the migrations what no model declares: the spatial index's own objects."""
    return name not in UNMODELLED
