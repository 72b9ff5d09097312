"""The template registry: DLT forms, variable limits, Unicode detection, redaction."""

from __future__ import annotations

import pytest

from nigrani.core.sms import templates
from nigrani.core.sms.templates import DLT_VAR, SLOTS, TEMPLATES


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_template_has_a_dlt_form_with_one_var_per_slot(name: str) -> None:
    tpl = TEMPLATES[name]
    slots = sum(SLOTS.get(v, 1) * tpl.text.count("{" + v + "}") for v in tpl.variables)
    assert tpl.dlt_text().count(DLT_VAR) == slots and "{" + "#var#}" in tpl.dlt_text()
    assert name.endswith((".en", ".hi")) or name.startswith("footage.")
    hindi = name.endswith(".hi") or name.startswith("footage.")
    assert templates.is_unicode(tpl.text) == hindi  # English alone stays GSM-7


def test_each_english_template_has_a_hindi_one() -> None:
    english = {n.removesuffix(".en") for n in TEMPLATES if n.endswith(".en")}
    hindi = {n.removesuffix(".hi") for n in TEMPLATES if n.endswith(".hi")}
    assert english == hindi


def test_values_are_cut_to_their_var_and_lose_line_breaks() -> None:
    tpl = templates.get("complaint.reply.en")
    fitted = templates.values_for(tpl, {"n": "C-1", "url": "u", "text": "a\nb " + "x" * 200})
    assert fitted["text"].startswith("a b ") and fitted["text"].endswith("...")
    assert len(fitted["text"]) == 90 and not templates.is_unicode(templates.render(tpl, fitted))


def test_a_missing_variable_or_template_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs code"):
        templates.values_for(templates.get("otp.en"), {"minutes": 5})
    with pytest.raises(LookupError, match=r"otp\.fr"):
        templates.get("otp.fr")


def test_secrets_are_dots_in_what_is_kept() -> None:
    tpl = templates.get("footage.request")
    fitted = templates.values_for(
        tpl, {"n": "I-1", "start": "1", "end": "2", "link": "https://x/f/SECRET"}
    )
    assert "SECRET" in templates.render(tpl, fitted)
    assert "SECRET" not in templates.redacted(tpl, fitted)
