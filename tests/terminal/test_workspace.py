"""What a shell leaves in /workspace cannot make the server read outside it: links are never
followed, FIFOs never block, binary and oversized files stay in the sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, join
from tests.support.server import Server
from tests.terminal.client import TermClient, prompt


async def test_links_fifos_and_big_files_stay_in_the_sandbox(
    server: Server, lead: Actor, room: dict[str, Any], node: NodeClients
) -> None:
    await node.connect("ed", server.ws_url, room["id"], "code", lead.token)
    await node.call("waitSynced", client="ed")
    shell = await TermClient.open(server, room["id"], join(server, room).token)
    try:
        await prompt(shell)
        await shell.run(
            "ln -s /etc/hostname host.txt; mkdir real; ln -s /etc real/etc; ln -s / root;"
            " mkfifo pipe.txt; head -c 2000000 /dev/zero | tr '\\0' a > big.txt;"
            " echo fine > real/ok.txt; echo L$((1+1))", "L2")
        reply = await node.call("waitFiles", client="ed", files={"real/ok.txt": "fine\n"},
                                timeout=2000)
        assert reply["ok"]
        await asyncio.sleep(0.7)  # two more scans
        files = (await node.call("files", client="ed"))["files"]
        assert set(files) == {"real/ok.txt"}, files
        # The other way: a path in the tree through a link the shell made is not written
        # through it (the server would write outside the workspace).
        await node.call("setFiles", client="ed", files={"root/tmp/escaped.txt": "no\n"})
        await asyncio.sleep(0.5)
        out = await shell.run("ls /tmp/escaped.txt 2>&1; echo M$((1+1))", "M2")
        assert "No such file" in out
        # The shell goes on; the server too.
        await shell.run("cat real/ok.txt; echo N$((1+1))", "N2")
    finally:
        await shell.close()
