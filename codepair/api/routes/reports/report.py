"""``GET /api/rooms/{id}/report?format=md|pdf|json``: the interview report.

For the room's interviewers and leads (candidates 403, anyone else 404, no token 401). The
PDF is rendered in a worker thread, a few at a time, and each person may ask for a bounded
number of reports a minute: a report is the heaviest read the API has.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Literal

from fastapi import APIRouter, Request, Response

from codepair.api.deps import CurrentUser, DbSession, client_ip
from codepair.api.errors import errors
from codepair.domain.interviews import rooms
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.reports import markdown as report_markdown
from codepair.domain.reports import pdf as report_pdf
from codepair.domain.reports import report
from codepair.domain.reports.scorecards import optional_module
from codepair.hub.store import UpdateLog

router = APIRouter(tags=["report"])

REPORTS_PER_MINUTE = 30
PDF_AT_ONCE = 2
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "report_limiter", None)
    if limiter is None:
        limiter = request.app.state.report_limiter = RateLimiter(REPORTS_PER_MINUTE, 60)
    return limiter


def _pdf_slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "report_pdf_slots", None)
    if slots is None:
        slots = request.app.state.report_pdf_slots = asyncio.Semaphore(PDF_AT_ONCE)
    return slots


async def _documents(request: Request, room_id: str) -> report.Documents:
    """The room's documents: live from the hub when it is in this process, else the log."""
    hub = getattr(request.app.state, "hub", None)
    log = UpdateLog(request.app.state.db, request.app.state.reads)

    async def read(doc: str) -> Any:
        if hub is not None:
            return await hub.document(room_id, doc)
        return await log.read(room_id, doc)

    has_board = optional_module("codepair.domain.record.board") is not None
    return report.Documents(
        code=await read("code"),
        notes=await read("notes"),
        board=await read("board") if has_board else None,
    )


def _filename(candidate: str, ext: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", candidate).strip("-").lower()[:60] or "candidate"
    return f"interview-{slug}.{ext}"


@router.get(
    "/api/rooms/{room_id}/report",
    response_class=Response,
    responses={
        200: {
            "description": "The report, as ``format`` asks (an attachment but for JSON)",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/markdown": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **errors(429, 503),
    },
)
async def room_report(
    room_id: str,
    request: Request,
    principal: CurrentUser,
    db: DbSession,
    format: Literal["md", "pdf", "json"] = "json",
) -> Response:
    """The report of the interview as Markdown, PDF or JSON."""
    room, _ = await rooms.room_for(db, principal, room_id)
    _limiter(request).hit(str(principal.user_id))
    settings = request.app.state.settings
    docs = await _documents(request, room.id)
    data = await report.build_report(db, principal, room, docs, base_url=settings.public_url)
    audit = optional_module("codepair.domain.operations.audit")
    if audit is not None:
        await audit.record(
            db,
            "report.downloaded",
            actor=principal,
            ip=client_ip(request),
            room_id=room.id,
            detail={"format": format},
        )
    if format == "json":
        body: bytes = json.dumps(data, ensure_ascii=False).encode()
    elif format == "md":
        body = report_markdown.to_markdown(data).encode()
    else:
        # Commit first: rendering takes seconds, and the transaction (with the audit row's
        # write lock on SQLite) must not stay open while it runs.
        await db.commit()
        async with _pdf_slots(request):
            body = await asyncio.to_thread(report_pdf.to_pdf, data)
    disposition = "inline" if format == "json" else "attachment"
    filename = _filename(room.candidate_name, format)
    return Response(
        body,
        media_type=MEDIA_TYPES[format],
        headers={
            "content-disposition": f'{disposition}; filename="{filename}"',
            "cache-control": "no-store",
        },
    )
