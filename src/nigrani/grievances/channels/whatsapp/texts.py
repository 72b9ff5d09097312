"""What the WhatsApp conversation says: English msgids in the Babel catalogue (lazy),
said in the conversation's language (the sender's, not a web request's)."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core.i18n import in_language, lazy_gettext

TEXTS: dict[str, LazyProxy] = {
    "welcome": lazy_gettext(
        "Hello! This is the police complaint service. What is it about? Send a number:"
    ),
    "menu_hint": lazy_gettext("(Write हिंदी for Hindi, or cancel to stop)"),
    "bad_choice": lazy_gettext("Please send one of the numbers in the list."),
    "ask_what": lazy_gettext("What happened? Write it in a few words, or send a voice message."),
    "too_short": lazy_gettext("Please tell us a little more (at least 10 characters)."),
    "voice_text": lazy_gettext("Voice message (attached)"),
    "ask_where": lazy_gettext(
        "Where did it happen? Share a location with 📎, or type the address."
    ),
    "bad_where": lazy_gettext("Please share a location or type the address."),
    "ask_photo": lazy_gettext("Do you have a photo? Send it, or write 0 (no photo)."),
    "bad_photo": lazy_gettext("Send a photo, or write 0."),
    "confirm": lazy_gettext("Your complaint:\n{summary}\n\nRegister it? 1 = yes, 2 = no"),
    "bad_confirm": lazy_gettext("Write 1 to register, 2 to cancel."),
    "summary": lazy_gettext(
        "About: {category}\nWhat happened: {text}\nWhere: {place}\nPhotos/voice: {media}"
    ),
    "registered": lazy_gettext(
        "Your complaint is registered. Number: {number}\nTrack it: {url}\n"
        "Send this number here to hear its status."
    ),
    "failed": lazy_gettext("The complaint could not be registered: {reason}"),
    "cancelled": lazy_gettext("Cancelled. Write anything to start a new complaint."),
    "status": lazy_gettext("Complaint {number}: {status}"),
    "not_found": lazy_gettext("No complaint of yours has this number."),
    "unsupported": lazy_gettext(
        "We cannot read this kind of message. Please write, or send a photo or location."
    ),
}

STATUS_NAMES: dict[str, LazyProxy] = {
    "received": lazy_gettext("received"),
    "assigned": lazy_gettext("assigned to the station"),
    "acknowledged": lazy_gettext("acknowledged by the station"),
    "investigating": lazy_gettext("under investigation"),
    "action_taken": lazy_gettext("action taken"),
    "closed": lazy_gettext("closed"),
}

YES = frozenset({"1", "yes", "y", "ok", "haan", "ha", "han", "हाँ", "हां", "हा", "जी"})
NO = frozenset({"2", "no", "n", "nahin", "nahi", "नहीं", "ना"})
SKIP = frozenset({"0", "skip", "no", "nahin", "nahi", "नहीं", "छोड़ें", "ना"})
CANCEL = frozenset({"cancel", "stop", "radd", "रद्द", "रद्द करें"})
TO_ENGLISH = frozenset({"english", "अंग्रेज़ी", "अंग्रेजी"})
TO_HINDI = frozenset({"hindi", "हिंदी", "हिन्दी"})


def say(key: str, language: str, **values: str) -> str:
    """A text in the conversation's language, with its blanks filled."""
    text = in_language(TEXTS[key], language)
    return text.format(**values) if values else text


def status_name(status: str, language: str) -> str:
    """A complaint status in words."""
    name = STATUS_NAMES.get(status)
    return in_language(name, language) if name is not None else status
