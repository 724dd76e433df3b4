"""``codepair backup`` while a room is typed in, ``codepair restore`` into a fresh database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.hub.nodeclients import NodeClients
from tests.support.api import bootstrap_lead, client, create_room, login
from tests.support.server import Server, create_pg_database, db_backend, drop_pg_database

ServerFactory = Callable[..., Server]


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    """A server not started yet, on an empty data dir and (on PostgreSQL) an empty database."""
    url = create_pg_database() if db_backend() == "postgres" else ""
    srv = Server(data_dir=tmp_path / "restored", database_url=url)
    srv.data_dir.mkdir()
    try:
        yield srv
    finally:
        srv.kill()
        if url:
            drop_pg_database(url)


async def _text(srv: Server, room_id: str, token: str) -> str:
    reader = await NodeClients.start()
    try:
        assert (await reader.connect("r", srv.ws_url, room_id, "code", token))["synced"]
        return await reader.text("r")
    finally:
        await reader.close()


async def test_round_trip_while_a_room_is_typed_in(
    server_factory: ServerFactory, fresh: Server, tmp_path: Path
) -> None:
    live = server_factory()
    lead = bootstrap_lead(live)
    room = create_room(live, lead)
    before = "def solve(xs):\n    return sorted(xs)\n"
    during = "# typed while the backup ran\n" * 20
    node = await NodeClients.start()
    try:
        await node.connect("cand", live.ws_url, room["id"], "code", lead.token)
        await node.call("type", client="cand", text=before)
        await asyncio.sleep(0.5)  # past the group commit: this much is in the database
        typing = asyncio.create_task(node.call("type", client="cand", text=during, delay=10))
        await asyncio.sleep(0.3)
        file = tmp_path / "codepair.backup"
        done = await asyncio.to_thread(live.cli, "backup", str(file))
        assert "backup written" in done.stdout
        assert not typing.done(), "the backup must run while the candidate types"
        await typing
        final = await node.text("cand")
    finally:
        await node.close()
    assert final == before + during
    # A second backup over the first replaces it whole (written aside, then renamed).
    taken_while_typing = tmp_path / "while-typing.backup"
    file.rename(taken_while_typing)
    assert "backup written" in live.cli("backup", str(file)).stdout
    assert file.stat().st_size > 0

    # Restore the backup taken mid-typing into a fresh data dir / database; serve from it.
    restored = fresh.cli("restore", str(taken_while_typing))
    assert "restored" in restored.stdout, restored.stderr
    fresh.start()
    again = login(fresh, str(lead.email))
    with client(fresh) as c:
        r = c.get(f"/api/rooms/{room['id']}", headers=again.headers)
        assert r.status_code == 200 and r.json()["candidate_name"] == room["candidate_name"]
        audit = c.get("/api/audit", headers=again.headers, params={"room": room["id"]})
        assert [e["action"] for e in audit.json()["items"]] == ["room.created"]
    text = await _text(fresh, room["id"], again.token)
    # The database as it stood at one moment of the typing: all of what came before, and
    # some prefix of what was being typed (never a torn or reordered state).
    assert text.startswith(before) and final.startswith(text), text


async def test_restore_refuses_a_database_in_use_and_a_file_that_is_no_backup(
    server_factory: ServerFactory, fresh: Server, tmp_path: Path
) -> None:
    live = server_factory()
    bootstrap_lead(live)
    file = tmp_path / "b.backup"
    live.cli("backup", str(file))
    refused = live.cli("restore", str(file), check=False)
    assert refused.returncode == 1 and "--force" in refused.stderr

    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup at all")
    bad = fresh.cli("restore", str(junk), check=False)
    assert bad.returncode == 1 and "not a CodePair backup" in bad.stderr
    missing = fresh.cli("restore", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 1 and "no backup" in missing.stderr
    unwritable = live.cli("backup", str(tmp_path / "no" / "such" / "dir" / "b"), check=False)
    assert unwritable.returncode == 1 and "no directory" in unwritable.stderr
