"""Indian mobile numbers: validation to E.164 and masking for display."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

_MOBILE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(raw: str, region: str = "IN") -> str:
    """An Indian mobile number in E.164 (+91XXXXXXXXXX), or a clear error."""
    message = _("Enter a valid 10-digit Indian mobile number, for example 98765 43210.")
    text = (raw or "").strip()
    if not text or len(text) > 20:
        raise ValidationFailed(message, field="mobile")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise ValidationFailed(message, field="mobile") from exc
    if (
        number.country_code != 91
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE
    ):
        raise ValidationFailed(message, field="mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(e164: str) -> str:
    """Only the last two digits show: +91 ******** 10."""
    return f"+91 ********{e164[-2:]}"
