"""Error responses: ``{"detail": ...}`` with the right status, never a traceback or SQL.

One shape (docs/api.md): ``detail`` is a sentence safe to show, except when a request fails
validation, where it is the list of what is wrong (``ValidationIssue``), without the input.
``errors()`` documents a route's error statuses with these models; ``codepair.api.openapi``
adds the ones every route of a kind has (401, 403, 404, 413, 422).
"""

from __future__ import annotations

import math
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from codepair.domain.errors import DomainError, RateLimited

log = structlog.get_logger("codepair.api")


class ErrorOut(BaseModel):
    """Any refusal: what went wrong, in a sentence safe to show."""

    detail: str


class ValidationIssue(BaseModel):
    """One thing wrong with a request's input (the input itself is never echoed)."""

    loc: list[str | int] = Field(description="Where: path, query, header or body, then names")
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """422: the list of issues when the request does not match the schema; a sentence when
    it does but the values cannot be accepted (an end before the start, an unknown run)."""

    detail: str | list[ValidationIssue]


# PostgreSQL's text cannot hold NUL (U+0000): SQLSTATE 22021 (character_not_in_repertoire,
# "invalid byte sequence for encoding UTF8: 0x00"); 22P05 for JSON text.
TEXT_REFUSED = {"22021", "22P05"}
NUL_TEXT = "Text must not contain NUL characters (U+0000)"

# Validation error types of a number outside its bounds.
OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}

DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid token (WWW-Authenticate: Bearer)",
    403: "Authenticated, but not allowed (role, room or token scope)",
    404: "No such thing, or not visible to the caller",
    409: "Conflicts with the current state",
    410: "Gone",
    413: "Request body too large",
    422: "Invalid input",
    429: "Rate limited (Retry-After says when to try again)",
    503: "Unavailable for now",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with its description and error model."""
    return {
        status: {
            "model": ValidationErrorOut if status == 422 else ErrorOut,
            "description": DESCRIPTIONS[status],
        }
        for status in statuses
    }


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field-level messages without echoing the input back (it may be huge or secret).
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        if errors and all(
            err["loc"][:1] == ["path"] and err["type"] in OUT_OF_RANGE for err in errors
        ):
            # A path id out of range (codepair.api.bounds) names no row.
            return JSONResponse({"detail": "Not found"}, status_code=404)
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # Any text input reaches a query somewhere; refusing NUL in each one by hand would
        # miss one, and SQLite stores it. The request's transaction is rolled back.
        if getattr(exc.orig, "sqlstate", None) in TEXT_REFUSED:
            return JSONResponse({"detail": NUL_TEXT}, status_code=422)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
