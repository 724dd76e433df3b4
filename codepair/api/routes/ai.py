"""The AI assistant over HTTP (docs/ai.md): ``GET /api/ai``, a room's conversation, and a
drafted summary. Questions and answers themselves travel on the events socket."""

from __future__ import annotations

from fastapi import APIRouter, Request

from codepair.api.deps import CurrentPrincipal, CurrentUser, DbSession, SettingsDep
from codepair.api.errors import errors
from codepair.api.schemas.ai import AiMessageList, AiMessageOut, AiStatusOut, AiSummaryOut
from codepair.domain.ai import conversation, summary
from codepair.domain.ai.model import Model, ModelError
from codepair.domain.ai.prompt import summary_messages
from codepair.domain.errors import Unavailable
from codepair.domain.interviews import rooms
from codepair.domain.projects.tree import read_tree
from codepair.domain.ratelimit import RateLimiter
from codepair.domain.record import history

router = APIRouter(tags=["ai"])


@router.get("/api/ai")
async def ai_status(_principal: CurrentPrincipal, settings: SettingsDep) -> AiStatusOut:
    """Whether this server has a model for the assistant, and which."""
    return AiStatusOut(
        enabled=settings.ai_enabled, model=settings.ai_model if settings.ai_enabled else None
    )


@router.get("/api/rooms/{room_id}/ai/messages")
async def ai_messages(room_id: str, principal: CurrentPrincipal, db: DbSession) -> AiMessageList:
    """The room's conversation with the assistant, oldest first: for the candidate the shared
    one, for interviewers every question and answer (private ones marked)."""
    await rooms.room_for(db, principal, room_id, interviewer=False)
    items = await conversation.transcript(db, room_id, viewer=principal)
    return AiMessageList(items=[AiMessageOut.model_validate(m) for m in items])


def _summary_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "ai_summary_limiter", None)
    if limiter is None:
        per_minute = request.app.state.settings.ai_summary_per_minute
        limiter = request.app.state.ai_summary_limiter = RateLimiter(per_minute, 60)
    return limiter


@router.post("/api/rooms/{room_id}/ai/summary", responses=errors(429, 503))
async def ai_summary(
    room_id: str, request: Request, principal: CurrentUser, db: DbSession, settings: SettingsDep
) -> AiSummaryOut:
    """A draft for the scorecard's summary from the record (final code, runs and test
    results, activity, AI usage), with links into the replay. Nothing is saved."""
    room, _role = await rooms.room_for(db, principal, room_id)
    model: Model | None = getattr(request.app.state, "ai_model", None)
    if model is None:
        raise Unavailable("The AI assistant is not configured on this server")
    _summary_limiter(request).hit(str(principal.user_id))
    _seq, ydoc = await history.doc_at(db, room_id, "code", None)
    tree = read_tree(ydoc, room.language)
    facts = await summary.record_facts(db, room, tree, code_max_chars=settings.ai_code_max_chars)
    await db.commit()  # the model takes seconds: hold no transaction meanwhile
    messages = summary_messages(default_prompt=settings.ai_system_prompt, facts=facts.text)
    try:
        text = await model.complete(messages, max_tokens=settings.ai_summary_max_tokens)
    except ModelError as exc:
        raise Unavailable(str(exc)) from exc
    return AiSummaryOut(
        summary=summary.draft(text, facts, base_url=settings.public_url, room_id=room_id)
    )
