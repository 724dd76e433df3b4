"""The assistant in the rooms: checks a question, streams the answer, keeps it on the record.

The hub hands a question over (:meth:`Assistant.ask`) and goes on: the checks take one short
read, and the answer streams in a task of its own, so no socket waits for the model. Pieces
of the answer are batched (:data:`DELTA_SECONDS`) before they go to the room, so a fast model
costs the hub a few dozen messages a second at most, whatever its token rate.

What the assistant needs of the hub is :class:`RoomLink` (broadcast to a room, read its code);
what the hub needs of the assistant is its ``ask`` and ``inserted`` (the hub declares that
side in its own Protocol).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import structlog
from pycrdt import Doc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.config import Settings
from codepair.db.engine import transaction
from codepair.domain.ai import conversation
from codepair.domain.ai.model import Model, ModelError, Usage
from codepair.domain.ai.prompt import ask_messages
from codepair.domain.projects.tree import read_tree
from codepair.domain.record.timeline import actor, add_event
from codepair.security.tokens import Principal, new_id

log = structlog.get_logger("codepair.ai")

DELTA_SECONDS = 0.03  # pieces of an answer are sent at most this often
MAX_INSERT_CHARS = 20_000

# Error codes of the events socket's ``error`` message for the assistant.
AI_OFF = "ai_off"
AI_FAILED = "ai_failed"
TOO_LARGE = "too_large"
RATE_LIMITED = "rate_limited"
FORBIDDEN = "forbidden"
INVALID = "invalid_message"

Tell = Callable[[str, str], None]  # (code, message): an error to the asker's socket


class RoomLink(Protocol):
    """What the assistant needs of the hub."""

    async def broadcast(
        self, room_id: str, event: dict[str, Any], *, interviewers_only: bool = False
    ) -> None: ...

    async def document(self, room_id: str, doc: str = "code") -> Doc[Any]: ...


class Assistant:
    """The rooms' assistant in this process."""

    def __init__(
        self, settings: Settings, db: async_sessionmaker[AsyncSession], link: RoomLink
    ) -> None:
        self.settings = settings
        self._db = db
        self._link = link
        self.model = Model(settings) if settings.ai_enabled else None
        self._streams_room: Counter[str] = Counter()
        self._streams_person: Counter[tuple[str, str]] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.model is not None:
            await self.model.aclose()

    # --- a question ------------------------------------------------------------------------

    async def ask(
        self,
        room_id: str,
        principal: Principal,
        text: str,
        *,
        include_code: bool,
        private: bool,
        tell: Tell,
    ) -> None:
        """Check a question and start its answer; a refusal goes to ``tell`` only."""
        s = self.settings
        if self.model is None:
            tell(AI_OFF, "The AI assistant is not configured on this server")
            return
        text = text.strip()
        if not text:
            tell(INVALID, "ai.ask: text is empty")
            return
        if len(text) > s.ai_prompt_max_chars:
            tell(TOO_LARGE, f"Questions to the assistant are limited to "
                            f"{s.ai_prompt_max_chars} characters")
            return
        if private and principal.is_candidate:
            tell(FORBIDDEN, "Only interviewers can ask the assistant privately")
            return
        who = principal.identity
        if (
            sum(self._streams_room.values()) >= s.ai_streams_total
            or self._streams_room[room_id] >= s.ai_streams_per_room
            or self._streams_person[(room_id, who)] >= s.ai_streams_per_person
        ):
            tell(RATE_LIMITED, "An answer is still being written; wait for it to finish")
            return
        # The slot is taken before the first await, so two quick questions cannot both pass.
        self._streams_room[room_id] += 1
        self._streams_person[(room_id, who)] += 1
        started = False
        try:
            started = await self._start(room_id, principal, text, include_code, private, tell)
        finally:
            if not started:
                self._release(room_id, who)

    def _release(self, room_id: str, who: str) -> None:
        self._streams_room[room_id] -= 1
        self._streams_person[(room_id, who)] -= 1
        if self._streams_room[room_id] <= 0:
            del self._streams_room[room_id]
        if self._streams_person[(room_id, who)] <= 0:
            del self._streams_person[(room_id, who)]

    async def _start(
        self,
        room_id: str,
        principal: Principal,
        text: str,
        include_code: bool,
        private: bool,
        tell: Tell,
    ) -> bool:
        s = self.settings
        who = principal.identity
        async with self._db() as db:
            room = await conversation.room_ai(db, room_id)
            if room.ended:
                tell(FORBIDDEN, "This interview has ended")
                return False
            # Off refuses the room's conversation; an interviewer's private question (such as
            # "explain this code") needs only a configured model (docs/ai.md).
            if not room.on and not private:
                tell(AI_OFF, "The AI assistant is off in this interview")
                return False
            used = await conversation.usage(db, room_id, who)
            history = await conversation.history(
                db, room_id, who, private=private, limit=s.ai_history_messages
            )
        if (
            used.person_prompts >= s.ai_prompts_per_person
            or used.room_prompts >= s.ai_prompts_per_room
        ):
            tell(RATE_LIMITED, "The assistant's question limit for this interview is reached")
            return False
        if (
            used.person_tokens >= s.ai_tokens_per_person
            or used.room_tokens >= s.ai_tokens_per_room
        ):
            tell(RATE_LIMITED, "The assistant's token budget for this interview is spent")
            return False
        tree = None
        if include_code:
            tree = read_tree(await self._link.document(room_id, "code"))
        messages = ask_messages(
            default_prompt=s.ai_system_prompt,
            room_prompt=room.prompt,
            history=history,
            question=text,
            code=tree,
            code_max_chars=s.ai_code_max_chars,
        )
        async with transaction(self._db) as db:
            question = await conversation.add_message(
                db, room_id, role="user", text=text, asker=who, author=principal,
                private=private, include_code=include_code,
            )
            shown = conversation.message_dict(question)
        await self._link.broadcast(
            room_id, {"type": "ai.message", "message": shown}, interviewers_only=private
        )
        task = asyncio.create_task(
            self._answer(room_id, who, question.id, private, messages, tell),
            name=f"ai-{room_id}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _answer(
        self,
        room_id: str,
        who: str,
        question_id: str,
        private: bool,
        messages: list[dict[str, str]],
        tell: Tell,
    ) -> None:
        assert self.model is not None
        answer_id = new_id()
        usage = Usage()
        parts: list[str] = []
        pending: list[str] = []
        status, error = "ok", ""
        last = 0.0  # the first piece goes out at once: time to first token is what people feel
        try:
            async with asyncio.timeout(self.settings.ai_answer_seconds):
                async for piece in self.model.stream(messages, usage):
                    parts.append(piece)
                    pending.append(piece)
                    now = time.monotonic()
                    if now - last >= DELTA_SECONDS:
                        await self._delta(room_id, answer_id, question_id, pending, private)
                        pending, last = [], now
            if pending:
                await self._delta(room_id, answer_id, question_id, pending, private)
        except TimeoutError:
            status, error = "cut", "The answer took too long and was cut off"
        except ModelError as exc:
            status, error = "error", str(exc)
        except Exception:  # a bug: the room hears of it, the assistant goes on
            log.exception("ai_answer_failed", room=room_id)
            status, error = "error", "The answer could not be completed"
        finally:
            self._release(room_id, who)
        text = "".join(parts)
        if status != "ok":
            log.warning("ai_answer_incomplete", room=room_id, status=status, error=error)
            tell(AI_FAILED, error)  # the asker's pane says why, beside the partial answer
        try:
            async with transaction(self._db) as db:
                answer = await conversation.add_message(
                    db, room_id, role="assistant", text=text if status != "error" else error,
                    asker=who, author=None, private=private, reply_to=question_id,
                    status=status, prompt_tokens=usage.prompt_tokens,
                    completion_tokens=usage.completion_tokens, message_id=answer_id,
                )
                shown = conversation.message_dict(answer)
        except Exception as exc:  # the room was deleted meanwhile, or the database is down
            log.warning("ai_answer_not_stored", room=room_id, error=type(exc).__name__)
            return
        if error:
            shown["error"] = error
        await self._link.broadcast(
            room_id, {"type": "ai.message", "message": shown}, interviewers_only=private
        )

    async def _delta(
        self, room_id: str, answer_id: str, question_id: str, pieces: list[str], private: bool
    ) -> None:
        event = {"type": "ai.delta", "id": answer_id, "reply_to": question_id,
                 "text": "".join(pieces)}
        await self._link.broadcast(room_id, event, interviewers_only=private)

    # --- code taken from an answer -------------------------------------------------------

    async def inserted(
        self, room_id: str, principal: Principal, message_id: str, text: str, *, tell: Tell
    ) -> None:
        """Record that ``principal`` put (part of) an answer into the code, for the report's
        "code inserted from answers" and "reached the final code"."""
        if len(text) > MAX_INSERT_CHARS or not text.strip():
            tell(INVALID, "ai.insert: text is empty or too long")
            return
        async with transaction(self._db) as db:
            answer = await conversation.visible_answer(db, room_id, message_id, principal)
            if answer is None or text.strip() not in answer:
                tell(INVALID, "ai.insert: no such answer holds this text")
                return
            await add_event(
                db, room_id, "ai_insert", **actor(principal),
                data={"message_id": message_id, "chars": len(text), "text": text},
            )
