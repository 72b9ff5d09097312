"""Hindi and English: the current request's language, gettext, and IST display."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
current_language: ContextVar[str] = ContextVar("current_language", default="en")


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue for a language (English is the source language)."""
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


def gettext(message: str) -> str:
    """Translate into the current language."""
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with a plural form into the current language."""
    return translations(current_language.get()).ngettext(singular, plural, n)


_ = gettext


def pick_language(
    *,
    query: str | None,
    cookie: str | None,
    accept: str | None,
    supported: tuple[str, ...],
    default: str,
) -> str:
    """Explicit choice first (link, then cookie), then the browser's preference."""
    for choice in (query, cookie):
        if choice in supported:
            return choice
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in supported:
            return tag
    return default


def to_ist(value: datetime, tz: str = "Asia/Kolkata") -> datetime:
    """A stored UTC time in the display timezone."""
    return value.astimezone(ZoneInfo(tz))


def format_ist(value: datetime | None, tz: str = "Asia/Kolkata") -> str:
    """A time as people read it here: local (IST) and in the current language."""
    if value is None:
        return "—"
    local = to_ist(value, tz)
    lang = current_language.get()
    return f"{format_datetime(local, 'd MMM y, HH:mm', locale=lang)} IST"


def pick(pair: tuple[str, str], lang: str | None = None) -> str:
    """The English or Hindi half of a pair, for a language (default: the request's)."""
    return pair[1] if (lang or current_language.get()) == "hi" else pair[0]
