"""What the terminal's record becomes: an asciicast v2 file, and the last screen as text.

asciicast v2 (asciinema's format): a JSON header line (``version`` 2, ``width``, ``height``,
``timestamp``), then one JSON array a line, ``[seconds since the start, code, text]``, with
codes ``o`` (output), ``i`` (input), ``r`` (``"COLSxROWS"``) and ``m`` (a marker). Bytes are
decoded as UTF-8 per stream with one incremental decoder, so a character cut between two
reads is not lost. The last screen is the output played into ``pyte``'s screen, resized as
the terminal was.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pyte
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.db.models.terminal import TerminalChunk

DEFAULT_SIZE = (80, 24)


@dataclass(frozen=True, slots=True)
class Chunk:
    at: datetime
    kind: str
    data: bytes


async def room_chunks(db: AsyncSession, room_id: str) -> list[Chunk]:
    """Every recorded chunk of the room's terminal, in order."""
    rows = await db.execute(
        select(TerminalChunk.at, TerminalChunk.kind, TerminalChunk.data)
        .where(TerminalChunk.room_id == room_id)
        .order_by(TerminalChunk.id)
    )
    return [Chunk(at, kind, bytes(data)) for at, kind, data in rows]


def parse_size(text: str) -> tuple[int, int] | None:
    """``"COLSxROWS"`` as two ints, or None."""
    cols, _, rows = text.partition("x")
    try:
        size = int(cols), int(rows)
    except ValueError:
        return None
    return size if size[0] > 0 and size[1] > 0 else None


def cast_lines(chunks: list[Chunk]) -> Iterator[str]:
    """The asciicast v2 file, line by line (each ending with a newline)."""
    start = chunks[0].at if chunks else None
    size = next(
        (s for c in chunks if c.kind == "r" and (s := parse_size(c.data.decode())) is not None),
        DEFAULT_SIZE,
    )
    header = {
        "version": 2,
        "width": size[0],
        "height": size[1],
        "timestamp": int(start.timestamp()) if start else 0,
        "title": "CodePair terminal",
        "env": {"TERM": "xterm-256color", "SHELL": "/bin/bash"},
    }
    yield json.dumps(header) + "\n"
    if start is None:
        return
    decoders = {k: codecs.getincrementaldecoder("utf-8")("replace") for k in "oimr"}
    for chunk in chunks:
        decoder = decoders.get(chunk.kind)
        if decoder is None:
            continue
        text = decoder.decode(chunk.data)
        if not text:
            continue
        seconds = round((chunk.at - start).total_seconds(), 6)
        yield json.dumps([seconds, chunk.kind, text], ensure_ascii=False) + "\n"


def last_screen(chunks: list[Chunk]) -> str:
    """The terminal's screen after the last output, as plain text (trailing blanks cut)."""
    cols, rows = DEFAULT_SIZE
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    for chunk in chunks:
        if chunk.kind == "r":
            size = parse_size(chunk.data.decode(errors="replace"))
            if size is not None:
                screen.resize(lines=size[1], columns=size[0])
        elif chunk.kind == "o":
            stream.feed(chunk.data)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)
