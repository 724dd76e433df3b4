"""One shared document of one interview room, and the sockets editing it.

Transport-free: the room takes whole y-websocket frames from :meth:`DocRoom.receive` and puts
frames into its connections' outboxes. It never awaits, so each frame is applied, relayed and
queued for the log as one step that no other frame can interleave with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from pycrdt import (
    Awareness,
    Doc,
    Map,
    Text,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    get_update,
    handle_sync_message,
)

from codepair import metrics
from codepair.db.updatelog import EMPTY_UPDATE, apply_all
from codepair.hub.connection import Connection
from codepair.hub.doccaps import DocGuard
from codepair.hub.limits import TokenBucket
from codepair.hub.protocol import CloseCode
from codepair.hub.store import PendingUpdate, StoredDoc
from codepair.hub.treewatch import TreeEvent, TreeWatch
from codepair.hub.yframes import (
    KEEPALIVE,
    QUERY_AWARENESS,
    ProtocolError,
    awareness_payload,
    check_counts,
    sync_payload,
)
from codepair.hub.yupdate import SCAN_MIN_BYTES, scan_update

log = structlog.get_logger("codepair.hub")

DOCS = ("code", "notes", "board")
# Awareness states that a client has not renewed for this long are dropped (y-protocols' own
# outdatedTimeout; live clients renew every 15 s).
AWARENESS_TIMEOUT_MS = 30_000
# Client ids a document's awareness may know at once. Every id a message names, even to say
# it left, stays in the awareness' metadata (its clock); ids gone for AWARENESS_TIMEOUT_MS
# are forgotten at the next tick. Without a bound, messages naming new ids grew it by some
# 60 MB a 2 MiB frame.
MAX_AWARENESS_CLIENTS = 1024
SYSTEM_AUTHOR = "system"
# ``file_opened`` timeline events a socket may cause: a second's worth sustained, bursts of 30.
OPEN_FILE_RATE = 1.0
OPEN_FILE_BURST = 30
UNCAPPED = 1 << 62  # a room's guard until the hub gives it its kind's (hub.guard_for)

# Bound once: labels() is a dictionary lookup and a lock per call on the hot path.
_IN_SYNC = metrics.MESSAGES_IN.labels(kind="sync")
_IN_UPDATE = metrics.MESSAGES_IN.labels(kind="update")
_IN_AWARENESS = metrics.MESSAGES_IN.labels(kind="awareness")
_OUT_UPDATE = metrics.MESSAGES_OUT.labels(kind="update")
_OUT_AWARENESS = metrics.MESSAGES_OUT.labels(kind="awareness")
_OUT_SYNC = metrics.MESSAGES_OUT.labels(kind="sync")

# Called with (room key, frame, origin connection) for each frame to share with other instances.
Publisher = Callable[[tuple[str, str], bytes], None]


def replace_text(doc: Doc[Any], name: str, text: str) -> None:
    """``doc``'s ``Y.Text`` ``name`` holds ``text`` and nothing else."""
    ytext = doc.get(name, type=Text)
    del ytext[:]
    ytext.insert(0, text)


