"""Every SMS the code can send, as a DLT template with named variables (TRAI's rules).

In India every commercial SMS must match a content template registered on the operator's
DLT platform, where each variable is a `{#var#}` of at most 30 characters. Each template
here is registered once per language (Hindi and English are separate templates); the
deployment's file gives each name its DLT template id (see docs/configuration.md).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

DLT_VAR, VAR_CHARS = "{#var#}", 30
CUT = "..."  # GSM-7, so a cut English value keeps the message out of Unicode
# Variables longer than one {#var#}: registered as that many {#var#} side by side.
SLOTS = {"text": 3, "url": 4, "link": 4}
# Values masked wherever a message is kept or logged (codes, secret links): only the SMS
# itself carries them.
SECRET = frozenset({"code", "link"})
MASK = "******"

_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7 = frozenset(_GSM_BASIC + "^{}\\[~]|€\f")


@dataclass(frozen=True, slots=True)
class Template:
    """One registered message: its name (the key of its DLT id) and its text."""

    name: str
    text: str

    @property
    def variables(self) -> tuple[str, ...]:
        """The variable names, in order of first use."""
        names = [f for _, f, _, _ in string.Formatter().parse(self.text) if f]
        return tuple(dict.fromkeys(names))

    def dlt_text(self) -> str:
        """The text to register on the DLT portal: each variable as `{#var#}`."""
        return self.text.format(**{v: DLT_VAR * SLOTS.get(v, 1) for v in self.variables})


def _pair(name: str, en: str, hi: str) -> tuple[Template, Template]:
    return Template(f"{name}.en", en), Template(f"{name}.hi", hi)


_FOOTAGE_HI = "पुलिस ({n}) ने आपके कैमरे की {start} – {end} की रिकॉर्डिंग माँगी है। भेजें या मना करें: {link}"
_FOOTAGE_EN = (
    "Police ({n}) ask for your camera's footage of {start} – {end}. Send or decline: {link}"
)

_ALL: tuple[Template, ...] = (
    *_pair(
        "otp",
        "Nigrani: {code} is your sign-in code, valid for {minutes} min. Do not share it.",
        "निगरानी: आपका लॉगिन कोड {code} है, {minutes} मिनट तक मान्य। किसी को न बताएँ।",
    ),
    *_pair(
        "complaint.received",
        "Nigrani: your complaint {n} is registered. Track it at {url}",
        "निगरानी: आपकी शिकायत {n} दर्ज हो गई है। स्थिति देखें: {url}",
    ),
    *_pair(
        "complaint.status",
        "Nigrani: complaint {n} is now: {status}.",
        "निगरानी: शिकायत {n} की स्थिति: {status}।",
    ),
    *_pair(
        "complaint.transfer",
        "Nigrani: complaint {n} was sent to {station}.",
        "निगरानी: शिकायत {n} {station} को भेजी गई।",
    ),
    *_pair(
        "complaint.reply",
        "Nigrani: reply on complaint {n}: {text} Read it all at {url}",
        "निगरानी: शिकायत {n} पर उत्तर: {text} पूरा पढ़ें: {url}",
    ),
    *_pair(
        "complaint.closed",
        "Nigrani: complaint {n} is closed ({resolution}). {text} Tell us if you are "
        "satisfied: {url}",
        "निगरानी: शिकायत {n} बंद ({resolution})। {text} क्या आप संतुष्ट हैं? बताएँ: {url}",
    ),
    *_pair(
        "complaint.reopened",
        "Nigrani: complaint {n} is reopened and back with the police.",
        "निगरानी: शिकायत {n} फिर से खोली गई है।",
    ),
    *_pair(
        "complaint.overdue",
        "Nigrani: complaint {n} ({category}) is overdue; it was due {due}.",
        "निगरानी: शिकायत {n} ({category}) की समय-सीमा {due} को पार हो गई।",
    ),
    # Video hearings (hearings/service.py): the place taken, with the waiting room's link.
    *_pair(
        "hearing.place",
        "Nigrani: your video hearing place {n} is for {when}. Open your waiting room: {link}",
        "निगरानी: आपकी वीडियो जनसुनवाई का क्रमांक {n}, समय {when}। प्रतीक्षा कक्ष खोलें: {link}",
    ),
    *_pair(
        "hearing.reminder",
        "Nigrani: your video hearing (place {n}) is at {when}. Open your waiting room a few "
        "minutes before: {link}",
        "निगरानी: आपकी वीडियो जनसुनवाई (क्रमांक {n}) {when} पर है। कुछ मिनट पहले प्रतीक्षा कक्ष खोलें: {link}",
    ),
    *_pair(
        "hearing.outcome",
        "Nigrani: your video hearing is over. {text} Complaint {n}: {url}",
        "निगरानी: आपकी वीडियो जनसुनवाई पूरी हुई। {text} शिकायत {n}: {url}",
    ),
    # Camera health, to the team that repairs the camera (health/alerts.py).
    *_pair(
        "health.offline",
        "Nigrani: camera {camera} has been offline since {since}. Please repair it.",
        "निगरानी: कैमरा {camera} {since} से बंद है। कृपया ठीक कराएँ।",
    ),
    *_pair(
        "health.area_dark",
        "Nigrani: {count} cameras at {place} went offline together at {since}, likely "
        "power or network.",
        "निगरानी: {place} के {count} कैमरे {since} पर एक साथ बंद हुए, संभवतः बिजली या नेटवर्क।",
    ),
    # To a private owner who opted in (health/owner_sms.py): the camera's name only.
    *_pair(
        "health.owner_offline",
        "Nigrani: your camera {camera} seems offline since {since}. To stop these SMS: {url}",
        "निगरानी: आपका कैमरा {camera} {since} से बंद लगता है। ये SMS बंद करने के लिए: {url}",
    ),
    # The owner's language is not known: one bilingual (Unicode) template each.
    Template("footage.request", f"निगरानी: {_FOOTAGE_HI}\nNigrani: {_FOOTAGE_EN}"),
    Template(
        "footage.reminder", f"निगरानी: याद दिलाना: {_FOOTAGE_HI}\nNigrani: Reminder: {_FOOTAGE_EN}"
    ),
)

TEMPLATES: dict[str, Template] = {t.name: t for t in _ALL}


def get(name: str) -> Template:
    """The template of this name; a name the registry lacks is a programming error."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise LookupError(f"no SMS template named {name!r} in core/sms/templates.py") from None


