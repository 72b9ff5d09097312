"""Hindi and English: the current request's language, gettext, and IST display."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.core import negotiate_locale
from babel.dates import format_datetime
from babel.support import LazyProxy, NullTranslations, Translations

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


def lazy_gettext(message: str) -> LazyProxy:
    """A module-level label: translated each time it is shown, into the language of the
    moment (the request's, or the one `language()` sets for a recipient)."""
    return LazyProxy(gettext, message, enable_cache=False)


def translate(message: str, lang: str) -> str:
    """A message in a given language (a recipient's), whatever the request's is."""
    return translations(lang).gettext(message)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render in a given language for a while (an SMS to a recipient, a Hindi PDF)."""
    token = current_language.set(lang)
    try:
        yield
    finally:
        current_language.reset(token)


def in_language(label: LazyProxy | str, lang: str | None = None) -> str:
    """A lazy label as text, in a given language (default: the current one)."""
    if lang is None:
        return str(label)
    with language(lang):
        return str(label)


def accepted_languages(header: str | None) -> list[str]:
    """An Accept-Language header's tags, most wanted first (q-values honoured; q=0 and
    malformed parts dropped; equal q keeps the header's order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _q, _position, tag in sorted(ranked)]


def pick_language(
    *,
    query: str | None,
    cookie: str | None,
    accept: str | None,
    supported: tuple[str, ...],
    default: str,
) -> str:
    """Explicit choice first (link, then cookie), then the browser's preference as Babel
    negotiates it (hi-IN matches hi; `hi;q=0.1, en;q=0.9` is English)."""
    for choice in (query, cookie):
        if choice in supported:
            return choice
    found = negotiate_locale(accepted_languages(accept), supported, sep="-", aliases={})
    return found.lower() if found else default


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


def format_ist_day(value: datetime, tz: str = "Asia/Kolkata") -> str:
    """A day as people read it here (the weekday, day and month), in the current language."""
    return format_datetime(to_ist(value, tz), "EEE d MMM", locale=current_language.get())


def format_ist_time(value: datetime | None, tz: str = "Asia/Kolkata") -> str:
    """A time of day, HH:MM in IST."""
    return "—" if value is None else to_ist(value, tz).strftime("%H:%M")


def format_ist_numeric(value: datetime, tz: str = "Asia/Kolkata") -> str:
    """A time in digits only, DD-MM-YYYY HH:MM IST: for a message read in two languages
    (the owner's SMS), where a month's name would be in the wrong one on one line."""
    local = to_ist(value, tz)
    return f"{format_datetime(local, 'dd-MM-y HH:mm', locale='en')} IST"


def pick(pair: tuple[str, str], lang: str | None = None) -> str:
    """The English or Hindi half of a name stored in both languages (a station's, a
    category's), for a language (default: the request's). Data only: the product's own
    words are in the Babel catalogue."""
    return pair[1] if (lang or current_language.get()) == "hi" else pair[0]
