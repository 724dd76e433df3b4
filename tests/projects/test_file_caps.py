"""The hub keeps a file's own size cap (hub/filecap.py): an update that would take a file of
the tree, the entry file too, past ``CODEPAIR_PROJECT_MAX_FILE_BYTES`` is refused before it is
applied (never relayed nor logged) and its socket closed with 4413 and the rule; a file at the
cap is taken, and the others go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from pycrdt import Doc, Map, Text, create_update_message
from websockets.exceptions import ConnectionClosed

from codepair.hub.doccaps import CodeGuard
from codepair.hub.filecap import FileCap
from tests.hub.nodeclients import NodeClients
from tests.hub.test_hub_doccaps import closed_with
from tests.support.api import Actor, bootstrap_lead, create_room, join
from tests.support.server import Server

CAP = 4000
RULE = f"a file holds at most {CAP} bytes"


def history_files(srv: Server, room_id: str, lead: Actor) -> dict[str, str]:
    answer = httpx.get(f"{srv.url}/api/rooms/{room_id}/history/code", headers=lead.headers)
    files: dict[str, str] = answer.json()["files"]
    return files


@pytest.mark.timeout(90)
async def test_keystrokes_past_a_files_cap_are_refused_and_never_seen(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_PROJECT_MAX_FILE_BYTES": str(CAP)})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    cand = join(srv, room)
    node = await NodeClients.start()
    try:
        await node.connect("cand", srv.ws_url, room["id"], "code", cand.token)
        await node.connect("lead", srv.ws_url, room["id"], "code", lead.token)
        start = {"big.py": "x" * (CAP - 10), "small.py": "s\n"}
        await node.call("setFiles", client="cand", files=start)
        assert (await node.call("waitFiles", client="lead", files=start))["ok"]

        # Keystrokes up to the cap itself are taken...
        for i in range(10):
            await node.call("editFile", client="cand", path="big.py", index=CAP - 10 + i, text="y")
        full = {"big.py": "x" * (CAP - 10) + "y" * 10, "small.py": "s\n"}
        assert (await node.call("waitFiles", client="lead", files=full))["ok"]
        # ...one more is not: the socket goes, with the file and the rule in the reason.
        await node.call("editFile", client="cand", path="big.py", index=CAP, text="z")
        assert await closed_with(node, "cand") == 4413
        assert node.closes("cand")[0]["reason"] == f"big.py: {RULE}"
        await asyncio.sleep(0.3)
        assert (await node.call("files", client="lead"))["files"] == full

        # The others go on: typing into another file while this one is at the cap is taken,
        # and a newcomer syncs the tree as the hub holds it.
        await node.call("editFile", client="lead", path="small.py", index=0, text="#")
        await node.connect("late", srv.ws_url, room["id"], "code", lead.token)
        full["small.py"] = "#s\n"
        assert (await node.call("waitFiles", client="late", files=full))["ok"]
        assert (await node.call("files", client="late"))["files"] == full

        # A paste that would pass the cap is refused as a whole.
        await node.call("editFile", client="late", path="small.py", index=0, text="p" * CAP)
        assert await closed_with(node, "late") == 4413
        assert node.closes("late")[0]["reason"] == f"small.py: {RULE}"
        for _ in range(100):
            history = history_files(srv, room["id"], lead)
            if history.get("small.py") == "#s\n":
                break
            await asyncio.sleep(0.05)
        assert history == {"main.py": "", **full}  # the log never held a refused byte
        assert not node.closes("lead")
    finally:
        await node.close()


async def _send_update(url: str, update: bytes) -> tuple[int | None, str]:
    """A raw client: the server's greeting, one update, then the close code and reason."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()
        await ws.send(create_update_message(update))
        try:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
        except ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason or ""


