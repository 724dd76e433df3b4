"""``POST /api/rooms/{id}/files.zip`` over a real server and real y-websocket clients: a zip's
text files reach every client as one update; a bomb, a link, ``..``, an absolute path, a binary
file, a tree over the caps are refused with a clear 422 and the tree is unchanged."""

from __future__ import annotations

import asyncio
import base64
import io
import random
import stat
import zipfile
from typing import Any

import httpx
import pytest

from tests.hub.nodeclients import NodeClients
from tests.support.api import Actor, create_room, create_user, join
from tests.support.server import Server

BEFORE = {"util.py": "X = 1\n"}


def _zip(
    entries: dict[str, bytes], *, link: str | None = None, method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, b"/etc/passwd")
    return out.getvalue()


def _post(
    server: Server, room_id: str, actor: Actor | None, body: bytes, **params: str
) -> httpx.Response:
    headers = {**(actor.headers if actor else {}), "content-type": "application/zip"}
    return httpx.post(
        f"{server.url}/api/rooms/{room_id}/files.zip", content=body, headers=headers, params=params
    )


async def _tree(node: NodeClients, client: str) -> dict[str, str]:
    return dict((await node.call("files", client=client))["files"])


@pytest.fixture
async def project(node: NodeClients, server: Server, lead: Actor, room: dict[str, Any]) -> Actor:
    """The room with one file beside its entry, a lead's client and the candidate's."""
    cand = join(server, room)
    assert (await node.connect("lead", server.ws_url, room["id"], "code", lead.token))["synced"]
    assert (await node.connect("cand", server.ws_url, room["id"], "code", cand.token))["synced"]
    await node.call("type", client="lead", text="import util\n", delay=0)
    await node.call("setFiles", client="lead", files=BEFORE)
    assert (await node.call("waitFiles", client="cand", files=BEFORE))["ok"]
    return cand


async def test_a_zip_reaches_everyone_as_one_update(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any], project: Actor
) -> None:
    # As GET files.zip writes it (one top folder, dropped) and as a desktop archiver adds litter.
    body = _zip(
        {
            "proj/util.py": b"X = 2\n",
            "proj/pkg/helpers.py": b"def f():\n    return 1\n",
            "proj/main.py": b"import util\nprint(util.X)\n",
            "__MACOSX/proj/._util.py": b"\x00\x05\x16\x07",
            "proj/.DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    answer = _post(server, room["id"], project, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"written": ["main.py", "pkg/helpers.py", "util.py"], "files": 3}
    want = {"util.py": "X = 2\n", "pkg/helpers.py": "def f():\n    return 1\n"}
    for client in ("lead", "cand"):
        assert (await node.call("waitFiles", client=client, files=want))["ok"], client
        assert (await node.call("waitText", client=client, text="import util\nprint(util.X)\n"))[
            "ok"
        ]
    # Below a folder, as a drop on a folder row does.
    answer = _post(server, room["id"], lead, _zip({"a.py": b"A = 1\n"}), folder="vendor/x")
    assert answer.status_code == 200, answer.text
    assert (await node.call("waitFiles", client="cand", files={"vendor/x/a.py": "A = 1\n"}))["ok"]


def _bomb() -> bytes:
    """9 MiB of "0" in ten files, deflated to a few KiB: refused once it inflates past the ratio."""
    return _zip({f"f{i}.txt": b"0" * (900 * 1024) for i in range(10)})


def _over_tree_cap() -> bytes:
    """9 MiB that inflates only some 80 times (a random block, repeated): under the ratio, over
    the tree's 8 MiB."""
    block = base64.b64encode(random.Random(7).randbytes(15 * 1024))
    return _zip({f"f{i}.txt": (block * 50)[: 900 * 1024] for i in range(10)})


REFUSALS = [
    ("bomb", _bomb, {}, "zip bomb"),
    ("tree cap", _over_tree_cap, {}, "bytes in all"),
    ("link", lambda: _zip({"ok.py": b"x"}, link="evil"), {}, "symbolic link"),
    ("dotdot", lambda: _zip({"../escape.py": b"x"}), {}, ".."),
    ("nested dotdot", lambda: _zip({"a/../../escape.py": b"x"}), {}, ".."),
    ("absolute", lambda: _zip({"/etc/cron.d/x": b"x"}), {}, "relative"),
    ("binary", lambda: _zip({"img.png": b"\x89PNG\r\n\x1a\n\x00\x00"}), {}, "binary"),
    ("latin-1", lambda: _zip({"old.txt": "café".encode("latin-1")}), {}, "UTF-8"),
    ("big file", lambda: _zip({"big.py": b"#" * (1024 * 1024 + 1)}), {}, "at most 1048576 bytes"),
    ("too many", lambda: _zip({f"f{i}.py": b"" for i in range(501)}), {}, "at most 500 files"),
    ("clash", lambda: _zip({"util.py/inner.py": b"x", "b.py": b""}), {}, "a file and a folder"),
    ("bad folder", lambda: _zip({"a.py": b"x"}), {"folder": "../up"}, ".."),
    ("not a zip", lambda: b"PK\x03\x04 this is not really a zip", {}, "not a zip"),
    (
        "stored bomb",
        lambda: _zip({"z.txt": b"z" * (9 * 1024 * 1024)}, method=zipfile.ZIP_STORED),
        {},
        "bytes in all",
    ),
]


@pytest.mark.parametrize(("why", "make", "params", "says"), REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_refused_whole_and_the_tree_is_unchanged(
    node: NodeClients,
    server: Server,
    room: dict[str, Any],
    project: Actor,
    why: str,
    make: Any,
    params: dict[str, str],
    says: str,
) -> None:
    before = await _tree(node, "cand")
    body = make()
    if len(body) > 1024 * 1024:  # over the body cap: the middleware answers first
        answer = _post(server, room["id"], project, body, **params)
        assert answer.status_code == 413, (why, answer.text)
    else:
        answer = _post(server, room["id"], project, body, **params)
        assert answer.status_code == 422, (why, answer.text)
        assert says in answer.json()["detail"], (why, answer.json())
        assert answer.json()["detail"].startswith("The zip was not imported"), why
    # A good update after the refusal proves the clients are still connected and current.
    await node.call("editFile", client="lead", path="util.py", index=0, text="#\n")
    assert (await node.call("waitFiles", client="cand", files={"util.py": "#\nX = 1\n"}))["ok"]
    after = await _tree(node, "cand")
    assert after == {**before, "util.py": "#\nX = 1\n"}, why
    assert (await node.call("text", client="cand"))["text"] == "import util\n"


async def test_who_may_import(
    node: NodeClients, server: Server, lead: Actor, room: dict[str, Any], project: Actor
) -> None:
    body = _zip({"x.py": b"x = 1\n"})
    assert _post(server, room["id"], None, body).status_code == 401
    assert _post(server, room["id"], create_user(server, lead), body).status_code == 404
    other = create_room(server, lead)
    assert _post(server, other["id"], project, body).status_code in (403, 404)
    wrong_type = httpx.post(
        f"{server.url}/api/rooms/{room['id']}/files.zip",
        content=body,
        headers={**project.headers, "content-type": "text/plain"},
    )
    assert wrong_type.status_code == 422
    assert "Content-Type application/zip" in wrong_type.json()["detail"]
    httpx.post(f"{server.url}/api/rooms/{room['id']}/end", headers=lead.headers).raise_for_status()
    assert _post(server, room["id"], lead, body).status_code == 409  # ended: the record stays
    assert _post(server, room["id"], project, body).status_code in (401, 403, 410)
    await asyncio.sleep(0)
