"""Short reads (codepair.db.reads) and the handshake's one-query check, on the test database.

A read is one snapshot even while others write; it cannot write; and ``access_to_room``
answers as ``authenticate`` and ``room_role`` do, for every kind of principal.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import DBAPIError

from codepair.config import Settings
from codepair.db.engine import create_engine, session_factory, transaction
from codepair.db.migrate import upgrade
from codepair.db.models.accounts import AuthSession, Role, User
from codepair.db.models.interviews import Invite, Room, RoomInterviewer
from codepair.db.reads import Reads
from codepair.domain.errors import Unauthorized
from codepair.domain.interviews.access import access_to_room
from codepair.security.tokens import issue_access_token, issue_candidate_token
from tests.support.server import (
    PG_ADMIN_DSN,
    create_pg_database,
    db_backend,
    drop_pg_database,
)

HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    url = create_pg_database() if db_backend() == "postgres" else ""
    settings = Settings(data_dir=tmp_path_factory.mktemp("reads"), database_url=url)
    upgrade(settings)
    yield settings
    if url:
        drop_pg_database(url)


@pytest.fixture(scope="module")
async def reads(settings: Settings) -> AsyncIterator[Reads]:
    engine = create_engine(settings)
    async with transaction(session_factory(engine)) as db:
        for uid, role in ((1, Role.lead), (2, Role.interviewer), (3, Role.interviewer)):
            email = f"u{uid}@example.com"
            db.add(User(id=uid, email=email, name=f"U{uid}", role=role, password_hash="x"))
            await db.flush()
            db.add(AuthSession(id=f"s{uid}", user_id=uid, expires_at=datetime.now(UTC) + HOUR))
        await db.flush()
        db.add(Room(id="r1", candidate_name="Cody", owner_id=2))
        db.add(Room(id="r2", candidate_name="Dana", owner_id=1))
        await db.flush()
        db.add(RoomInterviewer(room_id="r1", user_id=3))
        db.add(Invite(id=7, room_id="r1", token="invite-r1"))
    reads = Reads(settings, engine)
    yield reads
    reads.close()
    await engine.dispose()


def external_write(settings: Settings, sql: str) -> None:
    """Commit ``sql`` on a connection outside the app's engines (sqlite3 itself, or psql)."""
    if settings.is_sqlite:
        with sqlite3.connect(settings.data_dir / "codepair.db") as conn:
            conn.execute(sql)
    else:
        dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + settings.database_url.rsplit("/", 1)[1]
        subprocess.run(["psql", dsn, "-q", "-c", sql], check=True, capture_output=True)


