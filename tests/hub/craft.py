"""Yjs updates made by hand (encoding v1), for tests that send what no real client sends."""

from __future__ import annotations

from functools import cache
from typing import Any

from pycrdt import Doc, Text, merge_updates


def var_uint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def var_string(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return var_uint(len(raw)) + raw


def one_item(content_ref: int, content: bytes, *, root: str = "arr", client: int = 4242) -> bytes:
    """An update of one item at the start of root type ``root``, with no delete set."""
    item = bytes([content_ref]) + var_uint(1) + var_string(root) + content
    return var_uint(1) + var_uint(1) + var_uint(client) + var_uint(0) + item + var_uint(0)


def nested_any(depth: int) -> bytes:
    """One ``Any`` array nested ``depth`` deep (Yrs decodes it recursively)."""
    return one_item(8, var_uint(1) + bytes([117, 1]) * depth + bytes([126]))


@cache
def squashing_run(items: int) -> bytes:
    """``items`` one-character appends of one client merged by Yrs: a run it squashes at a
    cost quadratic in its length when applied (codepair/hub/yupdate.py)."""
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for _ in range(items):
        text.insert(len(text), "a")
    while len(updates) > 1:  # merged in a tree, as the hub merges its log
        updates = [merge_updates(*updates[i : i + 32]) for i in range(0, len(updates), 32)]
    return updates[0]
