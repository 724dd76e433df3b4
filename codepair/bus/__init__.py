"""The bus that carries a room's traffic between instances (see docs/adr/0003-bus.md).

Typical use by the hub::

    bus = create_bus(settings)
    await bus.start()
    sub = await bus.subscribe(doc_channel(room_id, "code"))
    async for item in sub:
        if isinstance(item, Gap):
            ...  # messages may be lost: run a state-vector sync
            continue
        envelope = decode_envelope(item)
        if envelope.origin == bus.instance_id:
            continue  # our own message, already applied locally
        ...
    await bus.publish(doc_channel(room_id, "code"), encode_yjs(bus.instance_id, "code", frame))
"""

from __future__ import annotations

from codepair.bus.base import Bus, BusError, BusUnavailable, Gap, Item, Subscription
from codepair.bus.channels import (
    CANDIDATES_REVOKED,
    ROOM_ENDED,
    USER_REVOKED,
    doc_channel,
    publish_candidates_revoked,
    publish_room_ended,
    publish_room_event,
    publish_user_revoked,
    room_channel,
    terminal_channel,
    terminal_lease,
)
from codepair.bus.envelope import (
    Envelope,
    EnvelopeError,
    EventEnvelope,
    YjsEnvelope,
    decode_envelope,
    encode_event,
    encode_yjs,
)
from codepair.bus.memory import MemoryBroker, MemoryBus
from codepair.bus.redis_bus import RedisBus
from codepair.config import Settings

__all__ = [
    "CANDIDATES_REVOKED",
    "ROOM_ENDED",
    "USER_REVOKED",
    "Bus",
    "BusError",
    "BusUnavailable",
    "Envelope",
    "EnvelopeError",
    "EventEnvelope",
    "Gap",
    "Item",
    "MemoryBroker",
    "MemoryBus",
    "RedisBus",
    "Subscription",
    "YjsEnvelope",
    "create_bus",
    "decode_envelope",
    "doc_channel",
    "encode_event",
    "encode_yjs",
    "publish_candidates_revoked",
    "publish_room_ended",
    "publish_room_event",
    "publish_user_revoked",
    "room_channel",
    "terminal_channel",
    "terminal_lease",
]


def create_bus(settings: Settings) -> Bus:
    """Redis when ``settings.redis_url`` is set, else the in-process bus (not yet started)."""
    if settings.redis_url:
        return RedisBus(settings.redis_url, prefix=settings.redis_channel_prefix)
    return MemoryBus()
