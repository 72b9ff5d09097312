"""The HTTP snapshot check: one GET of the camera's still-picture URL, where one is set.

Many cameras serve a JPEG at an HTTP address beside their RTSP stream (often from a
different process inside the camera). A snapshot that answers while the stream does not
tells the repair team the camera has power and network and its streaming service is what
failed. `fetch_snapshot` never raises for a camera's fault; it returns what it saw:
reachability, the HTTP status class, latency, size, and whether the body is a real JPEG
or PNG (Pillow decodes it). Everything is bounded: one deadline for the whole request, a
size cap read as the body streams in, no redirects followed.

Credentials (in the URL's user part) are sent as HTTP Basic, or Digest when the camera
asks for it, and never appear in what is returned: error texts are scrubbed.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import httpx
from PIL import Image, UnidentifiedImageError

from nigrani.core import urls
from nigrani.health.secrets import scrub

TIMEOUT_S: Final = 3.0
MAX_BYTES: Final = 2_000_000
MAX_PIXELS: Final = 40_000_000  # a 2 MB body claiming more is a decompression bomb
TYPES: Final = {"image/jpeg": "JPEG", "image/png": "PNG"}
PROBLEMS: Final = ("unreachable", "timeout", "http_status", "wrong_type", "too_big", "not_image")


class MaskedUrls(logging.Filter):
    """httpx logs every request's URL at INFO: a snapshot URL's query may hold the
    camera's password (`?pwd=`), so the URLs it logs are masked (core/urls.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                urls.masked(str(arg)) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


_HTTPX_LOG: Final = logging.getLogger("httpx")
if not any(isinstance(f, MaskedUrls) for f in _HTTPX_LOG.filters):
    _HTTPX_LOG.addFilter(MaskedUrls())


@dataclass
class SnapshotResult:
    """What one GET of the snapshot URL saw; `problem` is "" when a picture came."""

    problem: str = ""
    status: int | None = None
    latency_ms: float = 0.0
    size: int = 0
    content_type: str = ""
    width: int = 0
    height: int = 0
    detail: str = ""  # why it failed, scrubbed of any credential

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def answers(self) -> bool:
        """The camera's web server answered at all (any HTTP status)."""
        return self.status is not None

    def measurements(self) -> dict[str, Any]:
        """The numbers to store (JSON-able); never the URL or a credential."""
        values: dict[str, Any] = {
            "ok": self.ok,
            "problem": self.problem,
            "status_class": f"{self.status // 100}xx" if self.status else "",
            "latency_ms": round(self.latency_ms, 1),
            "bytes": self.size,
        }
        if self.content_type:
            values["type"] = self.content_type
        if self.width:
            values["width"], values["height"] = self.width, self.height
        if self.detail:
            values["detail"] = self.detail
        return values


def _auth_and_url(url: str) -> tuple[str, httpx.BasicAuth | None, tuple[str, str] | None]:
    """The URL without its user part, and that user part as Basic auth (to retry as
    Digest when the camera asks for it)."""
    parts = urls.split(url)
    if parts is None or parts.username is None:
        return url, None, None
    user, password = unquote(parts.username), unquote(parts.password or "")
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = parts._replace(netloc=netloc).geturl()
    return bare, httpx.BasicAuth(user, password), (user, password)


def fetch_snapshot(
    url: str, *, timeout_s: float = TIMEOUT_S, max_bytes: int = MAX_BYTES
) -> SnapshotResult:
    """GET the snapshot once and check it is a picture; never raises for the camera."""
    bare, basic, pair = _auth_and_url(url)
    secrets = [url, bare, *(pair or ())]
    started = time.monotonic()
    result = SnapshotResult()
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            _get(client, bare, basic, pair, result, started + timeout_s, max_bytes)
    except httpx.TimeoutException:
        result.problem, result.detail = "timeout", f"no answer within {timeout_s:g} s"
    except (httpx.HTTPError, OSError, ValueError) as exc:
        result.problem = "unreachable"
        result.detail = scrub(f"{type(exc).__name__}: {exc}", *secrets)[:200]
    result.latency_ms = (time.monotonic() - started) * 1000
    return result


def _get(
    client: httpx.Client,
    url: str,
    basic: httpx.BasicAuth | None,
    pair: tuple[str, str] | None,
    result: SnapshotResult,
    deadline: float,
    max_bytes: int,
) -> None:
    with client.stream("GET", url, auth=basic) as response:
        challenge = response.headers.get("www-authenticate", "").lower()
        if response.status_code == 401 and pair and challenge.startswith("digest"):
            response.close()
            with client.stream("GET", url, auth=httpx.DigestAuth(*pair)) as digest:
                _read(digest, result, deadline, max_bytes)
            return
        _read(response, result, deadline, max_bytes)


def _read(
    response: httpx.Response, result: SnapshotResult, deadline: float, max_bytes: int
) -> None:
    result.status = response.status_code
    result.content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not 200 <= response.status_code < 300:
        result.problem, result.detail = "http_status", f"HTTP {response.status_code}"
        return
    if result.content_type not in TYPES:
        result.problem = "wrong_type"
        result.detail = f"content type {result.content_type or 'missing'}"[:120]
        return
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        result.problem, result.size = "too_big", int(declared)
        result.detail = f"{int(declared)} bytes, more than {max_bytes}"
        return
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            result.problem, result.size = "too_big", len(body)
            result.detail = f"more than {max_bytes} bytes"
            return
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the snapshot took too long to arrive")
    result.size = len(body)
    _decode(bytes(body), result)


def _decode(body: bytes, result: SnapshotResult) -> None:
    """Pillow reads the whole picture: a truncated or fake body is not a snapshot."""
    try:
        with Image.open(io.BytesIO(body)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError("picture too large")
            image.load()
            kind = image.format or ""
            result.width, result.height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        result.problem, result.detail = "not_image", f"not a picture ({type(exc).__name__})"
        return
    if kind != TYPES[result.content_type]:
        result.problem = "not_image"
        result.detail = f"says {result.content_type} but is {kind or 'unknown'}"