class DocRoom:
    """The live ``Doc`` of ``(room_id, doc)``, its awareness states and its connections."""

    def __init__(self, room_id: str, doc: str) -> None:
        self.room_id = room_id
        self.doc_name = doc
        self.doc: Doc[Any] = Doc()
        self.awareness = Awareness(self.doc)
        # The server is not an editor: it has no awareness state of its own to show.
        self.awareness.set_local_state(None)
        self.clients: set[Connection] = set()
        self.pending: list[PendingUpdate] = []
        self.log_length = 0  # rows in the stored log after the snapshot
        self.last_seq: int | None = None  # the last seq written, once known
        self.loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._load_waiters: list[asyncio.Future[None]] = []
        self.unload_timer: asyncio.TimerHandle | None = None
        self.publish: Publisher | None = None
        # For the log reconciler (reconcile.py): updates applied here, when the last one was,
        # and whether any came from the bus since the room was last checked against the log.
        self.applied = 0
        self.last_applied = 0.0
        self.remote_unchecked = False
        self.guard: DocGuard = DocGuard(self.doc, max_bytes=UNCAPPED)
        # The code document's meta.language, watched for the timeline (set by the hub).
        self.on_language: Callable[[Connection, str], None] | None = None
        self._meta: Map[Any] | None = self.doc.get("meta", type=Map) if doc == "code" else None
        self.language: str | None = None
        # The code document's file create/rename/delete and who opened which file, for the
        # timeline (set by the hub; treewatch.py, fileviews.py).
        self.on_files: Callable[[Connection, list[TreeEvent]], None] | None = None
        self.on_open_file: Callable[[Connection, str], None] | None = None
        self._tree_watch: TreeWatch | None = TreeWatch(self.doc) if doc == "code" else None
        self._open_files: dict[int, object] = {}  # awareness client id -> its open path
        self._view_buckets: dict[int, TokenBucket] = {}  # connection id -> file_opened rate

    @property
    def key(self) -> tuple[str, str]:
        return (self.room_id, self.doc_name)

    # --- loading --------------------------------------------------------------------------

    def until_loaded(self) -> asyncio.Future[None]:
        """The load's outcome, for one socket to await.

        Each waiter has a future of its own, resolved by :meth:`finish_loading` itself:
        a socket that goes away cancels only its own wait, as with ``asyncio.shield``, and
        the wait ends one turn of the loop after the load, not shield's two (a rush of new
        rooms spends its time in those turns).
        """
        if self.loaded.done():
            return self.loaded
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._load_waiters.append(waiter)
        return waiter

    def finish_loading(self, error: Exception | None = None) -> None:
        waiters, self._load_waiters = self._load_waiters, []
        for future in (self.loaded, *waiters):
            if future.done():  # a waiter that went away
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
        if error is not None:
            self.loaded.exception()  # retrieved: the waiters have it, maybe nobody else asks

    def restore(self, stored: StoredDoc) -> None:
        """Apply what the log holds; nothing of it goes back to the log."""
        apply_all(self.doc, stored.updates)
        self.log_length = stored.log_length
        self.language = self._language()
        self.guard.measure(self.doc)

    def change(self, mutate: Callable[[Doc[Any]], None], author: str) -> None:
        """Make ``mutate``'s changes to the document as ONE update made by the server for
        ``author`` (a presented question's starter code or tree): applied, relayed to every
        socket, logged under that author and shared with the other instances, like a
        client's."""
        before = self.doc.get_state()
        with self.doc.transaction(origin=author):
            mutate(self.doc)
        self._server_update(self.doc.get_update(before), author)

    def replace_text(self, name: str, text: str, author: str) -> None:
        """Replace the content of ``Y.Text`` ``name`` (see :meth:`change`)."""
        self.change(lambda doc: replace_text(doc, name, text), author)

    def seed_language(self, language: str) -> None:
        """Give a brand-new ``code`` doc its ``meta.language``, as a logged update.

        Only ever for a document with no stored state: seeding again would race with what
        clients already have.
        """
        meta = self.doc.get("meta", type=Map)
        with self.doc.transaction(origin=SYSTEM_AUTHOR):
            meta["language"] = language
        self.language = language
        update = self.doc.get_update()
        self.guard.grew(update)
        self._log(update, SYSTEM_AUTHOR)

    # --- sockets --------------------------------------------------------------------------

    def join(self, conn: Connection) -> None:
        """Add a socket: it gets our STEP1 and every awareness state (cursors, names) now."""
        if self.unload_timer is not None:
            self.unload_timer.cancel()
            self.unload_timer = None
        self.clients.add(conn)
        conn.send(create_sync_message(self.doc))
        _OUT_SYNC.inc()
        states = list(self.awareness.states)
        if states:
            update = self.awareness.encode_awareness_update(states)
            conn.send(create_awareness_message(update))

    def leave(self, conn: Connection) -> None:
        """Remove a socket and, for everyone else, the cursors it controlled."""
        self.clients.discard(conn)
        self._view_buckets.pop(conn.id, None)
        gone = [cid for cid in conn.awareness_ids if cid in self.awareness.states]
        for cid in conn.awareness_ids:
            self._open_files.pop(cid, None)
        conn.awareness_ids.clear()
        if gone:
            self.remove_awareness(gone)

    def remove_awareness(self, client_ids: list[int]) -> None:
        self.awareness.remove_awareness_states(client_ids, "server")
        frame = create_awareness_message(self.awareness.encode_awareness_update(client_ids))
        self._relay(frame, None)
        if self.publish is not None:  # the cursors go on the other instances too
            self.publish(self.key, frame)

    def receive(self, conn: Connection, frame: bytes) -> None:
        """Handle one frame from ``conn``; raises :class:`ProtocolError` for a bad one."""
        if not frame:
            raise ProtocolError("empty frame")
        kind = frame[0]
        if kind == YMessageType.SYNC:
            self._receive_sync(conn, frame)
        elif kind == YMessageType.AWARENESS:
            self._receive_awareness(conn, frame)
        elif kind == QUERY_AWARENESS:
            states = list(self.awareness.states)
            conn.send(create_awareness_message(self.awareness.encode_awareness_update(states)))
        else:
            # y-websocket's AUTH (2) is server-to-client only; anything else is not ours.
            raise ProtocolError(f"unknown message type {kind}")

    def receive_limited(self, conn: Connection, frame: bytes, bucket: TokenBucket) -> None:
        """A frame from a socket under its message-rate cap; a frame over the cap or a
        malformed one closes that socket, and the room goes on."""
        if not bucket.take():
            conn.abort(CloseCode.RATE_LIMITED, "too many messages")
            return
        try:
            self.receive(conn, frame)
        except ProtocolError as exc:
            log.info("yjs_bad_frame", room=self.room_id, doc=self.doc_name, error=str(exc))
            conn.abort(CloseCode.PROTOCOL_ERROR, "malformed Yjs message")
        except Exception:  # a bug: the socket goes with a close frame; the room stays
            log.exception("yjs_frame_failed", room=self.room_id, doc=self.doc_name)
            conn.abort(CloseCode.INTERNAL_ERROR, "the message could not be handled")

    def _receive_sync(self, conn: Connection, frame: bytes) -> None:
        sub, payload = sync_payload(frame)
        if sub == YSyncMessageType.SYNC_STEP1:
            _IN_SYNC.inc()
            check_counts(payload, 2)
            try:
                reply = handle_sync_message(frame[1:], self.doc)
            except Exception as exc:  # a state vector Yrs cannot read
                raise ProtocolError("bad state vector") from exc
            if reply is not None:
                conn.send(reply)
                _OUT_SYNC.inc()
            return
        _IN_UPDATE.inc()
        if payload == EMPTY_UPDATE:
            return
        check_counts(payload, 3)
        if len(payload) >= SCAN_MIN_BYTES:  # what Yrs must not be given (yupdate.py)
            scan_update(payload)
        if sub == YSyncMessageType.SYNC_STEP2:
            payload = self._unseen(payload)
            if payload == EMPTY_UPDATE:
                return
        guard = self.guard
        refusal = guard.refuse(self.doc, payload)
        if refusal is not None:  # a path, a file too many, a file too big (the code's tree)
            conn.abort(CloseCode.DOC_FULL, refusal)
            return
        if not guard.admit(self.doc, len(payload)):
            conn.abort(CloseCode.DOC_FULL, guard.refusal)
            return
        guard.before_apply()
        watch = self._tree_watch
        if watch is not None:
            watch.clear()
        try:
            self.doc.apply_update(payload)
        except Exception as exc:  # pycrdt raises ValueError; be safe with Rust panics too
            raise ProtocolError("bad update") from exc
        if watch is not None and self.on_files is not None:
            events = watch.take()
            if events:
                self.on_files(conn, events)
        # STEP2 is a reply meant for us; the others get its content as a plain update.
        relay = frame if sub == YSyncMessageType.SYNC_UPDATE else create_update_message(payload)
        self._relay(relay, conn)
        self._log(payload, conn.principal.identity)
        if self._meta is not None:
            self._check_language(conn)
        if self.publish is not None:
            self.publish(self.key, relay)
        fix = guard.trim(self.doc, SYSTEM_AUTHOR)
        if fix is not None:  # over a cap of its kind (the board's elements): undone for all
            log.info("doc_trimmed", room=self.room_id, doc=self.doc_name)
            self._server_update(fix, SYSTEM_AUTHOR)

    def _unseen(self, payload: bytes) -> bytes:
        """What a client's SYNC_STEP2 holds that the document does not hold by now.

        A step 2 answers the state vector this room sent when the client connected, and
        everything the document took since then (another client's step 2, the bus) is in it
        again. After an instance dies, all its clients reconnect here at once and each sends
        what the others sent too: logged as it came, each of those edits would be in the
        history several times. Only the structs are trimmed; a delete set cannot be compared
        with a state vector and is kept whole (applying it twice changes nothing). A step 2
        comes once per connection, so this costs nothing on the keystroke path."""
        try:
            return get_update(payload, self.doc.get_state())
        except Exception as exc:  # pycrdt raises ValueError; be safe with Rust panics too
            raise ProtocolError("bad update") from exc

    def _language(self) -> str | None:
        value = self._meta.get("language") if self._meta is not None else None
        return value if isinstance(value, str) else None

    def _check_language(self, conn: Connection) -> None:
        """Tell the timeline when an update from ``conn`` changed meta.language."""
        language = self._language()
        if language != self.language:
            self.language = language
            if language is not None and self.on_language is not None:
                self.on_language(conn, language)

    def _check_open_file(self, conn: Connection, client_id: int) -> None:
        """Tell the timeline when a client's awareness names another open file (``file``)."""
        state = self.awareness.states.get(client_id)
        path = state.get("file") if isinstance(state, dict) else None
        if not isinstance(path, str) or self._open_files.get(client_id) == path:
            return
        if len(self._open_files) >= MAX_AWARENESS_CLIENTS:
            self._open_files.clear()  # ids gone by timeout are never removed one by one
        self._open_files[client_id] = path
        bucket = self._view_buckets.get(conn.id)
        if bucket is None:
            bucket = self._view_buckets[conn.id] = TokenBucket(OPEN_FILE_RATE, OPEN_FILE_BURST)
        # Clicking through files is a few a second; a script flipping it is not recorded.
        if self.on_open_file is not None and len(path) <= 1024 and bucket.take():
            self.on_open_file(conn, path)

    def _server_update(self, update: bytes, author: str) -> None:
        """An update the server made and applied: to every socket (the sender's too), to the
        log under ``author`` and to the other instances, like a client's."""
        self.guard.grew(update)
        frame = create_update_message(update)
        self._relay(frame, None)
        self._log(update, author)
        if self.publish is not None:
            self.publish(self.key, frame)

    def _receive_awareness(self, conn: Connection, frame: bytes) -> None:
        _IN_AWARENESS.inc()
        payload, entries = awareness_payload(frame)
        known = self.awareness.meta
        if len(known) + len(entries) > MAX_AWARENESS_CLIENTS and any(
            entry.client_id not in known for entry in entries
        ):
            raise ProtocolError("too many awareness clients in this document")
        try:
            self.awareness.apply_awareness_update(payload, conn)
        except Exception as exc:
            raise ProtocolError("bad awareness update") from exc
        for entry in entries:
            if entry.removed:
                conn.awareness_ids.discard(entry.client_id)
                self._open_files.pop(entry.client_id, None)
            else:
                conn.awareness_ids.add(entry.client_id)
                if self.on_open_file is not None:
                    self._check_open_file(conn, entry.client_id)
        self._relay(frame, conn)
        if self.publish is not None:
            self.publish(self.key, frame)

    def apply_remote(self, frame: bytes) -> None:
        """An update or awareness frame from another hub instance: apply and relay it, but do
        not log it (the instance whose socket received it does)."""
        kind = frame[0]
        if kind == YMessageType.SYNC:
            sub, payload = sync_payload(frame)
            if sub == YSyncMessageType.SYNC_STEP1 or payload == EMPTY_UPDATE:
                return
            check_counts(payload, 3)
            self.doc.apply_update(payload)
            self.guard.grew(payload)  # grown on another instance: the cap is the doc's
            self._applied()
            self.remote_unchecked = True
            if sub != YSyncMessageType.SYNC_UPDATE:
                frame = create_update_message(payload)
        elif kind == YMessageType.AWARENESS:
            payload, _entries = awareness_payload(frame)
            self.awareness.apply_awareness_update(payload, "remote")
        else:
            return
        self._relay(frame, None)

    def _relay(self, frame: bytes, origin: Connection | None) -> None:
        sent = 0
        for client in self.clients:
            if client is not origin:
                client.send(frame)
                sent += 1
        if sent:
            (_OUT_AWARENESS if frame[0] == YMessageType.AWARENESS else _OUT_UPDATE).inc(sent)

    def _log(self, update: bytes, author: str) -> None:
        self.pending.append(PendingUpdate(update, datetime.now(UTC), author))
        self._applied()

    def _applied(self) -> None:
        self.applied += 1
        self.last_applied = time.monotonic()

    # --- housekeeping ---------------------------------------------------------------------

    def tick(self) -> None:
        """Keep idle clients from timing out and drop cursors nobody renews."""
        for client in self.clients:
            client.send(KEEPALIVE)
        now = int(time.time() * 1000)
        states, known = self.awareness.states, self.awareness.meta
        stale = [
            cid
            for cid, meta in known.items()
            if now - meta["lastUpdated"] >= AWARENESS_TIMEOUT_MS
        ]
        gone = [cid for cid in stale if cid in states]
        for cid in stale:  # ids nobody renews: their clock is not needed any more
            if cid not in states:
                del known[cid]
        if gone:
            for client in self.clients:
                client.awareness_ids.difference_update(gone)
            self.remove_awareness(gone)

    def take_pending(self) -> list[PendingUpdate]:
        pending, self.pending = self.pending, []
        return pending

    def put_back(self, pending: list[PendingUpdate]) -> None:
        """A write failed: keep the updates, ahead of newer ones, for the next window."""
        self.pending[:0] = pending
