"""Fill a room as an interview would: code and rich notes typed over the Yjs socket, chat
over the events socket, a run, scorecards through REST."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets
from pycrdt import (
    Doc,
    Map,
    Text,
    XmlElement,
    XmlFragment,
    XmlText,
    create_sync_message,
    create_update_message,
)

from tests.support.events import events
from tests.support.server import Server


async def write_doc(server: Server, room_id: str, token: str, name: str, doc: Doc[Any]) -> None:
    """Send ``doc``'s whole state to the room's document ``name`` as one update."""
    url = f"{server.ws_url}/ws/rooms/{room_id}/yjs/{name}?token={token}"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(create_sync_message(Doc()))
        await ws.send(create_update_message(doc.get_update()))
        await asyncio.sleep(0.3)  # past the group commit


def code_doc(text: str, language: str = "python") -> Doc[Any]:
    doc: Doc[Any] = Doc()
    doc.get("code", type=Text).insert(0, text)
    doc.get("meta", type=Map)["language"] = language
    return doc


def notes_doc() -> Doc[Any]:
    """TipTap-shaped notes: a heading, a paragraph with bold and code marks, a list."""
    doc: Doc[Any] = Doc()
    frag = doc.get("default", type=XmlFragment)
    heading = frag.children.append(XmlElement("heading", {"level": "2"}))
    heading.children.append(XmlText("Strengths"))
    para = frag.children.append(XmlElement("paragraph"))
    text = para.children.append(XmlText())
    text.insert(0, "Clean ")
    text.insert(6, "recursion", {"bold": {}})
    text.insert(15, " with ")
    text.insert(21, "memo", {"code": {}})
    ul = frag.children.append(XmlElement("bulletList"))
    for line in ("asked about edge cases", "wrote tests first"):
        item = ul.children.append(XmlElement("listItem"))
        p = item.children.append(XmlElement("paragraph"))
        p.children.append(XmlText(line))
    return doc


async def chat(server: Server, room_id: str, token: str, lines: list[str]) -> None:
    async with events(server, room_id, token) as ev:
        await ev.next("welcome")
        for line in lines:
            await ev.send({"type": "chat.send", "text": line})
            await ev.next("chat.message")


def board_doc() -> Doc[Any]:
    """A board with one rectangle, as Excalidraw writes it (element id -> element)."""
    doc: Doc[Any] = Doc()
    doc.get("elements", type=Map)["r1"] = {
        "id": "r1",
        "type": "rectangle",
        "x": 10,
        "y": 20,
        "width": 200,
        "height": 100,
        "strokeColor": "#1e1e1e",
        "backgroundColor": "transparent",
        "index": "a0",
    }
    return doc


async def activity(server: Server, room_id: str, token: str, *messages: dict[str, Any]) -> None:
    """Send activity signals on one events socket (a return is timed from its leaving)."""
    async with events(server, room_id, token) as ev:
        await ev.next("welcome")
        for message in messages:
            await ev.send({"type": "activity", **message})
        await asyncio.sleep(0.3)
