"""Domain errors; the API layer maps each to an HTTP status, the hub to a close code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``detail`` is safe to show to the client."""

    status = 400

    def __init__(self, detail: str, *, keep_changes: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        # Commit what the request did before it was refused (e.g. revoking a stolen session).
        self.keep_changes = keep_changes


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Gone(DomainError):
    status = 410


class PayloadTooLarge(DomainError):
    status = 413


class Unprocessable(DomainError):
    status = 422


class Unavailable(DomainError):
    status = 503


class RateLimited(DomainError):
    status = 429

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