@pytest.mark.parametrize("on_loop", [False, True])
async def test_a_read_sees_one_snapshot_while_others_write(
    settings: Settings, reads: Reads, on_loop: bool
) -> None:
    users = select(func.count()).select_from(User)

    def twice(conn: Connection) -> tuple[int, int]:
        before = conn.execute(users).scalar_one()
        external_write(
            settings,
            "INSERT INTO users (id, email, name, role, password_hash, is_active, created_at,"
            f" updated_at) VALUES ({40 + on_loop}, 'late{on_loop:d}@example.com', 'Late',"
            " 'interviewer', 'x', true,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        )
        return before, conn.execute(users).scalar_one()

    before, after = await reads.run(twice, on_loop=on_loop)
    assert after == before, "the second query saw a write committed after the first"
    now = await reads.run(lambda conn: conn.execute(users).scalar_one(), on_loop=on_loop)
    assert now == before + 1, "a new read sees what was committed"


@pytest.mark.parametrize("on_loop", [False, True])
async def test_a_read_cannot_write(reads: Reads, on_loop: bool) -> None:
    def write(conn: Connection) -> None:
        conn.execute(insert(Room).values(id="r9", candidate_name="X", owner_id=1))

    with pytest.raises(DBAPIError):
        await reads.run(write, on_loop=on_loop)
    rooms = await reads.run(lambda conn: conn.execute(select(Room.id)).scalars().all())
    assert "r9" not in rooms


async def test_on_sqlite_reads_leave_the_loop_but_the_hubs_own(
    settings: Settings, reads: Reads
) -> None:
    """A REST read runs on the reader thread, so keystrokes are relayed meanwhile; the hub's
    handshakes and loads (``on_loop``) stay on the loop's thread (codepair/db/reads.py)."""
    loop_thread = threading.get_ident()
    elsewhere = await reads.run(lambda conn: threading.get_ident())
    here = await reads.run(lambda conn: threading.get_ident(), on_loop=True)
    assert here == loop_thread
    assert (elsewhere != loop_thread) is settings.is_sqlite  # PostgreSQL has no thread
    # Both connections read, one after the other and at once.
    count = select(func.count()).select_from(User)
    results = await asyncio.gather(
        *(
            reads.run(lambda conn: conn.execute(count).scalar_one(), on_loop=i % 2 == 0)
            for i in range(20)
        )
    )
    assert len(set(results)) == 1


def user_token(settings: Settings, uid: int, role: str, session: str | None = None) -> str:
    key = settings.signing_key()
    sid = session or f"s{uid}"
    return issue_access_token(key, user_id=uid, session_id=sid, role=role, name=f"U{uid}", ttl=HOUR)


@pytest.mark.parametrize(
    ("uid", "role", "room", "expected"),
    [
        (2, "interviewer", "r1", "owner"),
        (3, "interviewer", "r1", "co"),
        (1, "lead", "r1", "lead"),
        (1, "lead", "r2", "owner"),
        (3, "interviewer", "r2", None),  # not on that room
        (2, "interviewer", "nope", None),  # no such room
        (1, "lead", "nope", None),
    ],
)
async def test_the_handshake_check_gives_each_user_their_part(
    settings: Settings, reads: Reads, uid: int, role: str, room: str, expected: str | None
) -> None:
    token = user_token(settings, uid, role)
    principal, part = await reads.run(lambda c: access_to_room(c, settings, token, room))
    assert (principal.user_id, part) == (uid, expected)


async def test_the_handshake_check_reads_role_and_name_from_the_database(
    settings: Settings, reads: Reads
) -> None:
    token = user_token(settings, 3, "lead")  # the token claims more than the user has
    principal, part = await reads.run(lambda c: access_to_room(c, settings, token, "r2"))
    assert (principal.role, principal.name, part) == ("interviewer", "U3", None)


async def test_the_handshake_check_refuses_dead_tokens(settings: Settings, reads: Reads) -> None:
    revoke = "UPDATE auth_sessions SET revoked_at = '2026-01-01 00:00:00' WHERE id = 's3'"
    external_write(settings, revoke)
    bad = [
        user_token(settings, 3, "interviewer"),  # its session is revoked
        user_token(settings, 2, "interviewer", session="s3"),  # another user's session
        user_token(settings, 99, "interviewer"),  # no such user
        "not-a-token",
        issue_access_token(
            "another-key-" + "x" * 40,
            user_id=2,
            session_id="s2",
            role="interviewer",
            name="U2",
            ttl=HOUR,
        ),
    ]
    for token in bad:
        with pytest.raises(Unauthorized):
            await reads.run(lambda c, t=token: access_to_room(c, settings, t, "r1"))


async def test_the_handshake_check_for_candidates(settings: Settings, reads: Reads) -> None:
    def candidate(room: str, invite: int) -> str:
        return issue_candidate_token(
            settings.signing_key(), room_id=room, invite_id=invite, name="Cody", ttl=HOUR
        )

    token = candidate("r1", 7)
    principal, part = await reads.run(lambda c: access_to_room(c, settings, token, "r1"))
    assert (principal.is_candidate, part) == (True, "candidate")
    _, part = await reads.run(lambda c: access_to_room(c, settings, token, "r2"))
    assert part is None, "a candidate belongs only to the room their token names"
    with pytest.raises(Unauthorized):  # an invite of another room
        forged = candidate("r2", 7)
        await reads.run(lambda c: access_to_room(c, settings, forged, "r2"))
    external_write(settings, "UPDATE rooms SET ended_at = '2026-01-01 00:00:00' WHERE id = 'r1'")
    with pytest.raises(Unauthorized):  # the interview is over
        await reads.run(lambda c: access_to_room(c, settings, token, "r1"))
