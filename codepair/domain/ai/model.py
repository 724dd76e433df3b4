"""The model: any OpenAI-compatible chat server, through the ``openai`` SDK.

llama.cpp's server, Ollama and vLLM all speak ``/v1/chat/completions`` with Server-Sent
Events; the SDK reads them (DESIGN.md: a well-kept client rather than hand-parsed SSE). One
client a process, no retries (a retried stream would repeat what the room already saw), and
every failure becomes a :class:`ModelError` whose message can be shown to the person who
asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from codepair.config import Settings
from codepair.domain.ai.prompt import ChatMessage

if TYPE_CHECKING:
    from openai import AsyncOpenAI


class ModelError(Exception):
    """The model could not answer; ``str(exc)`` is fit for the pane."""


@dataclass(slots=True)
class Usage:
    """Tokens of one answer: the server's count when it sends one, else an estimate."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = True


def estimate_tokens(text: str) -> int:
    """About four characters a token (English and code), at least one for any text."""
    return (len(text) + 3) // 4


class Model:
    """The configured model (``CODEPAIR_AI_BASE_URL``, ``_MODEL``, ``_API_KEY``)."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.ai_model
        self.max_tokens = settings.ai_max_tokens
        # Imported here: the SDK is large, and a server without a model never needs it.
        import openai

        self._openai = openai
        self._client: AsyncOpenAI = openai.AsyncOpenAI(
            base_url=settings.ai_base_url,
            # Local servers take any key; the SDK insists on one.
            api_key=settings.ai_api_key.get_secret_value() or "none",
            # The assistant cuts an answer at ai_answer_seconds itself (with what came so far);
            # the client's own limit is the backstop for a call made without one.
            timeout=openai.Timeout(
                settings.ai_answer_seconds + 5, connect=settings.ai_connect_seconds
            ),
            max_retries=0,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def stream(
        self, messages: Sequence[ChatMessage], usage: Usage, *, max_tokens: int | None = None
    ) -> AsyncIterator[str]:
        """The answer's text as it comes, piece by piece; ``usage`` is filled in at the end."""
        openai = self._openai
        prompt_chars = sum(len(m["content"]) for m in messages)
        completion = ""
        try:
            stream = await self._client.chat.completions.create(
                model=self.name,
                messages=cast(Any, list(messages)),  # the SDK's TypedDicts, as plain dicts
                max_tokens=max_tokens or self.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for chunk in stream:
                    if chunk.usage is not None:
                        usage.prompt_tokens = chunk.usage.prompt_tokens
                        usage.completion_tokens = chunk.usage.completion_tokens
                        usage.estimated = False
                    for choice in chunk.choices:
                        piece = choice.delta.content if choice.delta is not None else None
                        if piece:
                            completion += piece
                            yield piece
        except openai.APITimeoutError as exc:
            raise ModelError("The model took too long to answer") from exc
        except openai.APIConnectionError as exc:
            raise ModelError("The model server cannot be reached; try again later") from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            raise ModelError(f"The model server answered with an error ({status})") from exc
        except openai.OpenAIError as exc:
            raise ModelError("The model server sent something that could not be read") from exc
        finally:
            if usage.estimated:
                usage.prompt_tokens = estimate_tokens(" " * prompt_chars)
                usage.completion_tokens = estimate_tokens(completion)

    async def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> str:
        """The whole answer at once (the drafted summary)."""
        usage = Usage()
        pieces = [piece async for piece in self.stream(messages, usage, max_tokens=max_tokens)]
        return "".join(pieces)
