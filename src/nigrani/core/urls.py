"""Camera stream addresses read without ever raising: a typed URL is accepted, or refused
with a message that says what to fix (`urlsplit` raises on `[::1` and reading the port of
`:99999`, which were 500s)."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from nigrani.core.i18n import gettext


def split(url: str) -> SplitResult | None:
    """The URL's parts, or None when it is not a readable address (brackets, port)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:
        return None
    return parts


def stream_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    """What is wrong with a stream URL (translated), or None if it can be used."""
    parts = split(url)
    if parts is None or parts.scheme + "://" not in schemes:
        return gettext(
            "Give the stream address as {schemes} followed by the camera's host, "
            "for example rtsp://192.168.1.20:554/stream1."
        ).format(schemes=" or ".join(schemes))
    if not parts.hostname:
        return gettext("The stream address has no host: add the camera's IP address or name.")
    if parts.port == 0:
        return gettext("The stream address's port must be a number from 1 to 65535.")
    return None


def masked(url: str) -> str:
    """The URL without its user, password and query: safe to show and log. Never raises."""
    parts = split(url)
    if parts is None:
        return gettext("(an address that cannot be read)")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
