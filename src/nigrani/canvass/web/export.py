"""The court bundle of an incident's evidence: export (hashes re-verified) and download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import FileResponse, RedirectResponse

from nigrani.accounts import service as accounts_service
from nigrani.accounts.deps import Investigator
from nigrani.accounts.pages import see_other
from nigrani.canvass import service, views
from nigrani.canvass.deps import CurrentIncident
from nigrani.canvass.models import Incident
from nigrani.core.db import reads_first
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.downloads import download
from nigrani.core.errors import Conflict, NotFound
from nigrani.core.i18n import _
from nigrani.evidence import bundle
from nigrani.evidence.certificate import CaseInfo

router = APIRouter(include_in_schema=False)


def _case(db: DbSession, incident: Incident) -> CaseInfo:
    station = service.station_of(db, incident)
    reference = (
        f"{incident.number} / {incident.fir_number}" if incident.fir_number else incident.number
    )
    return CaseInfo(
        reference=reference,
        police_station=station.name_en,
        place=station.name_en,
        police_station_hi=station.name_hi,
        place_hi=station.name_hi,
    )


@router.post("/incidents/{incident_id}/export")
def export_incident(
    db: DbSession,
    settings: SettingsDep,
    scope: Investigator,
    incident: CurrentIncident,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    """Package the incident's evidence for the court; a changed file stops the export."""
    items = views.evidence_for(db, incident)
    case, actor = _case(db, incident), accounts_service.actor_of(scope.user)
    # Re-hashing and zipping the files is the long part: none of it runs in a write
    # transaction. Nothing is written yet, so end this one; from here on the session reads
    # first (SQLite's writer lock only for the custody records), and the records of the
    # re-verification are committed before the bundle is written.
    db.commit()
    with reads_first():
        try:
            exported = bundle.export_bundle(
                db,
                settings=settings,
                items=items,
                case=case,
                actor=actor,
                reason=reason,
                verified=db.commit,
            )
        except Conflict:
            db.commit()  # the failed re-verification stays in the chain of custody
            raise
    return see_other(f"/incidents/{incident.id}/exports/{exported.name}")


@router.get("/incidents/{incident_id}/exports/{name}")
def download_export(
    db: DbSession, settings: SettingsDep, scope: Investigator, incident: CurrentIncident, name: str
) -> FileResponse:
    """An exported bundle of this incident, as a download recorded in custody."""
    if name not in {x.name for x in views.exports_for(db, incident)}:
        raise NotFound(_("No such export for this incident"))
    path = bundle.open_bundle(
        db, settings=settings, name=name, actor=accounts_service.actor_of(scope.user)
    )
    return download(path, name)
