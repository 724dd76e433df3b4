"""Publish-to-receive latency of the bus at a steady rate, on the memory bus and on Redis.

One instance publishes ``--rate`` messages a second for ``--seconds``; a second instance (a
second bus object: a second Redis connection pair, or a second MemoryBus on one broker)
receives them. Each payload carries its send time (``perf_counter``; both ends are in this
process, so the clocks agree), and the receiver records the difference.

    .venv/bin/python bench/bus_latency.py                    # both backends, 1,000 msg/s, 5 s
    .venv/bin/python bench/bus_latency.py --backend redis --redis-url redis://127.0.0.1:6379/0

This measures the bus alone: two instances in one process share one event loop and two CPU
cores, as two peer processes on one small machine would not; the cross-instance benchmark of
the hub is the one to quote for end-to-end numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import struct
import time
import uuid

from redis.asyncio import Redis

from codepair.bus import Bus, MemoryBroker, MemoryBus, RedisBus

_STAMP = struct.Struct(">Id")  # sequence number, send time


async def measure(
    sender: Bus, receiver: Bus, rate: float, seconds: float, size: int
) -> dict[str, float]:
    """Latencies in milliseconds, and how many messages were lost."""
    channel = f"bench.{uuid.uuid4().hex[:8]}"
    sub = await receiver.subscribe(channel)
    total = int(rate * seconds)
    padding = os.urandom(max(0, size - _STAMP.size))
    latencies: list[float] = []
    publish_times: list[float] = []

    async def consume() -> None:
        async for item in sub:
            now = time.perf_counter()
            if not isinstance(item, bytes):
                continue  # a Gap: counted as loss below
            seq, sent = _STAMP.unpack_from(item)
            latencies.append((now - sent) * 1000)
            if seq == total - 1:
                return

    consumer = asyncio.create_task(consume())
    # Warm up connections and caches before measuring.
    for _ in range(50):
        await sender.publish(channel + ".warmup", padding)
    start = time.perf_counter()
    for seq in range(total):
        # Steady pacing against an absolute schedule, so a slow publish does not shift the rest.
        delay = start + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        began = time.perf_counter()
        await sender.publish(channel, _STAMP.pack(seq, began) + padding)
        publish_times.append((time.perf_counter() - began) * 1000)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(consumer, timeout=10)
    await sub.close()
    elapsed = time.perf_counter() - start
    latencies.sort()
    publish_times.sort()
    return {
        "sent": total,
        "received": len(latencies),
        "achieved_rate": total / elapsed,
        "p50_ms": _pct(latencies, 50),
        "p99_ms": _pct(latencies, 99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "publish_p50_ms": _pct(publish_times, 50),
        "publish_p99_ms": _pct(publish_times, 99),
    }


async def ping_baseline(url: str, rate: float, seconds: float) -> tuple[float, float]:
    """p50 and p99 (ms) of a bare Redis PING at the same pace: the floor under the bus."""
    client = Redis.from_url(url)
    times: list[float] = []
    try:
        await client.ping()
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            began = time.perf_counter()
            await client.ping()
            times.append((time.perf_counter() - began) * 1000)
    finally:
        await client.aclose()
    times.sort()
    return _pct(times, 50), _pct(times, 99)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(p / 100 * len(values)) - 1))
    return values[index]


async def run(args: argparse.Namespace) -> None:
    backends = ["memory", "redis"] if args.backend == "both" else [args.backend]
    print(
        f"bus latency: {args.rate:.0f} msg/s for {args.seconds:.0f} s, {args.size}-byte payloads, "
        f"loop={args.loop}"
    )
    for backend in backends:
        if backend == "memory":
            broker = MemoryBroker()
            sender: Bus = MemoryBus(broker)
            receiver: Bus = MemoryBus(broker)
        else:
            prefix = f"bench-{uuid.uuid4().hex[:6]}:"
            sender = RedisBus(args.redis_url, prefix=prefix)
            receiver = RedisBus(args.redis_url, prefix=prefix)
        async with sender, receiver:
            result = await measure(sender, receiver, args.rate, args.seconds, args.size)
        if backend == "redis":
            p50, p99 = await ping_baseline(args.redis_url, args.rate, args.seconds)
            print(f"  PING on the same Redis at the same pace: p50 {p50:.3f} ms  p99 {p99:.3f} ms")
        print(
            f"{backend:>6}: p50 {result['p50_ms']:.3f} ms  p99 {result['p99_ms']:.3f} ms  "
            f"max {result['max_ms']:.3f} ms  mean {result['mean_ms']:.3f} ms  "
            f"(publish call p50 {result['publish_p50_ms']:.3f} ms, p99 "
            f"{result['publish_p99_ms']:.3f} ms; received {result['received']}/{result['sent']} "
            f"at {result['achieved_rate']:.0f} msg/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["memory", "redis", "both"], default="both")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("CODEPAIR_REDIS_URL") or "redis://127.0.0.1:6379/0",
    )
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", type=int, default=64, help="payload bytes (a typical keystroke)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
