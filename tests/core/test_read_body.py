"""core.edge.read_body: a route's raw body read whole, refused past its limit by the declared
length before any byte is read, or at the chunk that passes the limit."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.types import Message

from nigrani.core import edge
from nigrani.core.errors import PayloadTooLarge


def _request(chunks: list[bytes], length: str | None) -> tuple[Request, list[int]]:
    """A request whose body comes in `chunks`; the list counts the chunks read."""
    headers = [] if length is None else [(b"content-length", length.encode())]
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    read: list[int] = []

    async def receive() -> Message:
        read.append(1)
        body = chunks[len(read) - 1]
        return {"type": "http.request", "body": body, "more_body": len(read) < len(chunks)}

    return Request(scope, receive), read


def _read(request: Request, limit: int) -> bytes:
    return asyncio.run(edge.read_body(request, limit=limit, refusal="too big"))


def test_a_body_within_its_limit_is_read_whole() -> None:
    request, _ = _request([b"abc", b"def"], "6")
    assert _read(request, 6) == b"abcdef"
    unsized, _ = _request([b"abc", b"def"], "not a number")  # a bad length: counted instead
    assert _read(unsized, 6) == b"abcdef"


def test_a_body_past_its_limit_is_refused_by_length_or_at_the_chunk() -> None:
    declared, read = _request([b"abcdef"], "7")
    with pytest.raises(PayloadTooLarge, match=r"^too big$"):
        _read(declared, 6)
    assert read == []  # refused before the first byte
    streamed, read = _request([b"abcd", b"efg", b"never read"], None)
    with pytest.raises(PayloadTooLarge, match=r"^too big$"):
        _read(streamed, 6)
    assert len(read) == 2
