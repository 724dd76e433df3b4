"""Prometheus metrics of one CodePair process, served at ``GET /metrics``.

Each instance exposes its own numbers and Prometheus adds them up across instances, so nothing
here is shared between processes. Labels take values from small fixed sets (document names,
message kinds, route templates, statuses), never ids: a label per room would grow without
bound.

Latency buckets start at 100 µs because the bus and the hub's fan-out are expected to answer
in well under a millisecond; a default-bucket histogram would put everything in its first bin.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_FAST: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_SLOW: Final = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# --- the room hub --------------------------------------------------------------------------

ROOMS_OPEN = Gauge("codepair_rooms_open", "Rooms loaded in this instance's hub.")
SOCKETS_OPEN = Gauge(
    "codepair_sockets_open", "Open WebSockets, by document (code, notes) or events.", ["doc"]
)
MESSAGES_IN = Counter(
    "codepair_messages_in_total",
    "Messages received from clients, by kind (sync, update, awareness, chat, signal...).",
    ["kind"],
)
MESSAGES_OUT = Counter(
    "codepair_messages_out_total", "Messages sent to clients, by kind.", ["kind"]
)
SLOW_CONSUMERS = Counter(
    "codepair_slow_consumers_total", "Sockets closed because their outbox overflowed."
)

# --- the update log ------------------------------------------------------------------------

UPDATE_LOG_LAG = Histogram(
    "codepair_update_log_lag_seconds",
    "Time from receiving a Yjs update to its commit in the update log.",
    buckets=_SLOW,
)
GROUP_COMMIT_SECONDS = Histogram(
    "codepair_group_commit_seconds",
    "Duration of one group-commit transaction of the update log.",
    buckets=_SLOW,
)
GROUP_COMMIT_UPDATES = Histogram(
    "codepair_group_commit_updates",
    "Updates written by one group commit.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)

# --- the bus -------------------------------------------------------------------------------

BUS_LAG = Histogram(
    "codepair_bus_lag_seconds",
    "Time from publish to receipt on the bus (wall clocks: skew between hosts adds in).",
    buckets=_FAST,
)
BUS_PUBLISH_SECONDS = Histogram(
    "codepair_bus_publish_seconds", "Duration of one publish call to Redis.", buckets=_FAST
)
BUS_MESSAGES = Counter(
    "codepair_bus_messages_total", "Bus messages by direction (in, out).", ["direction"]
)
BUS_GAPS = Counter(
    "codepair_bus_gaps_total",
    "Gaps reported to subscribers (reconnected, publish_failed, overflow).",
    ["reason"],
)
BUS_CONNECTED = Gauge("codepair_bus_connected", "1 while the Redis bus is connected.")

# --- errors, HTTP, runs --------------------------------------------------------------------

ERRORS = Counter("codepair_errors_total", "Errors by kind.", ["kind"])
HTTP_REQUESTS = Counter(
    "codepair_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "codepair_http_request_seconds", "HTTP request duration by route.", ["route"], buckets=_SLOW
)
RUNS = Counter("codepair_runs_total", "Finished code runs by status.", ["status"])
RUN_SECONDS = Histogram(
    "codepair_run_seconds", "Wall time of a code run, queue excluded.", buckets=_SLOW
)
RUNS_QUEUED = Gauge("codepair_runs_queued", "Runs waiting for a free runner slot.")


def exposition(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The body and content type of a ``GET /metrics`` answer."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpMetrics:
    """ASGI middleware counting HTTP requests by route template and status.

    The route template (``/api/rooms/{room_id}``) comes from the matched Starlette route, so
    ids do not become label values; unmatched paths count as ``"unmatched"``. WebSockets are
    counted by the hub as sockets, not here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled series by (method, route, status): ``labels()`` takes a lock and
        # builds its key on every call, and this runs on every request. As bounded as the
        # series themselves.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            self.finished(scope, status, time.perf_counter() - started)

    def finished(self, scope: Scope, status: int, seconds: float) -> None:
        """One request answered; subclasses add to what is recorded (the access log)."""
        key = (scope.get("method", ""), _route_template(scope), status)
        series = self._series.get(key)
        if series is None:
            method, route, _ = key
            series = self._series[key] = (
                HTTP_REQUESTS.labels(method=method, route=route, status=status),
                HTTP_SECONDS.labels(route=route),
            )
        series[0].inc()
        series[1].observe(seconds)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
