"""Events-socket clients for tests: JSON messages in order, and WebRTC negotiation through
the hub's signaling with real aiortc peers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server


class EventsClient:
    """One events socket, with the messages it received kept in order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                await self.inbox.put(json.loads(raw))
        except ConnectionClosed:
            pass
        self.closed.set_result((self.ws.close_code, self.ws.close_reason or ""))

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def next(self, type_: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message of ``type_`` (others before it are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.inbox.get()
                if message["type"] == type_:
                    return message


@asynccontextmanager
async def events(server: Server, room_id: str, token: str) -> AsyncIterator[EventsClient]:
    url = f"{server.ws_url}/ws/rooms/{room_id}/events?token={token}"
    async with websockets.connect(url, max_size=None) as ws:
        client = EventsClient(ws)
        yield client


async def negotiate_data_channel(
    ea: EventsClient, eb: EventsClient, peer_a: str, peer_b: str
) -> None:
    """Offer and answer through the hub (across the bus); a data channel message arrives."""
    pc_a, pc_b = RTCPeerConnection(), RTCPeerConnection()
    loop = asyncio.get_running_loop()
    received: asyncio.Future[str] = loop.create_future()
    opened: asyncio.Future[None] = loop.create_future()
    try:
        channel = pc_a.createDataChannel("chat")
        channel.on("open", lambda: opened.done() or opened.set_result(None))

        @pc_b.on("datachannel")
        def _on_channel(ch: Any) -> None:
            ch.on("message", lambda m: received.done() or received.set_result(m))

        # aiortc gathers ICE candidates into the SDP, so offer and answer suffice.
        await pc_a.setLocalDescription(await pc_a.createOffer())
        offer = {"sdp": pc_a.localDescription.sdp, "type": pc_a.localDescription.type}
        await ea.send({"type": "signal", "to": peer_b, "data": {"description": offer}})
        signal = await eb.next("signal")
        assert signal["from"] == peer_a
        await pc_b.setRemoteDescription(RTCSessionDescription(**signal["data"]["description"]))
        await pc_b.setLocalDescription(await pc_b.createAnswer())
        answer = {"sdp": pc_b.localDescription.sdp, "type": pc_b.localDescription.type}
        await eb.send({"type": "signal", "to": peer_a, "data": {"description": answer}})
        signal = await ea.next("signal")
        assert signal["from"] == peer_b
        await pc_a.setRemoteDescription(RTCSessionDescription(**signal["data"]["description"]))
        await asyncio.wait_for(opened, 10)
        channel.send("hello over WebRTC")
        assert await asyncio.wait_for(received, 10) == "hello over WebRTC"
    finally:
        await pc_a.close()
        await pc_b.close()
