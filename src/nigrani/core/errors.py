"""Domain errors raised by services, mapped once to HTTP status codes."""

from __future__ import annotations


class NigraniError(Exception):
    """Base of every domain error; `status` is the HTTP code it maps to."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(NigraniError):
    status = 422
    code = "invalid"


class NotFound(NigraniError):
    status = 404
    code = "not_found"


class Conflict(NigraniError):
    status = 409
    code = "conflict"


class Gone(NigraniError):
    """What the link pointed to is over (a hearing ended, a place cancelled)."""

    status = 410
    code = "gone"


class AuthenticationFailed(NigraniError):
    status = 401
    code = "unauthenticated"


class PermissionDenied(NigraniError):
    status = 403
    code = "forbidden"


class CsrfFailed(PermissionDenied):
    code = "csrf"


class RateLimited(NigraniError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(NigraniError):
    status = 413
    code = "too_large"


class Busy(NigraniError):
    """503: the database could not take this request in time; `retry_after` in seconds."""

    status = 503
    code = "busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
