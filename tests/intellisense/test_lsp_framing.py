"""A language server's output as the hub reads it: large answers in vscode-jsonrpc's shape
are passed on unparsed, everything else is parsed; a real child process writes the frames."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from codepair.domain.intellisense import messages as m
from codepair.runner.langservers import (
    RAW_ANSWER_BYTES,
    LanguageServerProcess,
    ServerLimits,
    ServerSpec,
)

# Writes four frames and exits: a large answer as vscode-jsonrpc writes it, the same with
# the keys in another order (as clangd writes them), a small answer, a notification.
WRITER = textwrap.dedent("""
    import json, sys
    items = [{"label": f"name_{i}", "kind": 6, "detail": "x" * 40} for i in range(600)]
    def frame(text):
        body = text.encode()
        sys.stdout.buffer.write(b"Content-Length: %d\\r\\n\\r\\n" % len(body) + body)
    frame(json.dumps({"jsonrpc": "2.0", "id": 7, "result": {"items": items}},
                     separators=(",", ":")))
    frame(json.dumps({"id": 8, "jsonrpc": "2.0", "result": {"items": items}},
                     separators=(",", ":")))
    frame(json.dumps({"jsonrpc": "2.0", "id": 9, "result": None}))
    frame(json.dumps({"jsonrpc": "2.0", "method": "window/logMessage", "params": {}}))
    sys.stdout.flush()
""")


async def test_large_answers_pass_unparsed_and_the_rest_is_parsed(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    spec = ServerSpec(name="fake", title="Fake", languages=("python",),
                      argv=(sys.executable, str(script)), needs=(), extensions={})
    parsed: list[dict[str, Any]] = []
    raw: list[tuple[int, bytes]] = []
    process = LanguageServerProcess(
        spec, workspace=tmp_path, toolchains=None, bwrap=None, limits=ServerLimits(),
        on_message=parsed.append, label="room", on_raw_answer=lambda i, r: raw.append((i, r)))
    await process.start()
    await asyncio.wait_for(process.exited, 20)
    await process.stop()
    assert [ident for ident, _ in raw] == [7]
    result = raw[0][1]
    assert len(result) > RAW_ANSWER_BYTES
    # What goes to the browser is the answer with the socket's own id, valid JSON.
    sent = json.loads(m.reply_raw("c-3", result.decode()))
    assert sent["id"] == "c-3" and len(sent["result"]["items"]) == 600
    assert sent["result"]["items"][599]["label"] == "name_599"
    assert [msg.get("id") for msg in parsed] == [8, 9, None]