def for_language(name: str, lang: str | None) -> Template:
    """The Hindi or English version of a per-language template (English by default)."""
    return get(f"{name}.{'hi' if lang == 'hi' else 'en'}")


def _fit(name: str, value: str) -> str:
    limit = VAR_CHARS * SLOTS.get(name, 1)
    value = " ".join(value.split())  # a line break inside a variable fails the DLT match
    return value if len(value) <= limit else value[: limit - len(CUT)].rstrip() + CUT


def values_for(template: Template, values: Mapping[str, object]) -> dict[str, str]:
    """The template's variables from `values`, each cut to what its `{#var#}` holds."""
    missing = [v for v in template.variables if v not in values]
    if missing:
        raise ValueError(f"SMS template {template.name!r} needs {', '.join(missing)}")
    return {v: _fit(v, str(values[v])) for v in template.variables}


def render(template: Template, values: Mapping[str, str]) -> str:
    """The message text for these (already fitted) variables."""
    return template.text.format(**values)


def redacted(template: Template, values: Mapping[str, str]) -> str:
    """The message with its secret variables masked, for the log and `sms_log`."""
    return template.text.format(**{k: MASK if k in SECRET else v for k, v in values.items()})


def is_unicode(text: str) -> bool:
    """Whether the text needs Unicode (UCS-2) SMS: any character outside GSM-7."""
    return any(ch not in GSM7 for ch in text)
