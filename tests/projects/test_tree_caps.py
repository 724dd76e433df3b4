"""The hub keeps a project's path rules and its file count: an update that sets a bad path in
``files``, or one file too many, is refused before it is applied (never relayed nor logged)
and its socket closed with 4413; the others go on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.hub.nodeclients import NodeClients
from tests.hub.test_hub_doccaps import closed_with
from tests.support.api import bootstrap_lead, create_room, join
from tests.support.server import Server


@pytest.mark.parametrize(
    ("path", "why"), [("../escape.py", "'..'"), ("/etc/passwd", "relative"), ("a\x00b", "control")]
)
async def test_a_bad_path_is_refused_and_never_seen(
    server_factory: Callable[..., Server], path: str, why: str
) -> None:
    srv = server_factory({"CODEPAIR_PROJECT_MAX_FILES": "3"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    cand = join(srv, room)
    node = await NodeClients.start()
    try:
        await node.connect("lead", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("cand", srv.ws_url, room["id"], "code", cand.token)
        await node.call("setFiles", client="cand", files={"ok.py": "fine\n"})
        assert (await node.call("waitFiles", client="lead", files={"ok.py": "fine\n"}))["ok"]

        await node.call("setFiles", client="cand", files={path: "x"})
        assert await closed_with(node, "cand") == 4413
        assert why in node.closes("cand")[0]["reason"]
        await asyncio.sleep(0.3)
        assert (await node.call("files", client="lead"))["files"] == {"ok.py": "fine\n"}

        # The lead goes on; the history never held the bad path.
        await node.call("setFiles", client="lead", files={"two.py": "2\n"})
        for _ in range(100):
            history = httpx.get(f"{srv.url}/api/rooms/{room['id']}/history/code",
                                headers=lead.headers).json()
            if "two.py" in history["files"]:
                break
            await asyncio.sleep(0.05)
        assert set(history["files"]) == {"main.py", "ok.py", "two.py"}
    finally:
        await node.close()


async def test_one_file_too_many_is_refused(server_factory: Callable[..., Server]) -> None:
    srv = server_factory({"CODEPAIR_PROJECT_MAX_FILES": "3"})
    lead = bootstrap_lead(srv)
    room = create_room(srv, lead)
    node = await NodeClients.start()
    try:
        await node.connect("a", srv.ws_url, room["id"], "code", lead.token)
        await node.connect("b", srv.ws_url, room["id"], "code", lead.token)
        three = {"a.py": "", "b.py": "", "c.py": ""}
        await node.call("setFiles", client="a", files=three)
        assert (await node.call("waitFiles", client="b", files=three))["ok"]
        await node.call("setFiles", client="a", files={"a.py": "replaced\n"})  # not a new file
        assert (await node.call("waitFiles", client="b", files={"a.py": "replaced\n"}))["ok"]
        await node.call("setFiles", client="a", files={"d.py": ""})
        assert await closed_with(node, "a") == 4413
        assert "at most 3 files" in node.closes("a")[0]["reason"]
        await asyncio.sleep(0.3)
        assert "d.py" not in (await node.call("files", client="b"))["files"]
    finally:
        await node.close()