@pytest.mark.timeout(60)
async def test_a_raw_client_cannot_pass_the_cap_with_a_new_file_or_the_entry(
    server_factory: Callable[..., Server],
) -> None:
    srv = server_factory({"CODEPAIR_PROJECT_MAX_FILE_BYTES": str(CAP)})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    url = f"{srv.ws_url}/ws/rooms/{room['id']}/yjs/code?token={lead.token}"

    doc: Doc[Any] = Doc()
    doc.get("files", type=Map)["whole.py"] = Text("w" * (CAP + 1))
    assert await _send_update(url, doc.get_update()) == (4413, f"whole.py: {RULE}")
    entry: Doc[Any] = Doc()
    entry.get("code", type=Text).insert(0, "e" * (CAP + 1))
    code, reason = await _send_update(url, entry.get_update())
    assert code == 4413 and reason.endswith(RULE)
    # At the cap exactly, both are taken.
    fits: Doc[Any] = Doc()
    with fits.transaction():
        fits.get("files", type=Map)["whole.py"] = Text("w" * CAP)
        fits.get("code", type=Text).insert(0, "e" * CAP)
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()
        await ws.send(create_update_message(fits.get_update()))
        for _ in range(100):
            history = history_files(srv, room["id"], lead)
            if "whole.py" in history:
                break
            await asyncio.sleep(0.05)
    assert history == {"main.py": "e" * CAP, "whole.py": "w" * CAP}


def _edit(sender: Doc[Any], change: Callable[[], None]) -> bytes:
    before = sender.get_state()
    with sender.transaction():
        change()
    return sender.get_update(before)


def test_the_cap_measures_only_near_it_and_keeps_a_copy_only_then() -> None:
    room: Doc[Any] = Doc()
    client: Doc[Any] = Doc()
    cap = FileCap(1600)  # near: within 100 bytes
    files = client.get("files", type=Map)

    def send(change: Callable[[], None]) -> str | None:
        update = _edit(client, change)
        refusal = cap.refuse(room, update)
        if refusal is None:
            room.apply_update(update)
        return refusal

    assert send(lambda: files.__setitem__("a.py", Text("a" * 1400))) is None
    assert send(lambda: files.__setitem__("b.py", Text("b"))) is None
    assert not cap.near
    for _ in range(150):  # up to 1550: measured again and again, no copy yet
        assert send(lambda: files["a.py"].insert(0, "a")) is None
    assert not cap.near
    for _ in range(50):  # exactly the cap: an update could pass it, a copy checks them
        assert send(lambda: files["a.py"].insert(0, "a")) is None
    assert cap.near
    for _ in range(30):  # another file grows while this one is full
        assert send(lambda: files["b.py"].insert(0, "b")) is None
    assert send(lambda: files["a.py"].insert(0, "a")) == "a.py: a file holds at most 1600 bytes"
    assert len(room.get("files", type=Map)["a.py"]) == 1600
    # The sender is refused; a client in step with the room shrinks the file, and the copy
    # goes once no file is near the cap.
    client = Doc()
    client.apply_update(room.get_update())
    files = client.get("files", type=Map)
    assert send(lambda: files["a.py"].__delitem__(slice(0, 1000))) is None
    for _ in range(200):
        assert send(lambda: files["b.py"].insert(0, "b")) is None
    assert not cap.near


def test_an_update_the_document_cap_refuses_is_not_kept_in_the_copy() -> None:
    room: Doc[Any] = Doc()
    client: Doc[Any] = Doc()
    guard = CodeGuard(room, max_bytes=100_000, max_file_bytes=1600)
    files = client.get("files", type=Map)
    update = _edit(client, lambda: files.__setitem__("a.py", Text("a" * 1590)))
    assert guard.refuse(room, update) is None and guard.admit(room, len(update))
    room.apply_update(update)
    update = _edit(client, lambda: files["a.py"].insert(0, "a" * 5))
    assert guard.refuse(room, update) is None and guard.files.near  # checked on the copy
    assert not guard.admit(room, 200_000)  # as if over the document's cap: not applied
    assert not guard.files.near  # the copy held it: gone, made again at the next check
