"""The AI assistant's speed: time to first token through CodePair against the model called
directly, and keystroke latency in other rooms while answers stream.

    .venv/bin/python bench/ai_latency.py [--model-url http://127.0.0.1:8081] [--asks 20]

Without ``--model-url`` it starts ``python -m llama_cpp.server`` with the local Gemma 3 270M
(the ``ai`` extra). It starts ``codepair serve`` pointed at the model and measures:

1. time to first token (p50, p95) of the same question, asked of the model directly (a
   streamed ``/v1/chat/completions`` with the system prompt CodePair sends) and through
   CodePair (``ai.ask`` on the events socket to the first ``ai.delta``), interleaved so that
   both see the same model load; the difference is what CodePair adds;
2. keystroke latency (p50, p99) between two Yjs clients of one room, alone, then while five
   candidates in five other rooms each have an answer streaming.

On 2 cores a local model takes the cores CodePair types on; ``--model-cpu 1`` gives the model
core 1 alone (one thread) and CodePair the rest, as a model server on its own machine or GPU
would, so that what the keystrokes measure is CodePair relaying answers, not the model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codepair.config import Settings
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.events import EventsClient, events
from tests.support.server import Server, free_port
from tests.support.typist import Typist

QUESTION = "What does Python's enumerate() return? Answer in one sentence."


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start_model(cpu: int | None) -> tuple[str, subprocess.Popen[bytes]]:
    """The local Gemma; with ``cpu``, on that core alone (one thread), as a model would be on
    a machine or a GPU of its own, while CodePair and this bench keep the other cores."""
    from codepair.domain.ai.local import model_path

    path = model_path()
    if path is None:
        raise SystemExit("pip install -e '.[ai]' first, or pass --model-url")
    port = free_port()
    threads = [] if cpu is None else ["--n_threads", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--port", str(port),
         "--model_alias", "gemma3-270m", "--chat_format", "gemma", "--n_ctx", "4096", *threads],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
    )
    if cpu is not None:  # this process and the CodePair server it starts: the other cores
        os.sched_setaffinity(0, os.sched_getaffinity(0) - {cpu})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the model server did not start")


async def ttft_direct(model_url: str, model: str, max_tokens: int) -> float:
    body = {
        "model": model, "max_tokens": max_tokens, "stream": True,
        "messages": [{"role": "system", "content": Settings().ai_system_prompt},
                     {"role": "user", "content": QUESTION}],
    }
    async with httpx.AsyncClient(timeout=120) as client:
        started = time.perf_counter()
        took: float | None = None
        async with client.stream("POST", f"{model_url}/v1/chat/completions", json=body) as r:
            # Read to the end (as CodePair does): the first piece of text is the first token.
            async for line in r.aiter_lines():
                if took is None and line.startswith("data: ") and line != "data: [DONE]":
                    delta = json.loads(line[6:])["choices"][0].get("delta", {})
                    if delta.get("content"):
                        took = time.perf_counter() - started
    if took is None:
        raise SystemExit("the model answered no text")
    return took


async def ttft_codepair(ev: EventsClient) -> float:
    started = time.perf_counter()
    await ev.send({"type": "ai.ask", "text": QUESTION})
    await ev.next("ai.delta", timeout=120)
    took = time.perf_counter() - started
    while True:  # wait for the whole answer: one stream a person at a time
        msg = await ev.next("ai.message", timeout=120)
        if msg["message"]["role"] == "assistant":
            return took




async def streaming(srv: Server, lead: Any, stop: asyncio.Event) -> int:
    """A candidate in a room of its own asking again and again until ``stop``."""
    room = create_room(srv, lead, ai_assistant="on")
    cand = join(srv, room)
    answers = 0
    async with events(srv, room["id"], cand.token) as ev:
        await ev.next("welcome")
        while not stop.is_set():
            await ev.send({"type": "ai.ask", "text": "Explain Python generators in detail."})
            while True:
                msg = await ev.next("ai.message", timeout=300)
                if msg["message"]["role"] == "assistant":
                    answers += 1
                    break
    return answers


async def run(args: argparse.Namespace) -> None:
    proc = None
    model_url = args.model_url
    if not model_url:
        model_url, proc = start_model(args.model_cpu)
    data = Path(tempfile.mkdtemp(prefix="ai-bench-"))
    srv = Server(data_dir=data, env_overrides={
        "CODEPAIR_AI_BASE_URL": f"{model_url}/v1", "CODEPAIR_AI_MODEL": args.model,
        "CODEPAIR_AI_MAX_TOKENS": str(args.max_tokens), "CODEPAIR_AI_PROMPTS_PER_PERSON": "1000",
        "CODEPAIR_AI_PROMPTS_PER_ROOM": "1000", "CODEPAIR_AI_TOKENS_PER_PERSON": "10000000",
        "CODEPAIR_AI_TOKENS_PER_ROOM": "10000000", "CODEPAIR_AI_STREAMS_TOTAL": "16",
    })
    try:
        srv.start(timeout=300)
        lead = bootstrap_lead(srv)
        direct: list[float] = []
        through: list[float] = []
        # Each question in a room of its own: CodePair sends the room's earlier turns with a
        # question, so in one room the prompts would grow while the direct one stays the same.
        for i in range(args.asks + 1):
            room = create_room(srv, lead, ai_assistant="on")
            cand = join(srv, room)
            async with events(srv, room["id"], cand.token) as ev:
                await ev.next("welcome")
                d = await ttft_direct(model_url, args.model, args.max_tokens)
                t = await ttft_codepair(ev)
            if i:  # the first pair warms up: the model's first load, the server's statements
                direct.append(d)
                through.append(t)
        ms = [x * 1000 for x in direct], [x * 1000 for x in through]
        print(f"time to first token, {args.asks} questions each (ms):")
        for name, values in (("model directly", ms[0]), ("through CodePair", ms[1])):
            print(f"  {name:17s} p50 {pct(values, 50):7.1f}  p95 {pct(values, 95):7.1f}")
        added = [b - a for a, b in zip(*ms, strict=True)]
        print(f"  added by CodePair p50 {pct(added, 50):7.1f}  p95 {pct(added, 95):7.1f}"
              f"  (p95 of CodePair minus p95 direct: {pct(ms[1], 95) - pct(ms[0], 95):.1f})")

        typing_room = create_room(srv, lead)
        async with Typist(srv, typing_room["id"], lead.token) as typist:
            await typist.keystrokes(50)  # warm
            quiet = await typist.keystrokes(args.keystrokes)
            stop = asyncio.Event()
            streams = [asyncio.create_task(streaming(srv, lead, stop)) for _ in range(5)]
            await asyncio.sleep(3)  # the five answers are streaming
            busy = await typist.keystrokes(args.keystrokes)
            stop.set()
            answered = sum(await asyncio.gather(*streams))
        print(f"keystrokes in another room, {args.keystrokes} each (ms):")
        print(f"  alone                    p50 {pct(quiet, 50):6.2f}  p99 {pct(quiet, 99):6.2f}")
        print(f"  while 5 answers stream   p50 {pct(busy, 50):6.2f}  p99 {pct(busy, 99):6.2f}"
              f"  ({answered} answers written meanwhile)")
        print(f"  p99 difference: {pct(busy, 99) - pct(quiet, 99):+.2f} ms")
    finally:
        srv.kill()
        if proc is not None:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-url", default="", help="an OpenAI-compatible server, no /v1")
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--asks", type=int, default=20)
    parser.add_argument("--keystrokes", type=int, default=500)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--model-cpu", type=int, default=None,
                        help="run the local model on this core alone, CodePair on the others")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
