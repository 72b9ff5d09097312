"""Sign-in steps the tests repeat: turning the authenticator on, reading its key."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
from fastapi.testclient import TestClient
from httpx import Response

from tests.accounts.factories import PASSWORD, csrf_from

URI = re.compile(r"(otpauth://[^<\s]+)")


def secret_in(page: Response) -> str | None:
    """The base32 secret of the otpauth:// URI a page shows, if it shows one."""
    match = URI.search(page.text)
    if match is None:
        return None
    uri = unquote(match.group(1)).replace("&amp;", "&")
    return parse_qs(urlparse(uri).query)["secret"][0]


def code_tries(client: TestClient, code: str) -> Response:
    """One authenticator code for the pending sign-in this browser holds."""
    token = csrf_from(client, "/login/totp")
    response: Response = client.post(
        "/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False
    )
    return response


def turn_on_totp(client: TestClient, now: datetime, password: str = PASSWORD) -> str:
    """Through the account page: password, new key, confirming code; the key's secret."""
    token = csrf_from(client, "/account")
    shown = client.post("/account/totp", data={"csrf_token": token, "password": password})
    assert shown.status_code == 200, shown.text
    secret = secret_in(shown)
    assert secret is not None
    code = pyotp.TOTP(secret).at(now)
    done = client.post("/account/totp/confirm", data={"csrf_token": token, "code": code})
    assert done.status_code == 200 and "The new key is in force" in done.text, done.text
    return secret
