"""Audit a document's update log with Node's yjs (``ylog.mjs`` beside this file)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


async def audit_updates(log: dict[str, Any]) -> dict[str, Any]:
    """Replay ``{snapshot, updates, authors?}`` (base64) in order: the ``code`` text, the item
    clocks each client holds, and the clock ranges two entries both hold (``overlaps``)."""
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "ylog.mjs"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate(json.dumps(log).encode())
    assert proc.returncode == 0
    result: dict[str, Any] = json.loads(out)
    return result
