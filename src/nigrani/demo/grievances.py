"""Demo complaints: every state, every resolution and channel, mostly in Kotwali.

Each one goes through the real services (numbers, timelines, SMS, SLA clocks), and each
carries a `demo-…` channel reference, so a second run finds it and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts.models import User
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.db import utcnow
from nigrani.grievances import service, sla, workflow
from nigrani.grievances.models import Complaint
from nigrani.grievances.schemas import CloseCreate, ComplaintCreate, FeedbackCreate

KOTWALI, COLONELGANJ = "KNP-S-KOTWALI", "KNP-S-COLONELGANJ"
# A point inside Kotwali's area: the web complaints that share their location land there.
KOTWALI_POINT = (26.4745, 80.3545)
OFFICERS = {KOTWALI: "sho.kotwali", COLONELGANJ: "io.colonelganj"}
DESK_OFFICER = "staff.kotwali"


@dataclass(frozen=True, slots=True)
class DemoComplaint:
    """One demo complaint and what the police (and the complainant) do to it, in order.

    Steps: a workflow state, "assign" (to the desk officer), "reply", "close:<resolution>",
    "satisfied" or "dissatisfied" (the complainant's feedback)."""

    ref: str
    channel: str
    category: str
    text: str
    language: str = "hi"
    station: str | None = KOTWALI
    at_point: bool = False
    address: str = ""
    hours_ago: float = 0.0  # walk-ins: when the visitor came to the desk
    steps: tuple[str, ...] = ()


DEMO_COMPLAINTS: tuple[DemoComplaint, ...] = (
    DemoComplaint(
        "demo-k01",
        "web",
        "theft",
        "डेमो: बाज़ार में खड़ी मेरी साइकिल दिन में चोरी हो गई।",
        at_point=True,
        address="डेमो: घंटाघर के पास",
    ),
    DemoComplaint(
        "demo-k02",
        "whatsapp",
        "nuisance",
        "डेमो: रात 11 बजे के बाद भी शादी का डीजे बहुत ज़ोर से बज रहा है।",
        address="डेमो: नई सड़क",
        steps=("acknowledged", "assign"),
    ),
    DemoComplaint(
        "demo-k03",
        "open311",
        "traffic",
        "Demo: cars parked on both sides block the lane to the school every morning.",
        language="en",
        address="Demo: Mall Road, near the school gate",
        steps=("acknowledged", "investigating"),
    ),
    DemoComplaint(
        "demo-k04",
        "walk_in",
        "cyber_fraud",
        "डेमो: बैंक अधिकारी बनकर फ़ोन करने वाले ने OTP लेकर 12,000 रुपये निकाल लिए।",
        hours_ago=20,
        steps=("acknowledged", "investigating", "reply", "action_taken"),
    ),
    DemoComplaint(
        "demo-k05",
        "walk_in",
        "theft",
        "Demo: my phone was taken from my bag on the tempo to Parade.",
        language="en",
        hours_ago=50,
        steps=("acknowledged", "investigating", "action_taken", "close:resolved", "satisfied"),
    ),
    DemoComplaint(
        "demo-k06",
        "walk_in",
        "nuisance",
        "डेमो: पड़ोसी की दुकान का सामान रोज़ फुटपाथ पर रखा रहता है।",
        hours_ago=30,
        steps=("acknowledged", "close:no_action"),
    ),
    DemoComplaint(
        "demo-k07",
        "open311",
        "other",
        "Demo: the street light in front of house 14 has not worked for a week.",
        language="en",
        address="Demo: Lane 3, Kotwali",
        steps=("close:not_ours",),
    ),
    DemoComplaint(
        "demo-k08",
        "whatsapp",
        "traffic",
        "डेमो: स्कूल वाली गली में दोनों तरफ़ गाड़ियाँ खड़ी रहती हैं, रास्ता बंद हो जाता है।",
        address="डेमो: माल रोड",
        steps=("close:duplicate",),
    ),
    DemoComplaint(
        "demo-k09",
        "web",
        "threat",
        "डेमो: किराएदार ने कमरा ख़ाली करने को कहने पर धमकी दी।",
        at_point=True,
        steps=("acknowledged", "action_taken", "close:resolved", "dissatisfied"),
    ),
    DemoComplaint(
        "demo-k10",
        "hearing",  # raised at the DCP's video hearing
        "women_safety",
        "Demo: a man follows college students from the bus stop every evening.",
        language="en",
        address="Demo: bus stop, Kotwali crossing",
        hours_ago=40,  # its 24-hour clock ran out 16 hours ago: escalated to the ACP
        steps=("acknowledged",),
    ),
    DemoComplaint(
        "demo-t01",
        "whatsapp",
        "other",
        "डेमो: गंगा बैराज की ओर जाने वाली सड़क पर रात में अँधेरा और लूट का डर रहता है।",
        station=None,  # no place the map knows and no station named: control-room triage
        address="डेमो: बैराज की सड़क",
    ),
    DemoComplaint(
        "demo-c01",
        "web",
        "land_dispute",
        "डेमो: पड़ोसी ने हमारी ज़मीन की दीवार तोड़कर कब्ज़ा करने की कोशिश की।",
        station=COLONELGANJ,
        steps=("acknowledged",),
    ),
    DemoComplaint(
        "demo-c02",
        "open311",
        "theft",
        "Demo: two gas cylinders stolen from the shop's back yard at night.",
        language="en",
        station=COLONELGANJ,
        steps=("acknowledged", "investigating", "action_taken", "close:resolved"),
    ),
    DemoComplaint(
        "demo-g01",
        "whatsapp",
        "nuisance",
        "डेमो: मोहल्ले में देर रात तक पटाखे चलाए जाते हैं।",
        station="KNP-S-GWALTOLI",
    ),
)
# What officers and citizens write, in the complaint's language (an SMS in one language).
MESSAGES = {
    "reply": {
        "hi": "डेमो: बैंक को खाता रोकने के लिए लिखा गया है; साइबर सेल जाँच कर रहा है।",
        "en": "Demo: we have written to the bank to freeze the account; the cyber cell is on it.",
    },
    "resolved": {
        "hi": "डेमो: मामला निपट गया; लिखित रिपोर्ट थाने पर देखें।",
        "en": "Demo: the matter was settled; see the station for the written report.",
    },
    "no_action": {
        "hi": "डेमो: जाँच में कोई अपराध नहीं पाया गया; नगर निगम को सूचना दी गई।",
        "en": "Demo: the inquiry found no offence; the Nagar Nigam has been told.",
    },
    "not_ours": {
        "hi": "डेमो: स्ट्रीट लाइट नगर निगम की हैं; आपकी शिकायत उन्हें भेज दी गई।",
        "en": "Demo: street lights are the Nagar Nigam's; we passed your complaint on.",
    },
    "duplicate": {
        "hi": "डेमो: यही शिकायत पहले से दर्ज है; उसी पर कार्रवाई हो रही है।",
        "en": "Demo: the same complaint is already registered; action is under way on it.",
    },
    "dissatisfied": {
        "hi": "डेमो: धमकी फिर से मिली है, कार्रवाई से संतुष्ट नहीं।",
        "en": "Demo: the threats came again; not satisfied with the action.",
    },
    "satisfied": {
        "hi": "डेमो: धन्यवाद, फ़ोन वापस मिल गया।",
        "en": "Demo: thank you, the phone was returned.",
    },
}


def _message(occasion: str, complaint: Complaint) -> str:
    return MESSAGES[occasion]["en" if complaint.language == "en" else "hi"]


DUPLICATE_OF = "demo-k03"


def _mobile(index: int) -> str:
    return f"+9190000{20000 + index:05d}"


def _data(spec: DemoComplaint, index: int) -> ComplaintCreate:
    lat, lon = KOTWALI_POINT if spec.at_point else (None, None)
    return ComplaintCreate(
        category=spec.category,
        text=spec.text,
        mobile=_mobile(index),
        mobile_verified=spec.channel in ("web", "whatsapp"),
        name=f"Demo Complainant {index + 1}",
        lat=lat,
        lon=lon,
        address=spec.address,
        language="en" if spec.language == "en" else "hi",
        external_ref=spec.ref,
        station_code=None if spec.at_point else spec.station,
    )


def _officer(session: Session, username: str) -> audit.Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return audit.SYSTEM
    return audit.Actor(user.id, user.full_name or username)


def _step(
    session: Session, settings: Settings, c: Complaint, step: str, officer: audit.Actor
) -> None:
    citizen = audit.Actor(None, c.phone_masked or "citizen")
    if step in workflow.STEPS:
        workflow.advance(session, settings=settings, complaint=c, to=step, actor=officer)
    elif step == "assign":
        desk = session.scalar(select(User.id).where(User.username == DESK_OFFICER))
        if desk is not None:
            workflow.assign_officer(session, complaint=c, officer_id=desk, actor=officer)
    elif step == "reply":
        workflow.reply(
            session, settings=settings, complaint=c, actor=officer, text=_message(step, c)
        )
    elif step.startswith("close:"):
        resolution = step.removeprefix("close:")
        data = CloseCreate.model_validate(
            {
                "resolution": resolution,
                "message": _message(resolution, c),
                "duplicate_of": _number(session, DUPLICATE_OF)
                if resolution == "duplicate"
                else None,
            }
        )
        workflow.close(session, settings=settings, complaint=c, data=data, actor=officer)
    else:
        verdict = FeedbackCreate(satisfied=step == "satisfied", comment=_message(step, c))
        workflow.give_feedback(session, settings=settings, complaint=c, data=verdict, actor=citizen)


def _number(session: Session, ref: str) -> str:
    channel = next(s.channel for s in DEMO_COMPLAINTS if s.ref == ref)
    number = session.scalar(
        select(Complaint.number).where(Complaint.channel == channel, Complaint.external_ref == ref)
    )
    return number or ref


def _exists(session: Session, spec: DemoComplaint) -> bool:
    stmt = select(Complaint.id).where(
        Complaint.channel == spec.channel, Complaint.external_ref == spec.ref
    )
    return session.scalar(stmt) is not None


def _add(session: Session, settings: Settings, spec: DemoComplaint, index: int) -> None:
    received = utcnow() - timedelta(hours=spec.hours_ago) if spec.hours_ago else None
    complaint = service.create_complaint(
        session,
        settings=settings,
        data=_data(spec, index),
        channel=spec.channel,
        actor=_officer(session, DESK_OFFICER) if spec.channel == "walk_in" else audit.SYSTEM,
        received_at=received,
    )
    officer = _officer(session, OFFICERS.get(spec.station or "", "sho.kotwali"))
    for step in spec.steps:
        _step(session, settings, complaint, step, officer)


def seed_grievances(session: Session, settings: Settings) -> int:
    """Add the demo complaints not there yet; returns how many were added."""
    if session.scalar(select(User.id).where(User.username == "sho.kotwali")) is None:
        return 0  # the demo tree and users come first
    added = 0
    for index, spec in enumerate(DEMO_COMPLAINTS):
        if not _exists(session, spec):
            _add(session, settings, spec, index)
            added += 1
    if added:
        sla.escalate_overdue(session, now=utcnow())
    return added
