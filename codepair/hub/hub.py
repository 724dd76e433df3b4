"""The registry of live rooms: loading, group commit, compaction and unloading.

One :class:`Hub` per process. Document rooms are loaded on first join (every joiner awaits the
same load, so many clients opening a new room at once all sync), written to the update log
every ``group_commit_ms`` in one transaction for all rooms, and unloaded
``room_unload_seconds`` after their last socket leaves, once everything is written.

With a bus (several instances), :class:`~codepair.hub.bridge.HubBridge` carries every
room's frames and events to the other instances and back.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from pycrdt import Doc, Map, Text, create_update_message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair import metrics
from codepair.bus import Bus
from codepair.config import Settings
from codepair.db.reads import Reads
from codepair.db.updatelog import KEYFRAME_EVERY
from codepair.hub.admission import AdmissionCache
from codepair.hub.boardcap import BoardGuard
from codepair.hub.bridge import HubBridge
from codepair.hub.connection import Connection
from codepair.hub.deleted import DeletedRoomSweep
from codepair.hub.doccaps import CodeGuard, DocGuard, NotesGuard
from codepair.hub.docroom import DocRoom, replace_text
from codepair.hub.events import Asker, EventPeer, EventRoom, wrap_for_interviewers
from codepair.hub.notices import Notices
from codepair.hub.protocol import CloseCode
from codepair.hub.reconcile import LogReconciler
from codepair.hub.recorder import Recorder
from codepair.hub.store import Batch, ChatStore, PendingUpdate, UpdateLog
from codepair.hub.treewatch import TreeEvent

log = structlog.get_logger("codepair.hub")


# Garbage collector thresholds (generation 0, 1, 2) while a hub runs; see Hub.start.
GC_THRESHOLDS = (50_000, 20, 100)

KEEPALIVE_SECONDS = 10.0  # well inside y-websocket's 30 s messageReconnectTimeout


def code_language(doc: Doc[Any]) -> str | None:
    """``meta.language`` of a code document, when it is set to a string."""
    value = doc.get("meta", type=Map).get("language")
    return value if isinstance(value, str) else None


def guard_for(doc_name: str, doc: Doc[Any], settings: Settings) -> DocGuard:
    """The caps of a ``code``, ``notes`` or ``board`` document (doccaps.py, boardcap.py)."""
    if doc_name == "board":
        return BoardGuard(
            doc, max_bytes=settings.board_max_bytes, max_elements=settings.board_max_elements
        )
    if doc_name == "code":
        return CodeGuard(
            doc, max_bytes=settings.code_max_bytes, max_files=settings.project_max_files,
            max_file_bytes=settings.project_max_file_bytes,
        )
    return NotesGuard(doc, max_bytes=settings.notes_max_bytes)


class RoomFull(Exception):
    """The document already has ``max_sockets_per_doc`` sockets."""


class Hub:
    """Every live room of this process."""

    def __init__(
        self,
        settings: Settings,
        db: async_sessionmaker[AsyncSession],
        reads: Reads,
        *,
        bus: Bus | None = None,
    ) -> None:
        self.settings = settings
        self.reads = reads
        self._db = db
        self.log = UpdateLog(db, reads)
        self.chat = ChatStore(db)
        self.recorder = Recorder(db, settings.group_commit_ms / 1000)
        self.bridge = HubBridge(self, bus) if bus is not None else None
        self.reconciler = LogReconciler(self)
        self.sweeper = DeletedRoomSweep(self)
        self.notices = Notices(self)
        self.admissions = AdmissionCache()
        self.docs: dict[tuple[str, str], DocRoom] = {}
        self.events: dict[str, EventRoom] = {}
        self.assistant: Asker | None = None  # set by the app when a model is configured
        self._flush_lock = asyncio.Lock()
        # Rows written per document since its keyframes were last brought up to date.
        self._since_keyframe: dict[tuple[str, str], int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Told when a room ends or is deleted, and asked for their sockets when a person's
        # access goes: the room's other sockets (the terminal's), which the hub does not own.
        self.room_closers: list[Callable[[str], None]] = []
        self.connection_sources: list[Callable[[], list[Connection]]] = []

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        # The app's ~100k long-lived objects (routes, models, schemas) made every full
        # garbage collection a 60 ms stall of every room: freeze them out of the collector.
        gc.freeze()
        # A rush of handshakes (everyone reconnecting after a deploy) creates objects that
        # live as long as their socket, and the default thresholds (700, 10, 10) then run a
        # collection every few hundred of them: 2,000 sockets syncing spent about a third of
        # their CPU in the collector (docs/hub.md). Young collections 70 times rarer stay
        # short (most garbage here is freed by reference counting); full ones are rarer too.
        gc.set_threshold(*GC_THRESHOLDS)
        if self.bridge is not None:
            await self.bridge.start()
        self.recorder.start()
        self._tasks = [
            asyncio.create_task(self._flush_loop(), name="hub-group-commit"),
            asyncio.create_task(self._keepalive_loop(), name="hub-keepalive"),
            asyncio.create_task(self.sweeper.run(), name="hub-deleted-rooms"),
        ]
        if self.bridge is not None:
            self._tasks.append(asyncio.create_task(self.reconciler.run(), name="hub-log-reconcile"))

    async def stop(self) -> None:
        """Close every socket and write everything still pending."""
        self._stopping = True
        for room in list(self.docs.values()):
            for conn in list(room.clients):
                conn.close(CloseCode.GOING_AWAY, "server shutting down")
        for events in list(self.events.values()):
            for peer in list(events.peers.values()):
                peer.conn.close(CloseCode.GOING_AWAY, "server shutting down")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()
        await self.recorder.stop()
        if self.bridge is not None:
            await self.bridge.stop()

    # --- documents ------------------------------------------------------------------------

    async def join_doc(self, room_id: str, doc: str, conn: Connection) -> DocRoom:
        """The loaded room for ``(room_id, doc)`` with ``conn`` in it."""
        key = (room_id, doc)
        room = self.docs.get(key)
        if room is None:
            room = DocRoom(room_id, doc)
            room.guard = guard_for(doc, room.doc, self.settings)
            if self.bridge is not None:
                room.publish = self.bridge.publish_frame
            if doc == "code":
                room.on_language = lambda conn, language: self._language_changed(
                    room_id, conn, language
                )
                room.on_files = lambda conn, events: self._files_changed(room_id, conn, events)
                room.on_open_file = lambda conn, path: self._file_opened(room_id, conn, path)
            self.docs[key] = room
            metrics.ROOMS_OPEN.inc()
            asyncio.create_task(self._load(room))  # noqa: RUF006 (awaited via room.loaded)
        try:
            await room.until_loaded()
        except asyncio.CancelledError:
            # The socket went away during the load: the room must not stay loaded for nobody.
            self._unload_later(room)
            raise
        if len(room.clients) >= self.settings.max_sockets_per_doc:
            raise RoomFull
        room.join(conn)
        metrics.SOCKETS_OPEN.labels(doc=doc).inc()
        log.info(
            "socket_opened",
            room=room_id,
            doc=doc,
            conn=conn.id,
            who=conn.principal.identity,
            role=conn.room_role,
        )
        return room

    def _language_changed(self, room_id: str, conn: Connection, language: str) -> None:
        self.recorder.record(room_id, "language", conn.principal, {"language": language})

    def _file_opened(self, room_id: str, conn: Connection, path: str) -> None:
        self.recorder.record(room_id, "file_opened", conn.principal, {"path": path})

    def _files_changed(self, room_id: str, conn: Connection, events: list[TreeEvent]) -> None:
        for type_, data in events:
            self.recorder.record(room_id, type_, conn.principal, data)

    def leave_doc(self, room: DocRoom, conn: Connection) -> None:
        if conn in room.clients:
            metrics.SOCKETS_OPEN.labels(doc=room.doc_name).dec()
            log.info(
                "socket_closed",
                room=room.room_id,
                doc=room.doc_name,
                conn=conn.id,
                code=conn.close_code,
            )
        room.leave(conn)
        self._unload_later(room)

    def _unload_later(self, room: DocRoom) -> None:
        if not room.clients and not self._stopping and room.unload_timer is None:
            room.unload_timer = asyncio.get_running_loop().call_later(
                self.settings.room_unload_seconds, self._schedule_unload, room
            )

    async def _load(self, room: DocRoom) -> None:
        try:
            if self.bridge is not None:
                await self.bridge.watch_doc(room)
            stored = await self.log.load(
                room.room_id, room.doc_name, language=room.doc_name == "code"
            )
            room.restore(stored)
            if self.bridge is None:  # the only writer: number the next rows without asking
                room.last_seq = stored.last_seq
            if stored.is_new and stored.language:
                # Written with the next group commit, like any update: a rush of new rooms
                # (everyone reconnecting after a deploy) costs one transaction, not one each.
                room.seed_language(stored.language)
            room.finish_loading()
            if self.bridge is not None:
                self.bridge.request_sync(room)
        except Exception as exc:
            log.error("room_load_failed", room=room.room_id, doc=room.doc_name, exc_info=exc)
            if self.docs.get(room.key) is room:
                del self.docs[room.key]
                metrics.ROOMS_OPEN.dec()
            room.finish_loading(exc)
            if self.bridge is not None:
                await self.bridge.unwatch_doc(room)

    def _schedule_unload(self, room: DocRoom) -> None:
        room.unload_timer = None
        asyncio.create_task(self._unload(room))  # noqa: RUF006 (short; logs its own errors)

    async def _unload(self, room: DocRoom) -> None:
        if not room.loaded.done():
            self._unload_later(room)  # still loading: look again later
            return
        try:
            if room.remote_unchecked:  # what a dead instance never wrote must not go with us
                await self.reconciler.reconcile(room)
            await self.flush()
        except Exception as exc:
            log.error("room_unload_flush_failed", room=room.room_id, exc_info=exc)
            return
        # No await between this check and the removal: a joiner either came before (and the
        # room stays) or comes after (and loads what was just written).
        if not room.clients and not room.pending and self.docs.get(room.key) is room:
            del self.docs[room.key]
            self._since_keyframe.pop(room.key, None)
            self.log.forget_keyframes(room.room_id, room.doc_name)
            metrics.ROOMS_OPEN.dec()
            log.info("room_unloaded", room=room.room_id, doc=room.doc_name)
            if self.bridge is not None:
                await self.bridge.unwatch_doc(room)

    # --- the update log -------------------------------------------------------------------

    async def flush(self) -> None:
        """Write every pending update of every room in one transaction."""
        async with self._flush_lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        taken = [(room, room.take_pending()) for room in self.docs.values() if room.pending]
        if not taken:
            return
        # Alone (no bus), this process is the only writer of its documents' logs and can
        # number updates itself; with other instances the database numbers them.
        alone = self.bridge is None
        batches = [
            Batch(room.room_id, room.doc_name, pending, room.last_seq if alone else None)
            for room, pending in taken
        ]
        if self.bridge is not None:
            await self.bridge.published()  # the other instances hold it before the log does
        started = time.perf_counter()
        try:
            await self.log.append(batches)
        except Exception:
            metrics.ERRORS.labels(kind="group_commit").inc()
            for room, pending in taken:
                room.put_back(pending)
                room.last_seq = None
            raise
        metrics.GROUP_COMMIT_SECONDS.observe(time.perf_counter() - started)
        committed = datetime.now(UTC)
        count = 0
        for _room, pending in taken:
            count += len(pending)
            # The oldest update of each room's batch: how far behind the log ran.
            metrics.UPDATE_LOG_LAG.observe((committed - pending[0].at).total_seconds())
        metrics.GROUP_COMMIT_UPDATES.observe(count)
        for (room, pending), batch in zip(taken, batches, strict=True):
            room.log_length += len(pending)
            room.last_seq = batch.last_seq
        for room, pending in taken:
            if room.log_length >= self.settings.yjs_compact_after_updates:
                await self._compact(room)
            since = self._since_keyframe.get(room.key, 0) + len(pending)
            self._since_keyframe[room.key] = since
            if since >= KEYFRAME_EVERY:
                self._since_keyframe[room.key] = 0
                try:
                    await self.log.write_keyframes(room.room_id, room.doc_name)
                except Exception as exc:  # another instance wrote them first: no harm
                    log.warning("keyframes_failed", room=room.room_id, error=type(exc).__name__)

    async def _compact(self, room: DocRoom) -> None:
        removed = await self.log.compact(room.room_id, room.doc_name)
        room.log_length = max(0, room.log_length - removed)
        log.info("room_compacted", room=room.room_id, doc=room.doc_name, rows=removed)

    async def _flush_loop(self) -> None:
        window = self.settings.group_commit_ms / 1000
        while True:
            await asyncio.sleep(window)
            try:
                await self.flush()
            except Exception as exc:  # the database is down: keep the updates, retry
                log.error("group_commit_failed", error=type(exc).__name__, exc_info=exc)
                # A room deleted meanwhile (DELETE, a candidate's erasure, a retention
                # purge) loses its pending updates and its sockets: its rows can never be
                # written, and kept they would fail every later group commit, and with it
                # the writes of every other room.
                await self.sweeper.sweep(pending_only=True)
                await asyncio.sleep(1.0)

    async def _keepalive_loop(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for room in list(self.docs.values()):
                room.tick()
            if self.bridge is not None:
                for events in list(self.events.values()):
                    events.announce()
                    events.expire_remote()

    async def document(self, room_id: str, doc: str = "code") -> Doc[Any]:
        """The live document when loaded here, else the document as the log holds it."""
        room = self.docs.get((room_id, doc))
        if room is not None and room.loaded.done() and not room.loaded.exception():
            return room.doc
        await self.flush()
        return await self.log.read(room_id, doc)

    async def document_text(self, room_id: str, doc: str = "code", name: str = "code") -> str:
        """The current text of a ``Y.Text`` (the code, for runs), live or from the log."""
        return str((await self.document(room_id, doc)).get(name, type=Text))

    async def document_language(self, room_id: str) -> str | None:
        """``meta.language`` of the room's code document: what the editor shows."""
        return code_language(await self.document(room_id, "code"))

    async def replace_text(
        self, room_id: str, doc: str, name: str, text: str, *, author: str
    ) -> None:
        """Replace a ``Y.Text``'s content with ``text`` (see :meth:`change`)."""
        await self.change(room_id, doc, lambda d: replace_text(d, name, text), author=author)

    async def change(
        self, room_id: str, doc: str, mutate: Callable[[Doc[Any]], None], *, author: str
    ) -> None:
        """Make ``mutate``'s changes to a document as one update attributed to ``author``.

        A room loaded here changes live (every socket gets the update). Otherwise the update
        is made against the stored document, written at once and shared with the instances
        that have the room open; a room that loaded here meanwhile gets it applied too.
        """
        room = self.docs.get((room_id, doc))
        if room is not None and room.loaded.done() and not room.loaded.exception():
            room.change(mutate, author)
            return
        stored = await self.document(room_id, doc)
        before = stored.get_state()
        with stored.transaction(origin=author):
            mutate(stored)
        update = stored.get_update(before)
        async with self._flush_lock:
            pending = [PendingUpdate(update, datetime.now(UTC), author)]
            await self.log.append([Batch(room_id, doc, pending, None)])
        frame = create_update_message(update)
        if self.bridge is not None:
            self.bridge.publish_frame((room_id, doc), frame)
        room = self.docs.get((room_id, doc))
        if room is not None and room.loaded.done() and not room.loaded.exception():
            room.apply_remote(frame)  # already in the log: applied and relayed, not logged

    # --- events ---------------------------------------------------------------------------

    async def join_events(self, room_id: str, conn: Connection) -> tuple[EventRoom, EventPeer]:
        room = self.events.get(room_id)
        if room is None:
            room = self.events[room_id] = EventRoom(room_id, self.settings, self.chat)
            room.recorder = self.recorder
            room.assistant = self.assistant
            if self.bridge is not None:
                bridge = self.bridge
                room.publish = lambda event: bridge.publish_event(room_id, event)
                await bridge.watch_events(room_id)
        peer = await room.join(conn)
        metrics.SOCKETS_OPEN.labels(doc="events").inc()
        log.info(
            "socket_opened",
            room=room_id,
            doc="events",
            conn=conn.id,
            peer=conn.peer_id,
            who=conn.principal.identity,
            role=conn.room_role,
        )
        return room, peer

    def leave_events(self, room: EventRoom, peer: EventPeer) -> None:
        metrics.SOCKETS_OPEN.labels(doc="events").dec()
        log.info(
            "socket_closed",
            room=room.room_id,
            doc="events",
            conn=peer.conn.id,
            peer=peer.conn.peer_id,
            code=peer.conn.close_code,
        )
        room.leave(peer)
        if not room.peers and self.events.get(room.room_id) is room:
            del self.events[room.room_id]
            if self.bridge is not None:
                self.bridge.unwatch_events(room.room_id)

    async def broadcast(
        self, room_id: str, event: dict[str, Any], *, interviewers_only: bool = False
    ) -> None:
        """Send ``event`` (JSON-serializable, with a ``type``) to every events socket, or
        with ``interviewers_only`` to every socket but the candidate's."""
        room = self.events.get(room_id)
        if room is not None:
            room.deliver(event, interviewers_only=interviewers_only)
        if self.bridge is not None:
            self.bridge.publish_event(room_id, wrap_for_interviewers(event, interviewers_only))

    def deliver_event(self, room_id: str, event: dict[str, Any], *, remote: str) -> None:
        """An event another instance published for a room with events sockets here."""
        room = self.events.get(room_id)
        if room is not None:
            room.deliver_remote(event, origin=remote)
