"""The Hindi catalogue: every string in the source is translated, placeholders survive,
the committed .mo matches the .po, and the Hindi is actually Hindi."""

from __future__ import annotations

import re
from collections.abc import Iterator
from configparser import RawConfigParser
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from nigrani.core import i18n

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "nigrani"
BABEL_CFG = ROOT / "babel.cfg"
PO = i18n.LOCALE_DIR / "hi" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")

# The keywords `make i18n` passes to pybabel (-k _ -k gettext -k ngettext:1,2
# -k lazy_gettext) on top of pybabel's defaults.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
}

PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdifr]|%%")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
# Words that stay as they are in Hindi; a msgid made only of these (and digits,
# punctuation, placeholders) needs no Devanagari.
TECHNICAL = frozenset(
    {"SHA-256", "IST", "GeoJSON", "TOTP", "CSRF", "SMS", "OTP", "API", "JSON", "Open311"}
)

MessageId = str | tuple[str, ...]


def _mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """babel.cfg's method map and options, as pybabel reads them.

    babel.cfg names files from the repository root (src/nigrani/...); the patterns are
    rebased onto the package folder, which is what `make i18n` extracts from.
    """
    parser = RawConfigParser()
    parser.read(BABEL_CFG, encoding="utf-8")
    prefix = f"{PACKAGE.relative_to(ROOT).as_posix()}/"
    method_map: list[tuple[str, str]] = []
    options_map: dict[str, dict[str, Any]] = {}
    for section in parser.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        pattern = pattern.removeprefix(prefix)
        method_map.append((pattern, method))
        options_map[pattern] = dict(parser.items(section))
    return method_map, options_map


def _extracted() -> dict[MessageId, list[str]]:
    """Every message the source asks to translate, with where it was found."""
    method_map, options_map = _mapping()
    found: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def _catalog() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="hi", domain=i18n.DOMAIN)


def _messages(catalog: Catalog) -> Iterator[Message]:
    """The catalogue's messages, without the header entry."""
    return (m for m in catalog if m.id)


def _strings(value: object) -> list[str]:
    """A msgid or msgstr as a list of its forms (one unless it has plurals)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [str(v) if v is not None else "" for v in value]
    return [""]


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _is_technical(msgid: str) -> bool:
    rest = PLACEHOLDER.sub(" ", msgid)
    words = re.findall(r"[A-Za-z][\w.-]*", rest)
    return all(w in TECHNICAL or "_" in w for w in words)


def test_catalogue_header() -> None:
    catalog = _catalog()
    assert str(catalog.locale) == "hi"
    assert catalog.num_plurals == 2
    assert catalog.plural_expr == "(n > 1)"


def test_every_source_string_is_translated() -> None:
    extracted = _extracted()
    assert extracted, "extraction found no messages: check babel.cfg"
    catalog = _catalog()
    problems = []
    for msgid, where in sorted(extracted.items(), key=lambda kv: str(kv[0])):
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = catalog.get(key)
        if message is None:
            problems.append(f"missing (run `make i18n`): {msgid!r} at {where[0]}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} at {where[0]}")
        elif not all(s.strip() for s in _strings(message.string)):
            problems.append(f"untranslated: {msgid!r} at {where[0]}")
    assert not problems, "\n".join(problems)


def test_catalogue_has_no_stale_messages() -> None:
    extracted = {m if isinstance(m, str) else m[0] for m in _extracted()}
    stale = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in _messages(_catalog()))
    stale = [m for m in stale if m not in extracted]
    assert not stale, f"no longer in the source (run `make i18n`): {stale}"


def test_translations_keep_placeholders() -> None:
    problems = []
    for message in _messages(_catalog()):
        ids = _strings(message.id)
        wanted = [_placeholders(i) for i in ids]
        for form in _strings(message.string):
            if not form:
                continue
            if _placeholders(form) not in wanted:
                problems.append(f"{ids[0]!r}: {sorted(_placeholders(form))} vs {wanted}")
            # Jinja's newstyle gettext %-formats every string, so a stray % breaks a page.
            if form.count("%") != ids[-1].count("%"):
                problems.append(f"{ids[0]!r}: '%' count differs in {form!r}")
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_is_up_to_date() -> None:
    fresh = BytesIO()
    write_mo(fresh, _catalog())
    fresh.seek(0)
    with MO.open("rb") as f:
        committed = Translations(fp=f, domain=i18n.DOMAIN)
    expected = Translations(fp=fresh, domain=i18n.DOMAIN)
    # GNUTranslations keeps its messages in _catalog, which has no public accessor.
    have = set(vars(committed)["_catalog"].items())
    want = set(vars(expected)["_catalog"].items())
    assert have == want, (
        "messages.mo is stale: run `make i18n` and commit it. "
        f"Only in .po: {sorted(want - have, key=str)[:10]}; "
        f"only in .mo: {sorted(have - want, key=str)[:10]}"
    )


def test_hindi_is_written_in_devanagari() -> None:
    problems = []
    for message in _messages(_catalog()):
        msgid = _strings(message.id)[0]
        if _is_technical(msgid):
            continue
        for form in _strings(message.string):
            if form and not DEVANAGARI.search(form):
                problems.append(f"{msgid!r} -> {form!r}")
    assert not problems, "\n".join(problems)


def test_app_loads_the_hindi_catalogue() -> None:
    hindi = i18n.translations("hi")
    assert hindi.gettext("Sign in") != "Sign in"
    assert DEVANAGARI.search(hindi.gettext("Mobile number"))
