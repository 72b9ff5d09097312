"""SMS to the complainant on each change, in their language, through the outbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nigrani.core import sms
from nigrani.core.config import Settings
from nigrani.core.security import FieldCipher
from nigrani.grievances.labels import pick, resolution_label, status_label
from nigrani.grievances.models import Complaint

# One template per occasion, English and Hindi; {n} is the complaint number.
MESSAGES: dict[str, tuple[str, str]] = {
    "received": (
        "Nigrani: your complaint {n} is registered. Track it at {url}",
        "निगरानी: आपकी शिकायत {n} दर्ज हो गई है। स्थिति देखें: {url}",
    ),
    "status": (
        "Nigrani: complaint {n} is now: {status}.",
        "निगरानी: शिकायत {n} की स्थिति: {status}।",
    ),
    "transfer": (
        "Nigrani: complaint {n} was sent to {station}.",
        "निगरानी: शिकायत {n} {station} को भेजी गई।",
    ),
    "reply": (
        "Nigrani: reply on complaint {n}: {text}",
        "निगरानी: शिकायत {n} पर उत्तर: {text}",
    ),
    "closed": (
        "Nigrani: complaint {n} is closed ({resolution}). {text} Tell us if you are satisfied: "
        "{url}",
        "निगरानी: शिकायत {n} बंद ({resolution})। {text} क्या आप संतुष्ट हैं? बताएँ: {url}",
    ),
    "reopened": (
        "Nigrani: complaint {n} is reopened and back with the police.",
        "निगरानी: शिकायत {n} फिर से खोली गई है।",
    ),
}


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
    body = pick(MESSAGES[occasion], lang).format(**names)
    to = FieldCipher(settings.encryption_key).decrypt(complaint.phone_enc)
    sms.queue_sms(session, settings, to=to, body=body[:640])
    return True
