"""Content codings: which ones a client accepts, and large JSON answers sent gzipped.

Most answers are a few kilobytes and go out as they are: compressing them would cost the event
loop more than it saves on the network (the production proxy compresses them anyway,
``deploy/Caddyfile``). The replay is megabytes (an hour: 2.6 MB of JSON, mostly base64): it is
gzipped in a worker thread (zlib releases the GIL) for a client that accepts it, to 1.1 MB
(its keyframes are zlib already; the updates shrink about five times).
"""

from __future__ import annotations

import asyncio
import gzip

from starlette.requests import Request
from starlette.responses import Response

# Level 6: a replay's updates 5.6 times smaller in 14 ms per megabyte; level 9 gains 1% for
# four times the time, level 1 loses 15%.
GZIP_LEVEL = 6


def accepted_encodings(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header allows (``q=0`` refuses one)."""
    accepted: set[str] = set()
    for part in header.lower().split(","):
        name, _, param = part.partition(";")
        param = param.strip()
        try:
            allowed = not param.startswith("q=") or float(param[2:]) > 0
        except ValueError:
            allowed = False
        if name.strip() and allowed:
            accepted.add(name.strip())
    return accepted


def accepts_gzip(request: Request) -> bool:
    return "gzip" in accepted_encodings(request.headers.get("accept-encoding", ""))


async def gzipped(body: bytes) -> bytes:
    """``body`` gzipped off the event loop."""
    return await asyncio.to_thread(gzip.compress, body, GZIP_LEVEL)


def json_response(body: bytes, *, gzipped_body: bytes | None = None) -> Response:
    """A serialized JSON answer, gzipped when ``gzipped_body`` is given (the client said it
    accepts it); either way it varies with Accept-Encoding."""
    headers = {"vary": "Accept-Encoding"}
    if gzipped_body is None:
        return Response(content=body, media_type="application/json", headers=headers)
    headers["content-encoding"] = "gzip"
    return Response(content=gzipped_body, media_type="application/json", headers=headers)
