"""What Pydantic found wrong with an input, in the reader's language.

Pydantic's own messages are English ("Input should be greater than or equal to 1", "Field
required") and reached Hindi pages as they were. Each of its common error types is said
here through the catalogue instead, with its limit ("must be at least 1"); a model's own
checks (`ValueError` in a validator) are already written, and translated, for the reader,
and pass through without Pydantic's "Value error, " prefix. Every form, API and command
that reports a validation error says it through `describe`.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _

CUSTOM = ("value_error", "assertion_error")  # a model's own check: its message is the reason
WHOLE = ("int_parsing", "int_type", "int_from_float", "int_parsing_size")
NUMBER = ("float_parsing", "float_type", "finite_number", "decimal_parsing", "decimal_type")
DATE = ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact")
DATETIME = ("datetime_parsing", "datetime_from_date_parsing", "datetime_type")
TIME = ("time_parsing", "time_type")
URL = ("url_parsing", "url_type", "url_scheme", "url_syntax_violation", "url_too_long")
CHOICE = ("literal_error", "enum")


LIMIT = {  # error type: the key of its limit in the error's context
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
    "less_than": "lt",
    "string_too_long": "max_length",
    "string_too_short": "min_length",
    "too_long": "max_length",
    "too_short": "min_length",
}


def _limited(kind: str, n: object) -> str:
    match kind:
        case "greater_than_equal":
            return _("must be at least {n}").format(n=n)
        case "greater_than":
            return _("must be more than {n}").format(n=n)
        case "less_than_equal":
            return _("must be at most {n}").format(n=n)
        case "less_than":
            return _("must be less than {n}").format(n=n)
        case "string_too_long":
            return _("longer than {n} characters").format(n=n)
        case "string_too_short" if n == 1:
            return _("required")
        case "string_too_short":
            return _("shorter than {n} characters").format(n=n)
        case "too_long":
            return _("no more than {n} allowed").format(n=n)
        case _:
            return _("at least {n} needed").format(n=n)


def _kind(kind: str) -> str:
    if kind in WHOLE:
        return _("must be a whole number")
    if kind in NUMBER:
        return _("must be a number")
    if kind in DATE:
        return _("must be a date (YYYY-MM-DD)")
    if kind in DATETIME:
        return _("must be a date and time")
    if kind in TIME:
        return _("must be a time (HH:MM)")
    if kind in URL:
        return _("must be a full address, such as rtsp://… or https://…")
    if kind in CHOICE:
        return _("must be one of the choices offered")
    return {
        "missing": _("required"),
        "bool_parsing": _("must be yes or no"),
        "bool_type": _("must be yes or no"),
        "string_pattern_mismatch": _("is not in the expected form"),
        "extra_forbidden": _("is not a field of this form"),
    }.get(kind) or _("is not valid")


def reason(error: ErrorDetails) -> str:
    """Why the value was refused, without where (e.g. "must be at least 1")."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in CUSTOM:
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in LIMIT and LIMIT[kind] in ctx:
        limit = ctx[LIMIT[kind]]
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # a float field's bound of 1 was said "1.0"
        return _limited(kind, limit)
    return _kind(kind)


def location(error: ErrorDetails, *, skip: int = 0) -> str | None:
    """Where the value was, dotted ("crowd_waiting.min_people"), less the first `skip`
    parts (FastAPI's "body" / "query"); None for the model as a whole."""
    return ".".join(str(part) for part in error.get("loc", ())[skip:]) or None


def describe(error: ErrorDetails, *, skip: int = 0) -> str:
    """Where and why: "field: reason"; a model's own check says it all by itself."""
    where = location(error, skip=skip)
    said = reason(error)
    return f"{where}: {said}" if where and error["type"] not in CUSTOM else said


def describe_all(errors: list[ErrorDetails], *, skip: int = 0) -> str:
    """Every problem, one after another."""
    return "; ".join(describe(error, skip=skip) for error in errors)


def failure(exc: ValidationError, *, skip: int = 0) -> ValidationFailed:
    """The first problem as the form error naming its field."""
    errors = exc.errors()
    if not errors:
        return ValidationFailed(_("Check the form."))
    return ValidationFailed(describe(errors[0], skip=skip), field=location(errors[0], skip=skip))
