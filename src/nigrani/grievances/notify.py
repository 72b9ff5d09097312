"""SMS to the complainant on each change, in their language, through the outbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nigrani.core import sms
from nigrani.core.config import Settings
from nigrani.core.i18n import pick
from nigrani.core.security import FieldCipher
from nigrani.core.sms import templates
from nigrani.grievances.labels import resolution_label, status_label
from nigrani.grievances.models import Complaint

# Each occasion is a pair of registered templates, complaint.<occasion>.en / .hi, in
# core/sms/templates.py (TRAI's DLT rules); {n} is the complaint number.


def track_url(settings: Settings, complaint: Complaint) -> str:
    """The tracking page of a complaint, for a link in a message."""
    return f"{settings.public_url}/citizen/complaints/{complaint.number}"


def tell(
    session: Session, settings: Settings, *, complaint: Complaint, occasion: str, **values: str
) -> bool:
    """Queue the SMS for an occasion to the complainant, if they gave a number."""
    if complaint.phone_enc is None:
        return False
    lang = complaint.language
    station = complaint.station
    names = {
        "n": complaint.number,
        "url": track_url(settings, complaint),
        "status": status_label(complaint.status, lang),
        "resolution": resolution_label(complaint.resolution, lang),
        "station": pick((station.name_en, station.name_hi), lang) if station else "",
        "text": "",
        **values,
    }
    template = templates.for_language(f"complaint.{occasion}", lang)
    to = FieldCipher(settings.encryption_key).decrypt(complaint.phone_enc)
    sms.queue_sms(session, settings, to=to, template=template.name, values=names)
    return True
