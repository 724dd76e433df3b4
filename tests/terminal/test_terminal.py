"""The room's shared shell through real sockets: shared screen, recent output for a new
socket, stdin, restart, read-only, the tree both ways, the record, and who may open it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, create_room, create_user, join
from tests.support.server import Server
from tests.terminal.client import TermClient, prompt


async def test_two_clients_type_into_one_shell_and_see_the_same_output(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    a = await TermClient.open(server, room["id"], lead.token)
    b = await TermClient.open(server, room["id"], cand.token)
    try:
        await a.wait_status("running")
        await prompt(a)
        await prompt(b)
        await a.run("echo A$((1000+1))", "A1001")
        await b.wait_output("A1001")
        await b.run("echo B$((2000+2))", "B2002")
        await a.wait_output("B2002")
        # The shell runs in the sandbox: its own user, its own hostname, /workspace.
        out = await a.run("echo $(whoami)@$(hostname):$(pwd) Z$((3+4))", "Z7")
        assert "runner@sandbox:/workspace" in out
    finally:
        await a.close()
        await b.close()


async def test_a_new_socket_gets_the_recent_output_first(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        await a.run("seq 1 200 | sed 's/^/line-/'; echo D$((40+2))", "D42")
        late = await TermClient.open(server, room["id"], lead.token)
        try:
            await late.wait_output("line-200")
            await late.wait_output("D42")
            # The recent output comes first, then the status (a JSON frame of its own).
            await late.wait_status("running")
            assert late.messages[0]["type"] == "status"
            assert late.messages[0]["state"] == "running"
        finally:
            await late.close()
    finally:
        await a.close()


async def test_an_interactive_program_reads_what_is_typed(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        start = len(a.output)
        # The prompt is put together by the program: the echo of the command line must not
        # hold it, or the name is typed before the program runs (and the shell drops it).
        await a.type("python3 -c \"n = input('your ' + 'name? '); print('hello', n.upper())\"\r")
        await a.wait_output("your name\\? ", start=start)
        await a.type("ada\r")
        await a.wait_output("hello ADA", start=start)
    finally:
        await a.close()


async def test_restart_and_read_only_are_the_interviewers(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    i = await TermClient.open(server, room["id"], lead.token)
    c = await TermClient.open(server, room["id"], cand.token)
    try:
        await prompt(i)
        await c.send_json({"type": "restart"})
        await c.wait(lambda: any(m.get("code") == "forbidden" for m in c.messages))
        await c.send_json({"type": "readonly", "on": True})
        await c.wait(lambda: sum(m.get("code") == "forbidden" for m in c.messages) == 2)

        await i.run("export KEEP=K$((5+5))", r"\$ ")
        await i.send_json({"type": "readonly", "on": True})
        status = await c.wait_status("running")
        await c.wait(lambda: any(m.get("readonly") for m in c.messages))
        await c.type("echo typed-by-candidate\r")
        await c.wait(lambda: any(m.get("code") == "read_only" for m in c.messages))
        await asyncio.sleep(0.3)
        assert "typed-by-candidate" not in i.text
        await i.send_json({"type": "readonly", "on": False})
        await c.wait(lambda: [m for m in c.messages if m.get("type") == "status"][-1]
                     .get("readonly") is False)
        await c.run("echo C$((7*6))", "C42")
        assert status["state"] == "running"

        # A restart is a new shell: the old one's variables are gone.
        since = len(i.messages)
        await i.send_json({"type": "restart"})
        await i.wait_status("starting", since=since)
        await i.wait_status("running", since=since)
        out = await i.run("echo [$KEEP] R$((8+1))", "R9")
        assert "[]" in out
        assert "Restarted by an interviewer" in i.text
    finally:
        await i.close()
        await c.close()


async def test_exit_then_the_next_keystroke_starts_a_new_shell(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        before = len(a.messages)  # a socket's first status may be "exited": the shell not yet up
        await a.type("exit 3\r")
        status = await a.wait_status("exited", since=before)
        assert status["exit_code"] == 3
        since = len(a.messages)
        await a.type("x")
        await a.wait_status("running", since=since)
        await a.run("echo N$((1+1))", "N2")
    finally:
        await a.close()


async def test_the_tree_and_the_workspace_follow_each_other(
    server: Server, lead: Actor, room: dict[str, Any], node: NodeClients
) -> None:
    await node.connect("ed", server.ws_url, room["id"], "code", lead.token)
    await node.call("waitSynced", client="ed")
    await node.call("setFiles", client="ed", files={"lib/util.py": "VALUE = 41\n"})
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        out = await a.run("cat lib/util.py; echo E$((1+1))", "E2")
        assert "VALUE = 41" in out
        # An edit in the editor reaches /workspace within 300 ms.
        await node.call("setFiles", client="ed", files={"lib/util.py": "VALUE = 42\n"})
        loop = asyncio.get_running_loop()
        began = loop.time()
        await asyncio.sleep(0.3)
        out = await a.run("cat lib/util.py; echo F$((1+1))", "F2")
        assert "VALUE = 42" in out, f"not there {loop.time() - began:.2f} s after the edit"
        # A file a command writes reaches the tree within 1 s, as a server-made update.
        await a.run("echo 'print(1)' > made.py; mkdir -p pkg; printf 'x\\n' > pkg/y.txt; "
                    "head -c 300 /dev/urandom > blob.bin; echo G$((1+1))", "G2")
        began = loop.time()
        reply = await node.call("waitFiles", client="ed",
                                files={"made.py": "print(1)\n", "pkg/y.txt": "x\n"}, timeout=1500)
        assert reply["ok"], f"not in the tree after {loop.time() - began:.2f} s"
        files = (await node.call("files", client="ed"))["files"]
        assert "blob.bin" not in files  # binary: stays in the sandbox
        # A deleted file leaves the tree.
        await a.run("rm made.py; echo H$((1+1))", "H2")
        for _ in range(40):
            files = (await node.call("files", client="ed"))["files"]
            if "made.py" not in files:
                break
            await asyncio.sleep(0.05)
        assert "made.py" not in files
        # The history says who made it: the terminal.
        history = httpx.get(f"{server.url}/api/rooms/{room['id']}/history/code",
                            headers=lead.headers).json()
        assert history["files"].get("pkg/y.txt") == "x\n"
    finally:
        await a.close()


async def test_the_cast_holds_every_byte_and_asciinema_plays_it(
    server: Server, lead: Actor, room: dict[str, Any], tmp_path: Any
) -> None:
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        await a.send_json({"type": "resize", "cols": 100, "rows": 30})
        await a.run("echo CAST$((10+5))", "CAST15")
    finally:
        await a.close()
    cand = join(server, room)
    url = f"{server.url}/api/rooms/{room['id']}/terminal.cast"
    assert httpx.get(url, headers=cand.headers).status_code == 403
    assert httpx.get(url).status_code == 401
    stranger = create_user(server, lead)
    assert httpx.get(url, headers=stranger.headers).status_code == 404
    resp = httpx.get(url, headers=lead.headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/x-asciicast")
    lines = resp.text.splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] > 0 and header["height"] > 0
    assert isinstance(header["timestamp"], int)
    events = [json.loads(line) for line in lines[1:]]
    assert all(isinstance(e[0], float | int) and e[1] in "oimr" for e in events)
    times = [e[0] for e in events]
    assert times == sorted(times)
    typed = "".join(e[2] for e in events if e[1] == "i")
    assert "echo CAST$((10+5))" in typed
    assert "CAST15" in "".join(e[2] for e in events if e[1] == "o")
    assert ["r", "100x30"] in [[e[1], e[2]] for e in events]
    # asciinema's own reader plays it.
    path = tmp_path / "session.cast"
    path.write_text(resp.text)
    if shutil.which("asciinema") is None:
        pytest.fail("asciinema is not installed (apt-get install -y asciinema)")
    # asciinema opens /dev/tty: give it a terminal of its own.
    _master, slave = os.openpty()
    played = subprocess.run(["setsid", "-c", "asciinema", "cat", str(path)], stdin=slave,
                            capture_output=True, timeout=30)
    os.close(slave)
    os.close(_master)
    assert played.returncode == 0, played.stderr
    assert b"CAST15" in played.stdout
    # The report has the last screen, rendered as text.
    report = httpx.get(f"{server.url}/api/rooms/{room['id']}/report?format=md",
                       headers=lead.headers)
    assert report.status_code == 200
    terminal_part = report.text.split("## Terminal", 1)[1]
    assert "CAST15" in terminal_part and "\x1b" not in terminal_part
    # The timeline has the shell's start.
    events_out = httpx.get(f"{server.url}/api/rooms/{room['id']}/timeline",
                           headers=lead.headers).json()["events"]
    assert any(e["type"] == "terminal" and e.get("action") == "start" for e in events_out)


async def test_denials(server: Server, lead: Actor, room: dict[str, Any]) -> None:
    other = create_room(server, lead)
    other_cand = join(server, other)
    stranger = create_user(server, lead)
    for token, status in (("", 401), ("garbage", 401), (other_cand.token, 403),
                          (stranger.token, 403)):
        with pytest.raises(InvalidStatus) as refused:
            await TermClient.open(server, room["id"], token)
        assert refused.value.response.status_code in (status, 403, 404), token
    with pytest.raises(InvalidStatus) as refused:
        await TermClient.open(server, room["id"], lead.token,
                              additional_headers={"Origin": "https://evil.example"})
    assert refused.value.response.status_code == 403


async def test_bad_messages_get_an_error_and_the_socket_stays(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    a = await TermClient.open(server, room["id"], lead.token)
    try:
        await prompt(a)
        for bad in ("nope", "[]", json.dumps({"type": "resize", "cols": 0, "rows": 5}),
                    json.dumps({"type": "resize", "cols": 10**6, "rows": 5}),
                    json.dumps({"type": "fly"})):
            await a.ws.send(bad)
        await a.wait(lambda: sum(m.get("type") == "error" for m in a.messages) == 5)
        await a.run("echo OK$((1+1))", "OK2")
        await a.ws.send(b"x" * (65 * 1024))  # over the frame cap: the socket goes
        await a.wait(lambda: a.closed is not None)
        assert a.closed is not None and a.closed[0] == 1009
    finally:
        await a.close()


async def test_the_room_ending_kills_the_shell_and_leaves_nothing(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    cand = join(server, room)
    i = await TermClient.open(server, room["id"], lead.token)
    c = await TermClient.open(server, room["id"], cand.token)
    try:
        await prompt(i)
        await i.run("(sleep 1000 &) ; nohup sleep 999 >/dev/null 2>&1 & echo S$((1+1))", "S2")
        owner = _uid_of("sleep 999")
        assert owner is not None
        resp = httpx.post(f"{server.url}/api/rooms/{room['id']}/end", headers=lead.headers)
        assert resp.status_code == 200
        await c.wait(lambda: c.closed is not None)
        await i.wait_status("exited")
        await i.wait_output("The interview has ended")
        for _ in range(50):
            if _uid_of("sleep 999") is None and _uid_of("sleep 1000") is None:
                break
            await asyncio.sleep(0.1)
        assert _uid_of("sleep 999") is None and _uid_of("sleep 1000") is None
        # An ended room's terminal starts no shell again.
        await i.type("echo again\r")
        await i.wait(lambda: any(m.get("code") == "ended" for m in i.messages))
    finally:
        await i.close()
        await c.close()


def _uid_of(command: str) -> int | None:
    out = subprocess.run(["ps", "-eo", "uid,args"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        uid, _, args = line.strip().partition(" ")
        if args.strip() == command:
            return int(uid)
    return None


async def test_a_program_that_asks_the_terminal_gets_one_answer(
    server: Server, lead: Actor, room: dict[str, Any]
) -> None:
    """Each open browser's xterm.js answers a cursor-position query; the shell gets the
    last typist's answer only (here both sockets answer, as two browsers would)."""
    cand = join(server, room)
    a = await TermClient.open(server, room["id"], lead.token)
    b = await TermClient.open(server, room["id"], cand.token)
    try:
        await prompt(a)
        await prompt(b)
        start = len(a.output)
        # Ask for the cursor position, then read up to two answers.
        await b.type("printf '\\033[6n'; read -rs -t 3 -d R x; read -rs -t 2 -d R y; "
                     "echo \"ONE=${x#*[} TWO=${y#*[} Q$((6*7))\"\r")
        await a.wait_output(r"\x1b\[6n", start=start)
        await a.type(b"\x1b[7;1R")  # not the typist: dropped
        await b.type(b"\x1b[5;3R")  # the typist's answer
        await a.wait_output("Q42", start=start, timeout=15)
        line = a.output[start:].decode(errors="replace")
        assert "ONE=5;3 TWO= Q42" in line, line
    finally:
        await a.close()
        await b.close()
