"""Load-or-404 for evidence: an item the caller's jurisdiction and role may handle."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nigrani.accounts.deps import Investigator, StaffScope
from nigrani.core.deps import DbSession
from nigrani.core.errors import NotFound
from nigrani.core.i18n import _
from nigrani.core.params import PathId, QueryId
from nigrani.evidence import store
from nigrani.evidence.models import EvidenceItem


def get_evidence_item(item_id: PathId, scope: Investigator, db: DbSession) -> EvidenceItem:
    """A live item in the caller's jurisdiction; outside it, as if it did not exist."""
    item = store.get_item(db, item_id=item_id)
    if not scope.covers(item.node_path):
        raise NotFound(_("No such evidence item"))
    return item


CurrentItem = Annotated[EvidenceItem, Depends(get_evidence_item)]


def get_shown_clip(scope: StaffScope, db: DbSession, clip: QueryId = None) -> EvidenceItem | None:
    """The item `?clip=` names, if it lies in the caller's jurisdiction (else None: no clip)."""
    item = db.get(EvidenceItem, clip) if clip else None
    return item if item is not None and scope.covers(item.node_path) else None


ShownClip = Annotated[EvidenceItem | None, Depends(get_shown_clip)]
