"""Pure-ASGI middleware: security headers, a request body cap, and an access log without
query strings (tokens travel in them for WebSockets and must never reach a log)."""

from __future__ import annotations

import json
import re

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codepair.metrics import HttpMetrics

log = structlog.get_logger("codepair.access")

#: A preview link's token travels in its path (an iframe sends no header): never logged.
_PREVIEW_TOKEN = re.compile(r"^(/api/rooms/[^/]+/preview/)[^/]+")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Monaco and TipTap set inline styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(self), display-capture=(self)"),
    (b"content-security-policy", CSP.encode()),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in existing]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunked = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    await _too_large(send)
                    return
            elif name == b"transfer-encoding":
                chunked = True
        if not chunked:
            # The server reads no more body than Content-Length says, and none without it:
            # nothing to count (most requests, every GET), so no wrappers to pay for.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False
        refused = False

        async def guarded_receive() -> Message:
            nonlocal received, refused, started
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Answer 413 now and tell the app the client went away, so that it stops
                    # reading whatever its framework does with a failed read.
                    refused = True
                    if not started:
                        started = True
                        await _too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, guarded_receive, tracking_send)
        if refused:
            await _drain(receive, limit=8 * self.max_bytes)


async def _drain(receive: Receive, *, limit: int) -> None:
    """Read (and drop) the rest of a refused body, up to ``limit`` bytes, so that a client
    still sending gets to read the 413 instead of a reset connection."""
    drained = 0
    while drained < limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": "Request body too large"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessLog(HttpMetrics):
    """Metrics plus one structured line per request: method, path (never the query), status,
    duration. One wrapper for both, so each request is timed and its status caught once."""

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        super().finished(scope, status, seconds)
        path = _PREVIEW_TOKEN.sub(r"\1[token]", scope.get("path", ""))
        if not path.startswith("/assets/"):
            log.info(
                "http_request",
                method=scope.get("method"),
                path=path,
                status=status,
                ms=round(seconds * 1000, 1),
            )
