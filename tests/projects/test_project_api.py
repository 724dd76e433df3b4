"""A room as a project over the real socket and REST: y-websocket clients edit files of one tree,
the history answers the tree, ``files.zip`` takes it away (and who may have it)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from typing import Any

import httpx

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, create_room, create_user, join
from tests.support.server import Server


async def test_two_clients_edit_different_files_and_the_tree_is_kept(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    assert (await node.connect("lead", server.ws_url, room["id"], "code", lead.token))["synced"]
    assert (await node.connect("cand", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("type", client="lead", text="import util\n", delay=0)
    await node.call("setFiles", client="cand", files={"util.py": "X = 1\n"})
    await node.call("setFiles", client="lead", files={"tests/test_util.py": "def test(): ...\n"})
    await node.call("editFile", client="cand", path="util.py", index=0, text="# util\n")
    await node.call("editFile", client="lead", path="tests/test_util.py", index=0, text="# t\n")
    want = {"util.py": "# util\nX = 1\n", "tests/test_util.py": "# t\ndef test(): ...\n"}
    for name in ("lead", "cand"):
        assert (await node.call("waitFiles", client=name, files=want))["ok"], name

    async def tree() -> dict[str, Any]:
        with httpx.Client(base_url=server.url, headers=lead.headers) as http:
            return dict(http.get(f"/api/rooms/{room['id']}/history/code").json())

    expected = {"main.py": "import util\n", **want}
    for _ in range(100):  # the history reads the log: one group commit behind
        answer = await tree()
        if answer["files"] == expected:
            break
        await asyncio.sleep(0.05)
    assert answer["entry"] == "main.py"
    assert answer["files"] == expected
    assert answer["text"] == "import util\n"


def _zip(server: Server, room_id: str, actor: Actor | None) -> httpx.Response:
    headers = actor.headers if actor is not None else {}
    return httpx.get(f"{server.url}/api/rooms/{room_id}/files.zip", headers=headers)


async def test_files_zip_for_the_room_and_nobody_else(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    assert (await node.connect("c", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("type", client="c", text="print('hi')\n", delay=0)
    await node.call("setFiles", client="c", files={"lib/helpers.py": "def f(): return 1\n"})
    await node.close()

    for _ in range(100):  # the zip reads the log: one group commit behind
        answer = _zip(server, room["id"], lead)
        assert answer.status_code == 200, answer.text
        if len(zipfile.ZipFile(io.BytesIO(answer.content)).namelist()) == 2:
            break
        await asyncio.sleep(0.05)
    folder = f"codepair-{room['id']}"
    assert answer.headers["content-type"] == "application/zip"
    assert f'filename="{folder}.zip"' in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(archive.namelist()) == [f"{folder}/lib/helpers.py", f"{folder}/main.py"]
    assert archive.read(f"{folder}/main.py") == b"print('hi')\n"

    assert _zip(server, room["id"], cand).status_code == 200  # the candidate, while it is open
    assert _zip(server, room["id"], None).status_code == 401
    stranger = create_user(server, lead)
    assert _zip(server, room["id"], stranger).status_code == 404
    other_room = create_room(server, lead)
    assert _zip(server, other_room["id"], cand).status_code in (403, 404)

    ended = httpx.post(f"{server.url}/api/rooms/{room['id']}/end", headers=lead.headers)
    assert ended.status_code == 200
    assert _zip(server, room["id"], cand).status_code == 401  # the candidate token stopped
    assert _zip(server, room["id"], lead).status_code == 200  # the record stays
