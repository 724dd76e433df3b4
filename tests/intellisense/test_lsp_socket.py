"""The language-server socket with real language servers (pyright, typescript-language-server,
clangd) in the sandbox, fed from the room's code document by real y-websocket clients."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.hub.nodeclients import NodeClients
from tests.intellisense.conftest import need, start_server
from tests.intellisense.lspclient import kill, labels, lsp, server_processes
from tests.support.api import Actor, bootstrap_lead, client, create_room, create_user, join
from tests.support.server import UID_OFFSET, Server, drop_pg_database

# Language servers start in seconds alone, in a minute beside other builds on two cores.
pytestmark = pytest.mark.timeout(400)

PYRIGHT = "pyright/langserver.index.js"
TSLS = "typescript-language-server/lib/cli.mjs"


@pytest.fixture(scope="module")
def lead(lsp_server: Server) -> Actor:
    return bootstrap_lead(lsp_server)


async def project(node: NodeClients, srv: Server, lead: Actor, language: str, code: str,
                  files: dict[str, str] | None = None, name: str = "a") -> dict[str, Any]:
    """A new room whose tree is ``code`` (the entry file) and ``files``, typed by a real
    y-websocket client ``name`` that stays connected."""
    room = create_room(srv, lead, language=language)
    await node.connect(name, srv.ws_url, room["id"], "code", lead.token)
    await node.call("setMeta", client=name, key="language", value=language)
    await node.call("insert", client=name, index=0, text=code)
    if files:
        await node.call("setFiles", client=name, files=files)
    return room


async def test_python_completion_members_of_imported_modules(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    code = "import os\nimport helper\nos.pa\nhelper.gr\n"
    room = await project(node, lsp_server, lead, "python", code,
                         {"helper.py": "def greet(name: str) -> str:\n    return name\n"})
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        init = await sock.initialize()
        caps = init["result"]["capabilities"]
        assert caps["textDocumentSync"] == 0  # the server owns document sync
        assert "completionProvider" in caps
        assert "path" in labels(await sock.completion("main.py", 2, 5))
        assert "greet" in labels(await sock.completion("main.py", 3, 9))


async def test_typescript_completion_members_of_imported_module(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(TSLS)
    code = 'import * as util from "./util";\nutil.\n'
    room = await project(node, lsp_server, lead, "typescript", code, {
        "util.ts": "export function shout(s: string): string { return s.toUpperCase(); }\n"
                   "export const answer = 42;\n"})
    async with lsp(lsp_server.ws_url, room["id"], "typescript", lead.token) as sock:
        await sock.initialize()
        answer = await sock.completion("main.ts", 1, 5)
        assert {"shout", "answer"} <= set(labels(answer)), answer


async def test_diagnostic_appears_and_clears_after_a_yjs_edit(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    code = 'count: int = "many"\n'
    room = await project(node, lsp_server, lead, "python", code)
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        found = await sock.diagnostics("main.py", lambda d: len(d) > 0)
        assert any("int" in d["message"] and d["severity"] == 1 for d in found), found
        assert found[0]["range"]["start"]["line"] == 0
        # Another person fixes it in the shared editor: the server feeds the language server.
        await node.call("remove", client="a", index=13, length=6)
        await node.call("insert", client="a", index=13, text="3")
        assert await node.text("a") == "count: int = 3\n"
        await sock.diagnostics("main.py", lambda d: d == [])


async def test_definition_jumps_across_files(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    code = "from lib.shapes import area\n\nprint(area(2))\n"
    room = await project(node, lsp_server, lead, "python", code, {
        "lib/__init__.py": "",
        "lib/shapes.py": "\n\ndef area(side: int) -> int:\n    return side * side\n"})
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        answer = await sock.call("textDocument/definition", {
            "textDocument": {"uri": "file:///workspace/main.py"},
            "position": {"line": 2, "character": 7}})
        result = answer["result"]
        result = result if isinstance(result, list) else [result]
        assert result[0]["uri"] == "file:///workspace/lib/shapes.py"
        assert result[0]["range"]["start"]["line"] == 2


async def test_cpp_error_is_a_diagnostic(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need("/usr/bin/clangd")
    code = "int main() {\n    int x = \"text\";\n    return x;\n}\n"
    room = await project(node, lsp_server, lead, "cpp", code)
    async with lsp(lsp_server.ws_url, room["id"], "cpp", lead.token) as sock:
        await sock.initialize()
        found = await sock.diagnostics("main.cpp", lambda d: len(d) > 0)
        assert found[0]["range"]["start"]["line"] == 1
        assert found[0]["severity"] == 1


async def test_autocomplete_off_refuses_the_candidate_and_keeps_diagnostics(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    room = await project(node, lsp_server, lead, "python", 'n: int = "x"\nimport os\nos.\n')
    candidate = join(lsp_server, room)
    with client(lsp_server) as c:
        r = c.patch(f"/api/rooms/{room['id']}", headers=lead.headers,
                    json={"autocomplete": "off"})
        assert r.status_code == 200 and r.json()["autocomplete"] == "off"
        mine = c.get(f"/api/rooms/{room['id']}",
                     headers={"Authorization": f"Bearer {candidate.token}"})
        assert mine.json()["autocomplete"] == "off"  # shown to the candidate
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with lsp(lsp_server.ws_url, room["id"], "python", candidate.token):
            pass
    assert refused.value.response.status_code == 403
    # The interviewer keeps completion; the candidate may have diagnostics alone.
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        assert "path" in labels(await sock.completion("main.py", 2, 3))
    async with lsp(lsp_server.ws_url, room["id"], "python", candidate.token,
                   "&mode=diagnostics") as sock:
        init = await sock.initialize()
        assert "completionProvider" not in init["result"]["capabilities"]
        answer = await sock.completion("main.py", 2, 3)
        assert answer["error"]["message"] == "autocomplete is off in this room"
        await sock.diagnostics("main.py", lambda d: len(d) > 0)
    with client(lsp_server) as c:
        c.patch(f"/api/rooms/{room['id']}", headers=lead.headers, json={"autocomplete": "on"})
    await asyncio.sleep(5.5)  # the hub's handshake decisions are cached for 5 s
    async with lsp(lsp_server.ws_url, room["id"], "python", candidate.token) as sock:
        await sock.initialize()
        assert "path" in labels(await sock.completion("main.py", 2, 3))


async def test_denials(lsp_server: Server, lead: Actor, node: NodeClients) -> None:
    room = create_room(lsp_server, lead, language="python")
    other = create_room(lsp_server, lead, language="python")
    stranger = create_user(lsp_server, lead)
    other_candidate = join(lsp_server, other)
    cases = [("", 401), ("not-a-token", 401), (stranger.token, 403),
             (other_candidate.token, 403)]
    for token, status in cases:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with lsp(lsp_server.ws_url, room["id"], "python", token):
                pass
        assert refused.value.response.status_code == status, token
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with lsp(lsp_server.ws_url, room["id"], "cobol", lead.token):
            pass
    assert refused.value.response.status_code == 404


async def test_a_language_without_a_server_is_said_quietly(
    lsp_server: Server, lead: Actor
) -> None:
    room = create_room(lsp_server, lead, language="java")
    async with lsp(lsp_server.ws_url, room["id"], "java", lead.token) as sock:
        init = await sock.initialize()
        assert init["result"]["capabilities"] == {"textDocumentSync": 0}
        status = await sock.wait_for(lambda n: n.get("method") == "$/codepair/status")
        assert status["params"]["state"] == "unavailable"
        assert "Java" in status["params"]["message"]
        answer = await sock.completion("Main.java", 0, 0)
        assert "error" in answer


async def test_bad_input_is_ignored_refused_or_capped(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    room = await project(node, lsp_server, lead, "python", "import os\nos.\n")
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        # The client's own document sync is ignored: the server's text is the room's.
        await sock.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": "file:///workspace/evil.py", "languageId": "python",
                             "version": 1, "text": "import sys\nsys."}}})
        await sock.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": "file:///workspace/main.py", "version": 9},
            "contentChanges": [{"text": "import sys\nsys."}]}})
        assert "path" in labels(await sock.completion("main.py", 1, 3))
        for uri in ("file:///workspace/evil.py", "file:///etc/passwd",
                    "file:///workspace/../etc/passwd", "file:///tmp/x.py"):
            answer = await sock.call("textDocument/hover", {
                "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
            assert answer["error"]["code"] == -32602, uri
        answer = await sock.call("workspace/executeCommand", {"command": "x"})
        assert answer["error"]["code"] == -32601
        # Malformed JSON-RPC gets an error and the socket stays.
        await sock.send("{not json")
        await sock.send('{"jsonrpc": "1.0", "id": 5, "method": "x"}')
        errors = await sock.wait_for(lambda n: n.get("error", {}).get("code") == -32700)
        assert errors["id"] is None
        assert "path" in labels(await sock.completion("main.py", 1, 3))
        # A flood is capped: past the burst, requests are refused at once.
        flood = [sock.call("textDocument/hover", {
            "textDocument": {"uri": "file:///workspace/main.py"},
            "position": {"line": 0, "character": 8}}) for _ in range(150)]
        answers = await asyncio.gather(*flood)
        refused = [a for a in answers if "error" in a]
        assert refused and all("too many" in a["error"]["message"] for a in refused)
    # A frame over the cap closes that socket (1009); the room goes on.
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.send("x" * (70 * 1024))
        code, _ = await asyncio.wait_for(sock.closed, 10)
        assert code == 1009
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        assert "path" in labels(await sock.completion("main.py", 1, 3))


async def test_nothing_crosses_rooms(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    one = await project(node, lsp_server, lead, "python", 'secret_one: int = "a"\n', name="a")
    two = await project(node, lsp_server, lead, "python", 'other_two: int = "b"\n', name="b")
    async with lsp(lsp_server.ws_url, one["id"], "python", lead.token) as a, \
            lsp(lsp_server.ws_url, two["id"], "python", lead.token) as b:
        await a.initialize()
        await b.initialize()
        await a.diagnostics("main.py", lambda d: len(d) > 0)
        await b.diagnostics("main.py", lambda d: len(d) > 0)
        hover = await b.call("textDocument/hover", {
            "textDocument": {"uri": "file:///workspace/main.py"},
            "position": {"line": 0, "character": 2}})
        assert "other_two" in str(hover["result"])
        assert "secret_one" not in str(b.notifications) + str(hover)


async def test_a_killed_language_server_comes_back_and_the_room_is_told(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    need(PYRIGHT)
    room = await project(node, lsp_server, lead, "python", "import os\nos.\n")
    async with lsp(lsp_server.ws_url, room["id"], "python", lead.token) as sock:
        await sock.initialize()
        assert "path" in labels(await sock.completion("main.py", 1, 3))
        assert lsp_server.proc is not None
        pids = server_processes(lsp_server.proc.pid, "langserver.index.js")
        assert pids
        # Every process of the server is in its room's memory group, capped together.
        group = Path(f"/sys/fs/cgroup/memory/codepair-lsp-{61000 + UID_OFFSET}"
                     f"/lsp-{room['id']}-pyright")
        assert int((group / "memory.limit_in_bytes").read_text()) == 2048 << 20
        members = {int(p) for p in (group / "cgroup.procs").read_text().split()}
        mine = sorted(set(pids) & members)  # other rooms' servers may still be idling out
        assert mine
        kill(mine)
        told = await sock.wait_for(lambda n: n.get("method") == "$/codepair/status"
                                   and n["params"]["state"] == "restarting", timeout=20)
        assert "starting it again" in told["params"]["message"]
        after = sock.notifications.index(told)
        async with asyncio.timeout(60):
            while not any(n.get("method") == "$/codepair/status"
                          and n["params"]["state"] == "running"
                          for n in sock.notifications[after:]):
                await asyncio.sleep(0.1)
        # The restarted server has the room's files again (typed meanwhile, too).
        await node.call("insert", client="a", index=0, text="import sys\n")
        await asyncio.sleep(0.3)
        # A line above moves ``os.`` down: only a server fed the new text completes there.
        assert "path" in labels(await sock.completion("main.py", 2, 3))


async def test_revoked_access_closes_the_language_socket(
    lsp_server: Server, lead: Actor, node: NodeClients
) -> None:
    """A language socket is closed like the room's others: the invite link replaced closes
    the candidate's, an interviewer signed out closes theirs (4401), on a room with a
    running server and on a language without one."""
    need(PYRIGHT)
    room = await project(node, lsp_server, lead, "python", "import os\n")
    candidate = join(lsp_server, room)
    helper = create_user(lsp_server, lead)
    with client(lsp_server) as c:
        r = c.post(f"/api/rooms/{room['id']}/interviewers", headers=lead.headers,
                   json={"user_id": helper.user_id})
        assert r.status_code in (200, 201), r.text
    async with (
        lsp(lsp_server.ws_url, room["id"], "python", candidate.token) as cand_sock,
        lsp(lsp_server.ws_url, room["id"], "java", candidate.token) as cand_java,
        lsp(lsp_server.ws_url, room["id"], "python", helper.token) as helper_sock,
        lsp(lsp_server.ws_url, room["id"], "python", lead.token) as lead_sock,
    ):
        for sock in (cand_sock, cand_java, helper_sock, lead_sock):
            await sock.initialize()
        with client(lsp_server) as c:
            assert c.post(f"/api/rooms/{room['id']}/invite", headers=lead.headers).is_success
        assert (await asyncio.wait_for(cand_sock.closed, 10))[0] == 4401
        assert (await asyncio.wait_for(cand_java.closed, 10))[0] == 4401
        with client(lsp_server) as c:
            r = c.post("/api/auth/logout", json={"refresh_token": helper.refresh_token})
            assert r.status_code == 204
        assert (await asyncio.wait_for(helper_sock.closed, 10))[0] == 4401
        # The lead's socket goes on: it still answers.
        assert not lead_sock.closed.done()
        assert "result" in await lead_sock.completion("main.py", 0, 9)


async def test_language_servers_are_capped_per_instance(
    tmp_path: Path, node: NodeClients
) -> None:
    """Past ``CODEPAIR_LSP_MAX_SERVERS`` a room gets no new server: it is told why, quietly,
    and the rooms that have one keep it."""
    need(PYRIGHT)
    srv = start_server(tmp_path, {"CODEPAIR_LSP_MAX_SERVERS": "1"})
    try:
        lead = bootstrap_lead(srv)
        first = await project(node, srv, lead, "python", "import os\nos.pa\n", name="one")
        second = await project(node, srv, lead, "python", "import os\n", name="two")
        async with lsp(srv.ws_url, first["id"], "python", lead.token) as running:
            await running.initialize()
            assert "path" in labels(await running.completion("main.py", 1, 5))
            async with lsp(srv.ws_url, second["id"], "python", lead.token) as refused:
                init = await refused.initialize()
                assert init["result"]["capabilities"] == {"textDocumentSync": 0}
                status = await refused.wait_for(
                    lambda n: n.get("method") == "$/codepair/status")
                assert status["params"]["state"] == "unavailable"
                assert "most language servers" in status["params"]["message"]
                assert "error" in await refused.completion("main.py", 0, 0)
            # A second socket of the room that has a server shares it.
            async with lsp(srv.ws_url, first["id"], "python", lead.token) as again:
                await again.initialize()
                assert "path" in labels(await again.completion("main.py", 1, 5))
    finally:
        srv.kill()
        if srv.database_url:
            drop_pg_database(srv.database_url)
