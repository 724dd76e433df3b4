"""One room's terminal on one of several instances (docs/terminal.md, "Scale-out").

The shell lives on one instance: the one holding the room's lease on the bus
(:func:`codepair.bus.terminal_lease`), which it renews every third of ``lease_seconds``. That
instance runs a :class:`~codepair.terminal.session.TerminalSession` as a single instance
does, and every socket of another instance is a
:class:`~codepair.terminal.relay.RemoteSocket` in it, so the shell's rules hold for them as
for its own. The others relay: their sockets' keystrokes, resizes, restarts and read-only
go to the ``in`` channel, and they hand what comes on ``out`` (output and status for all,
the recent output and errors for one socket) to their sockets.

Presence: every instance that relays says which sockets it has every third of the lease
(``HERE``); the shell's instance drops the sockets of an instance it has not heard for a
whole lease (killed), so the idle stop counts the sockets of every live instance.

Failover: an instance that relays looks at the lease on the same beat. Gone (its holder was
killed and did not renew it), its sockets are told (a status and a line), and the next
keystroke (or an interviewer's restart) on any instance claims the lease there and starts a
shell from the tree; the new holder says so on ``out`` (``OWNER``) and the others attach their
sockets to it, each getting the new shell's status and its first lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from codepair.bus import Bus, BusUnavailable, Gap, Subscription, terminal_channel, terminal_lease
from codepair.hub.connection import Connection
from codepair.terminal import protocol, relay
from codepair.terminal.relay import Outbox, RelayError, RelayMessage, RemoteSocket, size_of
from codepair.terminal.session import TerminalConfig, TerminalSession

log = structlog.get_logger("codepair.terminal")

OWNER_GONE = ("The server that ran this terminal stopped: its shell is gone. "
              "Press a key to start a new one from the files.")
TAKEN_OVER = ("The server that ran this terminal stopped: this is a new shell, started "
              "from the files (what ran there, and files that were only in its sandbox, are gone).")


class SharedTerminal:
    """A room's terminal on this instance: the shell itself (it holds the lease) or a relay
    to the instance that runs it. Its methods are a session's, for the socket route."""

    def __init__(
        self,
        room_id: str,
        *,
        bus: Bus,
        config: TerminalConfig,
        make_session: Callable[[Callable[[TerminalSession], None]], TerminalSession],
        on_empty: Callable[[SharedTerminal], None],
    ) -> None:
        self.room_id = room_id
        self.bus = bus
        self.config = config
        self.me = bus.instance_id
        self._make_session = make_session
        self._on_empty = on_empty
        self.key = terminal_lease(room_id)
        self.lease = config.lease_seconds
        self.beat = config.lease_seconds / 3
        self.in_channel = terminal_channel(room_id, "in")
        self.out_channel = terminal_channel(room_id, "out")
        self.sockets: dict[Connection, tuple[int, int] | None] = {}
        self._by_id: dict[str, Connection] = {}
        self._live: set[Connection] = set()  # relayed sockets that got their first frames
        self.session: TerminalSession | None = None
        self.owner: str | None = None
        self.ended = False
        self.readonly = False
        self.cols, self.rows = 80, 24
        self._remotes: dict[tuple[str, str], RemoteSocket] = {}
        self._heard: dict[str, float] = {}
        self._unheld = 0  # beats in a row that found nobody holding the lease
        # Bumped when this instance's screens are reset after a bus gap: the holder sends
        # the recent output again to sockets it knows under an older generation.
        self._generation = 0
        self._outbox = Outbox(bus, room_id)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._subs: list[Subscription] = []
        self._opened: asyncio.Task[None] | None = None
        self._closed = False

    # --- life on this instance --------------------------------------------------------------

    async def open(self) -> None:
        """Listen on the room's channels (once, however many sockets ask at once)."""
        if self._opened is None:
            self._opened = asyncio.get_running_loop().create_task(self._open())
        await asyncio.shield(self._opened)

    async def _open(self) -> None:
        for channel, handle in ((self.in_channel, self._from_relay),
                                (self.out_channel, self._from_owner)):
            sub = await self.bus.subscribe(channel)
            self._subs.append(sub)
            self._spawn(self._read(sub, handle), f"terminal-{channel}")
        self._spawn(self._outbox.run(), f"terminal-publish-{self.room_id}")
        self._spawn(self._beat_loop(), f"terminal-beat-{self.room_id}")

    async def close(self, reason: str | None = None) -> None:
        """This instance is done with the room's terminal: if it runs the shell, the shell
        stops, the lease is given up and the others are told."""
        if self._closed:
            return
        self._closed = True
        session, self.session = self.session, None
        if session is not None:
            await session.stop(reason or "The shell was stopped.", ended=self.ended)
            session.relay = None
            self._publish(relay.encode_json(relay.GONE, self.me, "", {}))
            with contextlib.suppress(BusUnavailable):
                await self.bus.release(self.key)
        # Let what is queued (the last output, GONE) go out, then stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self._outbox.sent()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sub in self._subs:
            await sub.close()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the socket route's calls -----------------------------------------------------------

    @property
    def clients(self) -> list[Connection]:
        return list(self.sockets)

    async def attach(self, conn: Connection) -> None:
        self.sockets[conn] = None
        self._by_id[str(conn.id)] = conn
        if self.session is None and not self.ended:
            async with self._lock:
                if self.session is None and self.owner is None:
                    holder = await self._holder()
                    if holder is None and await self._claim(failover=False):
                        return  # the claim attached every socket here, this one too
                    self.owner = holder if holder is not None else await self._holder()
        if self.session is not None:
            if conn not in self.session.clients:
                self.session.attach(conn)
            return
        if self.owner is None:
            conn.send(self._status("exited", reason="The interview has ended"
                                   if self.ended else None))
            return
        # (In an ended room too: interviewers keep reading the last screen.)
        self._send_in(relay.ATTACH, conn, json.dumps(self._who(conn)))

    def detach(self, conn: Connection) -> None:
        self.sockets.pop(conn, None)
        self._by_id.pop(str(conn.id), None)
        self._live.discard(conn)
        if self.session is not None:
            self.session.detach(conn)
            return
        self._send_in(relay.DETACH, conn)
        if not self.sockets:
            self._on_empty(self)

    def keystrokes(self, conn: Connection, data: bytes) -> None:
        if self.session is not None:
            self.session.keystrokes(conn, data)
        elif self.ended:
            conn.send(protocol.error("ended", "The interview has ended"))
        elif self.owner is None:
            if self.readonly and conn.is_candidate:
                conn.send(protocol.error("read_only", "The interviewer made the terminal "
                                         "read-only"))
                return
            # Nobody runs the shell (its instance went away): this keystroke starts one here.
            self._spawn(self._take_over(conn, data), f"terminal-claim-{self.room_id}")
        else:
            self._send_in(relay.KEYS, conn, data)

    def resize(self, conn: Connection, cols: int, rows: int) -> None:
        self.sockets[conn] = (cols, rows)
        if self.session is not None:
            self.session.resize(conn, cols, rows)
        elif self.owner is not None:
            self._send_in(relay.RESIZE, conn, json.dumps({"cols": cols, "rows": rows}))

    async def restart(self, conn: Connection) -> None:
        if self.session is not None:
            await self.session.restart(conn)
        elif conn.is_candidate:
            conn.send(protocol.error("forbidden", "Only interviewers may restart the terminal"))
        elif self.ended:
            conn.send(protocol.error("ended", "The interview has ended"))
        elif self.owner is None:
            await self._take_over(conn, None)
        else:
            self._send_in(relay.RESTART, conn)

    def set_readonly(self, conn: Connection, on: bool) -> None:
        if self.session is not None:
            self.session.set_readonly(conn, on)
        elif conn.is_candidate:
            conn.send(protocol.error("forbidden", "Only interviewers may do that"))
        elif self.owner is not None:
            self._send_in(relay.READONLY, conn, json.dumps({"on": on}))
        else:
            self.readonly = on  # kept for the next shell
            self._tell(self._status("exited", reason=OWNER_GONE))

    # --- ownership ----------------------------------------------------------------------------

    async def _holder(self) -> str | None:
        try:
            return await self.bus.holder(self.key)
        except BusUnavailable:
            return self.owner

    async def _claim(self, *, failover: bool) -> bool:
        """Take the lease; on success run the shell here with every socket of this instance."""
        if self._closed:
            return False
        try:
            if not await self.bus.claim(self.key, self.lease):
                return False
        except BusUnavailable:
            return False
        session = self._make_session(self._idle)
        session.relay = self._relay_out
        session.readonly = self.readonly
        self.session, self.owner = session, self.me
        self._remotes.clear()
        self._heard.clear()
        self._live.clear()
        # The others attach their sockets to this shell when they hear this.
        self._publish(relay.encode(relay.OWNER, self.me))
        for conn, size in list(self.sockets.items()):
            session.attach(conn)  # the first starts the shell
            if size is not None:
                session.resize(conn, *size)
        if failover:
            session.notice(TAKEN_OVER)
        log.info("terminal_owner", room=self.room_id, failover=failover)
        return True

    async def _take_over(self, conn: Connection, data: bytes | None) -> None:
        async with self._lock:
            if (self.session is None and self.owner is None
                    and not await self._claim(failover=True)):
                # Another instance claimed it first: attach to its shell, then type there.
                self.owner = await self._holder()
                if self.owner is not None:
                    self._send_here()
        if conn not in self.sockets:
            return
        if self.session is not None:
            if data is not None:
                # Typed into the new shell once it runs (a keystroke on an exited one would
                # only start it).
                await self.session.started()
                self.session.keystrokes(conn, data)
        elif self.owner is not None:
            if data is not None:
                self._send_in(relay.KEYS, conn, data)
            else:
                self._send_in(relay.RESTART, conn)

    async def _lost(self) -> None:
        """Another instance holds the lease now (ours expired while this one stalled): its
        shell is the room's; ours stops and our sockets attach to it."""
        session, self.session = self.session, None
        if session is not None:
            session.relay = None
            for conn in list(session.clients):
                session.detach(conn)
            await session.stop("Another server runs this terminal now.")
        self._remotes.clear()
        self.owner = await self._holder()
        log.warning("terminal_lease_lost", room=self.room_id, owner=self.owner)
        self._live.clear()
        self._send_here()

    def _idle(self, session: TerminalSession) -> None:
        """Nobody on any instance had the terminal open for the idle time."""
        if session is not self.session:
            return
        self._spawn(self._stop_idle(session), f"terminal-idle-{self.room_id}")

    async def _stop_idle(self, session: TerminalSession) -> None:
        async with self._lock:  # a socket opening meanwhile claims after the release
            if session is not self.session or session.clients:
                return
            self.session = None
            self.owner = None
            session.relay = None
            await session.stop("No one had the terminal open: the shell was stopped.")
            self._publish(relay.encode_json(relay.GONE, self.me, "", {}))
            with contextlib.suppress(BusUnavailable):
                await self.bus.release(self.key)
        if not self.sockets:
            self._on_empty(self)

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.beat)
            try:
                if self.session is not None:
                    await self._beat_as_owner()
                elif self.sockets:
                    await self._beat_as_relay()
            except BusUnavailable:
                continue  # nobody can claim while the bus is away: keep things as they are
            except Exception as exc:  # this task must outlive a bug, or the lease lapses
                log.error("terminal_beat_failed", room=self.room_id, exc_info=exc)

    async def _beat_as_owner(self) -> None:
        if not await self.bus.renew(self.key, self.lease) and not await self.bus.claim(
            self.key, self.lease
        ):
            await self._lost()
            return
        # An instance not heard for a whole lease was killed: its sockets are gone.
        now = time.monotonic()
        session = self.session
        for origin, heard in list(self._heard.items()):
            if now - heard > self.lease and session is not None:
                del self._heard[origin]
                for key in [k for k in self._remotes if k[0] == origin]:
                    session.detach(self._remotes.pop(key))

    async def _beat_as_relay(self) -> None:
        self._send_here()
        holder = await self.bus.holder(self.key)
        self._unheld = self._unheld + 1 if holder is None else 0
        # Nobody has held the lease for three beats: the shell's instance neither renewed nor
        # gave it up, it was killed. (One beat alone can be a Redis that restarted empty: the
        # holder takes its lease again on its next beat.)
        if holder is None and self.owner is not None and self._unheld >= 3:
            self.owner = None
            log.warning("terminal_owner_gone", room=self.room_id)
            self._tell(f"\r\n\x1b[33m[codepair] {OWNER_GONE}\x1b[0m\r\n".encode())
            self._tell(self._status("exited", reason=OWNER_GONE))
        elif holder is not None and holder != self.owner:
            self.owner = holder

    # --- the bus ------------------------------------------------------------------------------

    def _publish(self, payload: bytes, channel: str | None = None) -> None:
        self._outbox.put(channel or self.out_channel, payload)

    def _send_in(self, kind: int, conn: Connection, body: bytes | str = b"") -> None:
        self._publish(relay.encode(kind, self.me, str(conn.id), body), self.in_channel)

    def _reattach(self) -> None:
        if self.owner is None:
            return
        self._live.clear()
        self._generation += 1
        for conn in list(self.sockets):
            conn.send(b"\x1bc")  # RIS: a blank screen for the recent output to fill
            self._send_in(relay.ATTACH, conn, json.dumps(self._who(conn)))

    def _send_here(self) -> None:
        here = [{"socket": str(conn.id), **self._who(conn),
                 "size": {"cols": size[0], "rows": size[1]} if size else None}
                for conn, size in self.sockets.items()]
        self._publish(relay.encode_json(relay.HERE, self.me, "", here), self.in_channel)

    def _who(self, conn: Connection) -> dict[str, Any]:
        return {"principal": relay.principal_to_json(conn.principal), "role": conn.room_role,
                "gen": self._generation}

    def _relay_out(self, message: bytes | str) -> None:
        """The session's broadcast, for the sockets of the other instances (if any)."""
        if self._remotes:
            kind = relay.OUTPUT if isinstance(message, bytes) else relay.TEXT
            self._publish(relay.encode(kind, self.me, "", message))

    def _deliver(self, origin: str, socket: str, message: bytes | str) -> None:
        kind = relay.TO_BYTES if isinstance(message, bytes) else relay.TO_TEXT
        self._publish(relay.encode(kind, self.me, f"{origin}:{socket}", message))

    async def _read(
        self, sub: Subscription, handle: Callable[[RelayMessage], Coroutine[Any, Any, None]]
    ) -> None:
        async for item in sub:
            if isinstance(item, Gap):
                # Presence is said again on the next beat. Output lost on the way here is
                # not sent again: the sockets here are reset and get the recent output anew,
                # as a socket that opens does.
                log.warning("terminal_bus_gap", room=self.room_id, reason=item.reason)
                if sub.channel == self.out_channel and self.session is None:
                    self._reattach()
                continue
            try:
                message = relay.decode(item)
                if message.origin != self.me:
                    await handle(message)
            except (RelayError, KeyError, TypeError, ValueError) as exc:
                log.warning("terminal_relay_bad_message", room=self.room_id, error=str(exc))

    async def _from_relay(self, msg: RelayMessage) -> None:
        """What another instance's socket did: done here if the shell is here."""
        session = self.session
        if session is None:
            return
        self._heard[msg.origin] = time.monotonic()
        key = (msg.origin, msg.socket)
        kind = msg.kind
        if kind == relay.HERE:
            self._here(session, msg.origin, msg.json())
            return
        if kind == relay.ATTACH:
            old = self._remotes.pop(key, None)
            if old is not None:
                session.detach(old)
            self._attach_remote(session, msg.origin, msg.socket, msg.json(), None)
            return
        remote = self._remotes.get(key)
        if remote is None:
            return  # not attached yet: its instance says so on its next beat
        if kind == relay.KEYS:
            session.keystrokes(remote, msg.body)
        elif kind == relay.DETACH:
            del self._remotes[key]
            session.detach(remote)
        elif kind == relay.RESIZE:
            size = msg.json()
            session.resize(remote, *size_of(size))
        elif kind == relay.RESTART:
            await session.restart(remote)
        elif kind == relay.READONLY:
            session.set_readonly(remote, bool(msg.json()["on"]))

    def _here(self, session: TerminalSession, origin: str, here: list[dict[str, Any]]) -> None:
        listed = set()
        for entry in here:
            socket = str(entry["socket"])
            listed.add(socket)
            known = self._remotes.get((origin, socket))
            if known is not None and int(entry.get("gen", 0)) > known.generation:
                # Its screen was reset (a bus gap) and our first frames to it may be lost.
                session.detach(self._remotes.pop((origin, socket)))
                known = None
            if known is None:
                size = entry.get("size")
                self._attach_remote(session, origin, socket, entry,
                                    size_of(size) if size else None)
        for key in [k for k in self._remotes if k[0] == origin and k[1] not in listed]:
            session.detach(self._remotes.pop(key))

    def _attach_remote(
        self,
        session: TerminalSession,
        origin: str,
        socket: str,
        who: dict[str, Any],
        size: tuple[int, int] | None,
    ) -> None:
        remote = RemoteSocket(relay.principal_from_json(who["principal"]), str(who["role"]),
                              origin=origin, socket=socket, deliver=self._deliver,
                              generation=int(who.get("gen", 0)))
        self._remotes[(origin, socket)] = remote
        session.attach(remote)
        if size is not None:
            session.resize(remote, *size)

    async def _from_owner(self, msg: RelayMessage) -> None:
        """What the shell's instance sent: handed to this instance's sockets."""
        kind = msg.kind
        if kind == relay.OWNER:
            if self.session is not None:
                if await self._holder() != self.me:
                    await self._lost()
                return
            if msg.origin != self.owner:
                self.owner = msg.origin
                self._live.clear()  # live again once the new shell's first frames arrive
            self._send_here()
            return
        if self.session is not None:
            return
        if kind == relay.GONE:
            if self.owner == msg.origin:
                self.owner = None
            return
        if kind in (relay.OUTPUT, relay.TEXT):
            message: bytes | str = msg.body if kind == relay.OUTPUT else msg.body.decode()
            if isinstance(message, str):
                self._note_status(message)
            for conn in list(self._live):
                conn.send(message)
            return
        origin, _, socket = msg.socket.partition(":")
        if origin != self.me:
            return
        target = self._by_id.get(socket)
        if target is None:
            return
        if kind == relay.TO_BYTES:
            target.send(msg.body)
        elif kind == relay.TO_TEXT:
            text = msg.body.decode()
            self._note_status(text)
            target.send(text)
            self._live.add(target)  # its status comes after the recent output: live from now

    # --- what this instance knows of the shell ---------------------------------------------

    def _note_status(self, text: str) -> None:
        if not text.startswith('{"type": "status"'):
            return
        status = json.loads(text)
        self.readonly = bool(status.get("readonly"))
        self.cols, self.rows = int(status.get("cols", 80)), int(status.get("rows", 24))

    def _status(self, state: str, *, reason: str | None) -> str:
        return protocol.status(state, readonly=self.readonly, cols=self.cols, rows=self.rows,
                               reason=reason)

    def _tell(self, message: bytes | str) -> None:
        for conn in list(self.sockets):
            conn.send(message)

