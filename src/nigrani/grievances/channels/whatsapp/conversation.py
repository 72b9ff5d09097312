"""The guided WhatsApp conversation as a state machine, free of the database.

idle → category (a numbered menu) → what (text or voice) → where (location or address)
→ photo (optional) → confirm → the complaint is registered and we are idle again.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from nigrani.core.i18n import pick
from nigrani.grievances.channels.whatsapp.texts import (
    CANCEL,
    NO,
    SKIP,
    TO_ENGLISH,
    TO_HINDI,
    YES,
    say,
)
from nigrani.grievances.channels.whatsapp.webhook import MEDIA_KINDS, Inbound

IDLE, CATEGORY, WHAT, WHERE, PHOTO, CONFIRM = (
    "idle",
    "category",
    "what",
    "where",
    "photo",
    "confirm",
)
MIN_TEXT = 10
MAX_MEDIA = 5
DEVANAGARI = re.compile(r"[\u0900-\u097f]")
NUMBER = re.compile(r"^[A-Z0-9]+-\d{4}-\d{4,}$")


@dataclass(frozen=True, slots=True)
class Choice:
    """One line of the category menu."""

    code: str
    name_en: str
    name_hi: str

    def name(self, language: str) -> str:
        """The category's name in the conversation's language."""
        return pick((self.name_en, self.name_hi), language)


@dataclass(slots=True)
class Draft:
    """What the citizen has told us so far."""

    category: str = ""
    text: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    media: list[dict[str, str]] = field(default_factory=list)

    def dumps(self) -> str:
        """The draft as JSON (the caller encrypts it)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str | None) -> Draft:
        """A draft back from its JSON; nothing or garbage is an empty draft."""
        try:
            return cls(**json.loads(raw)) if raw else cls()
        except (TypeError, ValueError):
            return cls()


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one message: the next state, the reply, and what to do."""

    state: str
    reply: str
    submit: bool = False  # register the draft as a complaint now
    lookup: str = ""  # the citizen asks about this complaint number


def language_for(message: Inbound, current: str | None, default: str) -> str:
    """A command switches language; a first message in Devanagari means Hindi."""
    word = message.text.strip().lower()
    if word in TO_ENGLISH:
        return "en"
    if word in TO_HINDI:
        return "hi"
    if current:
        return current
    if DEVANAGARI.search(message.text):
        return "hi"
    return default


def menu(choices: list[Choice], language: str) -> str:
    """The welcome and the numbered list of categories."""
    lines = [f"{i}. {c.name(language)}" for i, c in enumerate(choices, start=1)]
    return "\n".join([say("welcome", language), *lines, say("menu_hint", language)])


def _pick(word: str, choices: list[Choice]) -> str:
    if word.isdigit() and 1 <= int(word) <= len(choices):
        return choices[int(word) - 1].code
    return next((c.code for c in choices if word in (c.code, c.name_en.lower(), c.name_hi)), "")


def _summary(draft: Draft, choices: list[Choice], language: str) -> str:
    names = {c.code: c.name(language) for c in choices}
    place = draft.address or (f"{draft.lat:.5f}, {draft.lon:.5f}" if draft.lat is not None else "")
    summary = say(
        "summary",
        language,
        category=names.get(draft.category, draft.category),
        text=draft.text,
        place=place,
        media=str(len(draft.media)),
    )
    return say("confirm", language, summary=summary)


def _add_media(draft: Draft, message: Inbound) -> None:
    if len(draft.media) < MAX_MEDIA:
        draft.media.append(
            {"id": message.media_id, "mime": message.mime_type, "kind": message.kind}
        )


def _what(draft: Draft, message: Inbound, language: str) -> Step:
    if message.kind == "audio":
        _add_media(draft, message)
        draft.text = draft.text or say("voice_text", language)
        return Step(WHERE, say("ask_where", language))
    if message.kind == "image":
        _add_media(draft, message)
    if len(message.text.strip()) < MIN_TEXT:
        return Step(WHAT, say("too_short", language))
    draft.text = message.text.strip()
    return Step(WHERE, say("ask_where", language))


def _where(draft: Draft, message: Inbound, language: str) -> Step:
    if message.kind == "location" and message.lat is not None:
        draft.lat, draft.lon, draft.address = message.lat, message.lon, message.text
        return Step(PHOTO, say("ask_photo", language))
    if message.kind == "text" and len(message.text.strip()) >= 3:
        draft.lat = draft.lon = None
        draft.address = message.text.strip()[:400]
        return Step(PHOTO, say("ask_photo", language))
    return Step(WHERE, say("bad_where", language))


def _photo(draft: Draft, message: Inbound, choices: list[Choice], language: str) -> Step:
    if message.kind in MEDIA_KINDS:
        _add_media(draft, message)
    elif message.text.strip().lower() not in SKIP:
        return Step(PHOTO, say("bad_photo", language))
    return Step(CONFIRM, _summary(draft, choices, language))


def _confirm(
    draft: Draft,  # noqa: ARG001 - every step's signature
    message: Inbound,
    language: str,
) -> Step:
    word = message.text.strip().lower()
    if word in YES:
        return Step(IDLE, "", submit=True)
    if word in NO:
        return Step(IDLE, say("cancelled", language))
    return Step(CONFIRM, say("bad_confirm", language))


def _start(message: Inbound, choices: list[Choice], language: str) -> Step:
    number = message.text.strip().upper()
    if NUMBER.match(number):
        return Step(IDLE, "", lookup=number)
    return Step(CATEGORY, menu(choices, language))


def _category(draft: Draft, message: Inbound, choices: list[Choice], language: str) -> Step:
    code = _pick(message.text.strip().lower(), choices)
    if not code:
        return Step(CATEGORY, say("bad_choice", language) + "\n" + menu(choices, language))
    draft.category = code
    return Step(WHAT, say("ask_what", language))


def advance(
    *, state: str, draft: Draft, message: Inbound, choices: list[Choice], language: str
) -> Step:
    """One message moves the conversation on; the draft is updated in place."""
    word = message.text.strip().lower()
    if word in CANCEL:
        return Step(IDLE, say("cancelled", language))
    if message.kind == "other":
        return Step(state, say("unsupported", language))
    if word in TO_ENGLISH | TO_HINDI and state != IDLE:
        return Step(state, _prompt(state, draft, choices, language))
    if state == CATEGORY:
        return _category(draft, message, choices, language)
    if state == WHAT:
        return _what(draft, message, language)
    if state == WHERE:
        return _where(draft, message, language)
    if state == PHOTO:
        return _photo(draft, message, choices, language)
    if state == CONFIRM:
        return _confirm(draft, message, language)
    return _start(message, choices, language)


def _prompt(state: str, draft: Draft, choices: list[Choice], language: str) -> str:
    prompts = {WHAT: "ask_what", WHERE: "ask_where", PHOTO: "ask_photo"}
    if state == CONFIRM:
        return _summary(draft, choices, language)
    if state in prompts:
        return say(prompts[state], language)
    return menu(choices, language)
