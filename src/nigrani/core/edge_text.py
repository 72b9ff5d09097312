"""Control characters and broken UTF-8 in request bodies, found while the bytes stream past
(nothing buffered).

One checker per kind of body: url-encoded forms (percent escapes), multipart forms (text
fields and every part's headers, never a file's bytes) and everything else taken as text
(JSON's `\\u0000` escapes and raw control bytes). `feed` answers the Problem of the first
chunk that carries a control character (the decision is `core.text.has_control`'s) or bytes
that are not UTF-8 (which the parsers after us would silently replace), else None.
"""

from __future__ import annotations

import codecs
import re
from enum import StrEnum
from typing import Protocol
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from nigrani.core.text import has_control

# A JSON escape: `\uXXXX`, or any other backslash pair (so `\\u0000` is no escape).
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_LONGEST_ESCAPE = 6


class Problem(StrEnum):
    """Why a body is refused (truthy, so `if checker.feed(...)` reads as "refuse")."""

    CONTROL = "control"
    ENCODING = "encoding"


def _utf8() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="strict")


def _decodes(decoder: codecs.IncrementalDecoder, data: bytes, *, final: bool) -> bool:
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _raw_control(data: bytes) -> bool:
    # Latin-1 maps each byte to the code point of the same number: a control byte shows.
    return has_control(data.decode("latin-1"))


class BodyChecker(Protocol):
    """Told each chunk of a body; answers what is wrong with it so far, if anything."""

    def feed(self, chunk: bytes, *, final: bool) -> Problem | None: ...


class FormChecker:
    """application/x-www-form-urlencoded: raw bytes and %XX escapes, across chunks. Text
    beyond ASCII must come percent-encoded, as UTF-8 (browsers send nothing else; the
    form parser would turn raw bytes into Latin-1 and broken escapes into U+FFFD)."""

    def __init__(self) -> None:
        self.tail = b""
        self.decoder = _utf8()

    def feed(self, chunk: bytes, *, final: bool) -> Problem | None:
        """What this chunk (with the escape left open by the last) holds that is refused."""
        data = self.tail + chunk
        cut = -1 if final else data.rfind(b"%", max(len(data) - 2, 0))
        self.tail, data = (data[cut:], data[:cut]) if cut >= 0 else (b"", data)
        text = unquote_to_bytes(data)
        if _raw_control(text):
            return Problem.CONTROL
        if not data.isascii() or not _decodes(self.decoder, text, final=final):
            return Problem.ENCODING
        return None


class TextChecker:
    """JSON and other text: raw control bytes, `\\u0000`-style escapes across chunks, and
    bytes that are not UTF-8 (JSON is UTF-8)."""

    def __init__(self) -> None:
        self.tail = b""
        self.decoder = _utf8()

    def feed(self, chunk: bytes, *, final: bool) -> Problem | None:
        """What this chunk (with the escape left open by the last) holds that is refused."""
        if _raw_control(chunk):
            return Problem.CONTROL
        if not _decodes(self.decoder, chunk, final=final):
            return Problem.ENCODING
        return Problem.CONTROL if self._escaped_control(chunk, final=final) else None

    def _escaped_control(self, chunk: bytes, *, final: bool) -> bool:
        data, self.tail = self.tail + chunk, b""
        for match in _ESCAPE.finditer(data):
            if not final and match.start() > len(data) - _LONGEST_ESCAPE:
                self.tail = data[match.start() :]  # may be an escape cut in two
                break
            code = match.group(1)
            if code is not None and has_control(chr(int(code, 16))):
                return True
        return False


class MultipartChecker:
    """multipart/form-data: each part's headers and text fields; file contents pass."""

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        try:
            self.charset = codecs.lookup(params.get(b"charset", b"utf-8").decode("latin-1")).name
        except LookupError:
            self.charset = "latin-1"
        self.found: Problem | None = None
        self.broken = self.is_file = False
        self.field, self.value, self.disposition = b"", b"", b""
        self.decoder = codecs.getincrementaldecoder(self.charset)(errors="strict")
        boundary = params.get(b"boundary")
        callbacks = {
            "on_part_begin": self._begin,
            "on_header_field": self._field,
            "on_header_value": self._value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }
        self.parser = MultipartParser(boundary, callbacks) if boundary else None  # type: ignore[arg-type]

    def _check(self, data: bytes, *, final: bool = True) -> Problem | None:
        # The raw bytes too: Starlette falls back to Latin-1 where the charset fails.
        if _raw_control(data):
            return Problem.CONTROL
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError:
            return Problem.ENCODING
        return Problem.CONTROL if has_control(text) else None

    def _begin(self) -> None:
        self.is_file, self.disposition = False, b""
        self.decoder.reset()

    def _field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def _header_end(self) -> None:
        for part in (self.field, self.value):
            self.decoder.reset()
            self.found = self.found or self._check(part)
        self.decoder.reset()
        if self.field.lower() == b"content-disposition":
            self.disposition = self.value
        self.field, self.value = b"", b""

    def _headers_finished(self) -> None:
        # Starlette's rule: a part with a filename is a file, whatever its content.
        self.is_file = b"filename" in parse_options_header(self.disposition)[1]

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self.is_file and not self.found:
            self.found = self._check(data[start:end], final=False)

    def _end(self) -> None:
        if not self.is_file and not self.found:
            self.found = self._check(b"")  # a character cut off by the part's end

    def feed(
        self,
        chunk: bytes,
        *,
        final: bool,  # noqa: ARG002 - every checker takes final
    ) -> Problem | None:
        """What the parts seen so far hold outside a file that is refused, if anything."""
        if self.parser is None or self.broken:
            return None  # the app's own parser refuses what ours cannot read
        try:
            self.parser.write(chunk)
        except MultipartParseError:
            self.broken = True
        return self.found


def checker_for(content_type: str) -> BodyChecker:
    """The checker for a body of this type (a body of any other type is taken as text)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        return MultipartChecker(content_type)
    if kind == "application/x-www-form-urlencoded":
        return FormChecker()
    return TextChecker()
