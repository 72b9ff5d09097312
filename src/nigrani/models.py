"""Every feature's tables, imported once so Alembic and the tests see the whole schema."""

from nigrani.accounts import models as accounts_models
from nigrani.cameras import models as cameras_models
from nigrani.canvass import models as canvass_models
from nigrani.core import audit, outbox, sms
from nigrani.core.db import Base
from nigrani.evidence import models as evidence_models

__all__ = [
    "Base",
    "accounts_models",
    "audit",
    "cameras_models",
    "canvass_models",
    "evidence_models",
    "outbox",
    "sms",
]
