"""Pydantic's findings in the reader's language: each common error type says why with its
limit, through the catalogue; a model's own check passes through as written; the pages say
it in Hindi to a Hindi reader."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from nigrani.core import validation
from nigrani.core.i18n import language, translate
from nigrani.core.web_context import LANG_COOKIE
from tests.accounts.test_otp import sign_in_citizen


class Form(BaseModel):
    count: int = Field(default=1, ge=1, le=5)
    name: str = Field(default="a", min_length=1, max_length=3)
    code: str = Field(default="abc", min_length=3)
    day: date = date(2026, 1, 1)
    kind: Literal["x", "y"] = "x"
    ids: list[int] = Field(default=[], max_length=1)
    share: float = Field(default=0.5, gt=0, lt=1)
    end: int = 0

    @field_validator("end")
    @classmethod
    def _after(cls, value: int) -> int:
        if value < 0:
            raise ValueError(translate("The end must be after the start.", "en"))
        return value


def said(**given: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Form.model_validate(given)
    return validation.describe_all(caught.value.errors())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"count": 0}, "count: must be at least 1"),
        ({"count": 6}, "count: must be at most 5"),
        ({"count": "x"}, "count: must be a whole number"),
        ({"count": "1.5"}, "count: must be a whole number"),
        ({"name": ""}, "name: required"),
        ({"name": "abcd"}, "name: longer than 3 characters"),
        ({"code": "ab"}, "code: shorter than 3 characters"),
        ({"day": "2026-02-30"}, "day: must be a date (YYYY-MM-DD)"),
        ({"kind": "z"}, "kind: must be one of the choices offered"),
        ({"ids": [1, 2]}, "ids: no more than 1 allowed"),
        ({"ids": ["a"]}, "ids.0: must be a whole number"),
        ({"share": 0}, "share: must be more than 0"),
        ({"share": 1}, "share: must be less than 1"),
        ({"share": "nan"}, "share: must be less than 1"),
        ({"end": -1}, "The end must be after the start."),
    ],
)
def test_each_kind_of_error_says_why_with_its_limit(
    given: dict[str, object], expected: str
) -> None:
    assert said(**given) == expected


def test_several_errors_are_all_said_and_a_missing_field_is_required() -> None:
    class Needs(BaseModel):
        a: int
        b: str

    with pytest.raises(ValidationError) as caught:
        Needs.model_validate({"a": "x"})
    both = validation.describe_all(caught.value.errors())
    assert both == "a: must be a whole number; b: required"
    refused = validation.failure(caught.value)
    assert (refused.message, refused.field) == ("a: must be a whole number", "a")


def test_the_reasons_are_translated() -> None:
    with language("hi"):
        assert said(count=0) == "count: कम से कम 1 होना चाहिए"
        assert said(name="") == "name: ज़रूरी है"
        assert said(day="x") == "day: तारीख़ होनी चाहिए (YYYY-MM-DD)"


def test_a_page_refusing_a_query_says_so_in_the_readers_language(
    client: TestClient, db: Session
) -> None:
    sign_in_citizen(client, db, "+919876512345")
    english = client.get("/hearings/book")
    assert english.status_code == 422
    assert "window: required" in english.text
    client.cookies.set(LANG_COOKIE, "hi")
    hindi = client.get("/hearings/book", params={"window": "0"})
    assert hindi.status_code == 422
    assert "window: कम से कम 1 होना चाहिए" in hindi.text
    assert "Input should" not in hindi.text
