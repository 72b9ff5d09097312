"""Which language a request gets: the link, then the cookie, then Accept-Language as Babel
negotiates it, with the header's q-values honoured."""

from __future__ import annotations

import pytest

from nigrani.core.i18n import accepted_languages, pick_language

SUPPORTED = ("hi", "en")


def _choose(accept: str | None, default: str = "hi") -> str:
    return pick_language(
        query=None, cookie=None, accept=accept, supported=SUPPORTED, default=default
    )


def test_q_values_order_the_header() -> None:
    assert accepted_languages("hi;q=0.1, en;q=0.9") == ["en", "hi"]
    assert accepted_languages("fr, hi-IN;q=0.8, en;q=0.8, de;q=0") == ["fr", "hi-IN", "en"]
    assert accepted_languages("en;q=x, *, ;q=1") == []


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("hi;q=0.1, en;q=0.9", "en"),
        ("en;q=0.2, hi-IN", "hi"),
        ("en-GB,en;q=0.9,hi;q=0.8", "en"),
        ("fr-FR, HI;q=0.5", "hi"),
        ("hi;q=0, en;q=0.1", "en"),
        ("fr, de", "hi"),
        (None, "hi"),
    ],
)
def test_the_browser_preference_is_negotiated(accept: str | None, expected: str) -> None:
    assert _choose(accept) == expected


def test_an_explicit_choice_beats_the_browser() -> None:
    chosen = pick_language(query=None, cookie="en", accept="hi", supported=SUPPORTED, default="hi")
    assert chosen == "en"
    chosen = pick_language(query="hi", cookie="en", accept="en", supported=SUPPORTED, default="en")
    assert chosen == "hi"
