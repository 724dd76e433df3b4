"""The hub on the bus: rooms whose sockets are spread over several instances (ADR 3).

Per loaded document, the instance subscribes to the document's channel *before* it loads
from the database, publishes every frame its own sockets send (the origin instance alone
writes them to the log), and applies and relays what the others publish. On load and on every
:class:`~codepair.bus.Gap` it asks the others to fill in: it publishes its state vector (a
SYNC_STEP1, which each other instance answers with a SYNC_STEP2 of what the asker lacks) and
its whole state as an update (which gives the others what they lack). Updates are idempotent,
so a spurious re-sync costs one round trip and nothing else.

Per room with events sockets here, the instance shares presence (``peer.joined`` and
``peer.left``, and a ``presence.query`` answered by ``presence.here`` so that a newcomer
instance learns who is on the others), chat messages, broadcasts, and WebRTC signals
addressed to a peer on another instance. ``room.ended`` and ``user.revoked`` come on the two
global control channels.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from pycrdt import (
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from codepair.bus import (
    CANDIDATES_REVOKED,
    ROOM_ENDED,
    USER_REVOKED,
    Bus,
    EnvelopeError,
    EventEnvelope,
    Gap,
    Subscription,
    YjsEnvelope,
    decode_envelope,
    doc_channel,
    encode_event,
    encode_yjs,
    room_channel,
)

if TYPE_CHECKING:
    from codepair.hub.docroom import DocRoom

log = structlog.get_logger("codepair.hub.bridge")

# Outgoing messages wait here for the one publisher task, which keeps them in order.
OUTBOX_MAX = 100_000
# At most this many messages per publish round trip.
PUBLISH_BATCH = 256
# How long a group commit waits for the frames it writes to be handed to the bus first.
PUBLISHED_WAIT = 0.25


class ControlHandler(Protocol):
    """What a control event from another instance does here (the ``*_here`` notices)."""

    def room_ended_here(self, room_id: str) -> None: ...
    def user_revoked_here(
        self, user_id: int, *, session_id: str | None = None, keep_session: str | None = None
    ) -> None: ...
    def candidates_revoked_here(self, room_id: str) -> None: ...


class BridgeHost(Protocol):
    """What the bridge hands incoming events and control notices to (the hub)."""

    def deliver_event(self, room_id: str, event: dict[str, Any], *, remote: str) -> None: ...
    @property
    def notices(self) -> ControlHandler: ...


class HubBridge:
    """Carries one hub's rooms over a :class:`~codepair.bus.Bus`."""

    def __init__(self, hub: BridgeHost, bus: Bus) -> None:
        self.hub = hub
        self.bus = bus
        self.origin = bus.instance_id
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(OUTBOX_MAX)
        self._watching: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self._publisher: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        # Messages put in the outbox, and those the publisher has handed to the bus (or
        # given up on); :meth:`published` waits for the second to reach the first.
        self._queued = 0
        self._handed = 0
        self._handed_changed = asyncio.Event()

    async def start(self) -> None:
        self._publisher = asyncio.create_task(self._publish_loop(), name="hub-bus-publisher")
        await self._watch(ROOM_ENDED, self._on_control)
        await self._watch(USER_REVOKED, self._on_control)

    async def stop(self) -> None:
        for channel in list(self._watching):
            await self._unwatch(channel)
        if self._publisher is not None:
            # Let what is queued go out (bounded), then stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._outbox.join()
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher

    # --- publishing ------------------------------------------------------------------------

    def _send(self, channel: str, payload: bytes) -> None:
        try:
            self._outbox.put_nowait((channel, payload))
        except asyncio.QueueFull:
            # The bus is far behind: the others will see a gap (our publishes fail) and re-sync.
            log.warning("bus_outbox_full", channel=channel)
            return
        self._queued += 1

    async def published(self) -> None:
        """Wait until what is in the outbox now has been handed to the bus (at most
        :data:`PUBLISHED_WAIT`; a bus that is down or slow does not hold the log up).

        The group commit waits for this before writing, so an update in the log has gone out
        to the other instances first. Otherwise an instance killed between the two would have
        written a window that no other instance holds; its clients would send it again when
        they reconnect, and the survivor would log it a second time."""
        target = self._queued
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PUBLISHED_WAIT):
                while self._handed < target:
                    self._handed_changed.clear()
                    await self._handed_changed.wait()

    async def _publish_loop(self) -> None:
        while True:
            # Everything queued goes out in one batch (one Redis round trip): publishing one
            # message per round trip fell behind at 1,000 updates/s (bench/cluster_bench.py).
            batch = [await self._outbox.get()]
            while len(batch) < PUBLISH_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                await self.bus.publish_many(batch)
            except Exception as exc:  # publish reports transport failures itself as gaps
                log.warning("bus_publish_error", messages=len(batch), error=type(exc).__name__)
            finally:
                for _ in batch:
                    self._outbox.task_done()
                self._handed += len(batch)
                self._handed_changed.set()

    def publish_frame(self, key: tuple[str, str], frame: bytes) -> None:
        room_id, doc = key
        self._send(doc_channel(room_id, doc), encode_yjs(self.origin, doc, frame))

    def publish_event(self, room_id: str, event: dict[str, Any]) -> None:
        self._send(room_channel(room_id), encode_event(self.origin, event))

    def publish_control(self, channel: str, event: dict[str, Any]) -> None:
        self._send(channel, encode_event(self.origin, event))

    # --- documents -------------------------------------------------------------------------

    async def watch_doc(self, room: DocRoom) -> None:
        """Subscribe before the room loads, so no update published meanwhile is missed."""

        async def on_item(item: bytes | Gap) -> None:
            self._on_doc_item(room, item)

        await self._watch(doc_channel(room.room_id, room.doc_name), on_item)

    async def unwatch_doc(self, room: DocRoom) -> None:
        await self._unwatch(doc_channel(room.room_id, room.doc_name))

    def request_sync(self, room: DocRoom) -> None:
        """Ask the other instances for what we lack, and give them what they lack."""
        self.publish_frame(room.key, create_sync_message(room.doc))
        self.publish_frame(room.key, create_update_message(room.doc.get_update()))

    def _on_doc_item(self, room: DocRoom, item: bytes | Gap) -> None:
        if isinstance(item, Gap):
            log.info("bus_gap", room=room.room_id, doc=room.doc_name, reason=item.reason)
            self.request_sync(room)
            return
        envelope = _decode(item)
        if not isinstance(envelope, YjsEnvelope) or envelope.origin == self.origin:
            return
        frame = envelope.frame
        if not room.loaded.done() or room.loaded.exception() is not None:
            return  # the load's own request_sync will catch up
        try:
            is_sync = len(frame) > 1 and frame[0] == YMessageType.SYNC
            if is_sync and frame[1] == YSyncMessageType.SYNC_STEP1:
                reply = handle_sync_message(frame[1:], room.doc)
                if reply is not None:
                    self.publish_frame(room.key, reply)
                return
            room.apply_remote(frame)
        except Exception as exc:
            log.warning("bus_bad_frame", room=room.room_id, error=type(exc).__name__)

    # --- events ----------------------------------------------------------------------------

    async def watch_events(self, room_id: str) -> None:
        async def on_item(item: bytes | Gap) -> None:
            if isinstance(item, Gap):
                self.publish_event(room_id, {"type": "presence.query"})
                return
            envelope = _decode(item)
            if isinstance(envelope, EventEnvelope) and envelope.origin != self.origin:
                self.hub.deliver_event(room_id, envelope.event, remote=envelope.origin)

        await self._watch(room_channel(room_id), on_item)
        self.publish_event(room_id, {"type": "presence.query"})

    def unwatch_events(self, room_id: str) -> None:
        """Stop following a room's events; the subscription is closed in the background,
        but forgotten now, so that a new watch for the room subscribes afresh."""
        entry = self._watching.pop(room_channel(room_id), None)
        if entry is not None:
            task = asyncio.create_task(self._close(*entry))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _on_control(self, item: bytes | Gap) -> None:
        if isinstance(item, Gap):
            return
        envelope = _decode(item)
        if not isinstance(envelope, EventEnvelope) or envelope.origin == self.origin:
            return
        event = envelope.event
        if event.get("type") == ROOM_ENDED and isinstance(event.get("room_id"), str):
            self.hub.notices.room_ended_here(event["room_id"])
        elif event.get("type") == USER_REVOKED and isinstance(event.get("user_id"), int):
            session_id, keep = event.get("session_id"), event.get("keep_session")
            self.hub.notices.user_revoked_here(
                event["user_id"],
                session_id=session_id if isinstance(session_id, str) else None,
                keep_session=keep if isinstance(keep, str) else None,
            )
        elif event.get("type") == CANDIDATES_REVOKED and isinstance(event.get("room_id"), str):
            self.hub.notices.candidates_revoked_here(event["room_id"])

    # --- subscriptions ---------------------------------------------------------------------

    async def _watch(self, channel: str, handler: Callable[[bytes | Gap], Awaitable[None]]) -> None:
        if channel in self._watching:
            return
        subscription = await self.bus.subscribe(channel)

        async def pump() -> None:
            async for item in subscription:
                try:
                    await handler(item)
                except Exception as exc:
                    log.error("bus_handler_failed", channel=channel, exc_info=exc)

        task = asyncio.create_task(pump(), name=f"hub-bus-{channel}")
        self._watching[channel] = (subscription, task)

    async def _unwatch(self, channel: str) -> None:
        entry = self._watching.pop(channel, None)
        if entry is not None:
            await self._close(*entry)

    async def _close(self, subscription: Subscription, task: asyncio.Task[None]) -> None:
        await subscription.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _decode(payload: bytes) -> EventEnvelope | YjsEnvelope | None:
    try:
        return decode_envelope(payload)
    except EnvelopeError:
        log.warning("bus_bad_envelope")
        return None
