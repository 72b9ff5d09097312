"""Files handed out as downloads: always an attachment of a neutral type, never inline."""

from __future__ import annotations

from fastapi.responses import FileResponse

ATTACHMENT = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def download(path: object, filename: str) -> FileResponse:
    """A stored file as an attachment of a neutral type."""
    return FileResponse(
        str(path), media_type="application/octet-stream", filename=filename, headers=ATTACHMENT
    )
