"""What applying rows costs Yrs in memory and time: one merge of them all, small merged
chunks (how the hub applies rows now, codepair/db/updatelog.py), or one by one.

    .venv/bin/python bench/squash_cost.py [--rows 500] [--bytes 4000]

Rows appended at the end by one client (pastes, or keystrokes with ``--bytes 1``) merge into
one run of items that Yrs squashes when the merge is applied, at a cost that grows with the
square of the run (codepair/hub/yupdate.py). Each way runs in a fresh process; its peak
resident memory (VmHWM) is read before and after the apply.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

from pycrdt import Doc, Text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codepair.db.updatelog import apply_all, merge_all


def peak_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))


def rows(count: int, size: int) -> list[bytes]:
    doc: Doc[Any] = Doc()
    text = doc.get("code", type=Text)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    for i in range(count):
        text.insert(len(text), (f"{i} " * size)[:size])
    return out


def measure(way: str, count: int, size: int, results: Any) -> None:
    updates = rows(count, size)
    before = peak_kib()
    started = time.perf_counter()
    doc: Doc[Any] = Doc()
    if way == "one merge":
        doc.apply_update(merge_all(updates))
    elif way == "chunks":
        apply_all(doc, updates)
    else:
        for update in updates:
            doc.apply_update(update)
    results.put((way, (peak_kib() - before) / 1024, (time.perf_counter() - started) * 1e3))


def main(args: argparse.Namespace) -> None:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    print(f"{args.rows} rows of {args.bytes} bytes appended by one client, applied to a new Doc:")
    for way in ("one merge", "chunks", "one by one"):
        proc = context.Process(target=measure, args=(way, args.rows, args.bytes, results))
        proc.start()
        proc.join()
        name, mib, ms = results.get()
        print(f"  {name:10s}  peak +{mib:6.0f} MiB  {ms:8.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--bytes", type=int, default=4000)
    main(parser.parse_args())
