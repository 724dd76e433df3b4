"""``/ws/rooms/{room_id}/lsp/{language}``: a room's language server, one JSON-RPC message a
text frame (docs/intellisense.md).

Thin like the other sockets: check the handshake (Origin, token, the part in the room, and
for a candidate the room's ``autocomplete`` setting), then hand frames to the room's
:class:`~codepair.domain.intellisense.session.LanguageSession`. The session reads the tree
from the live ``code`` document through a :class:`CodeWatcher`: a seat among the document's
sockets that receives every update the room relays, so the language server is fed once per
room however many people type, and costs the keystroke path one method call.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import WebSocket

from codepair.config import Settings
from codepair.domain.intellisense import messages as m
from codepair.domain.intellisense.room_setting import autocomplete_of
from codepair.domain.intellisense.services import LANGUAGES, Availability, LanguageServices
from codepair.domain.intellisense.session import STATUS, LanguageSession
from codepair.domain.projects.tree import Tree, read_tree
from codepair.hub.admission import Refused, check_socket
from codepair.hub.connection import AsgiConnection, Connection
from codepair.hub.docroom import DocRoom
from codepair.hub.hub import Hub
from codepair.hub.protocol import CloseCode
from codepair.security.tokens import Principal

log = structlog.get_logger("codepair.lsp")

# A y-websocket sync message (0) carrying a STEP2 (1) or an UPDATE (2): the text changed.
_SYNC = 0
_CHANGES = (1, 2)


class CodeWatcher(Connection):
    """The language sessions' seat in a room's ``code`` document (see the module's docstring).

    It counts as a candidate's socket on purpose: when the room ends, the hub closes the
    candidate's sockets, this one included, and the watcher passes that on to the language
    sockets of the room's candidate.
    """

    __slots__ = ("on_close", "on_update")

    def __init__(self, principal: Principal, room_role: str) -> None:
        super().__init__(principal, room_role)
        self.on_update: Any = None
        self.on_close: Any = None

    @property
    def is_candidate(self) -> bool:
        return True

    def send(self, message: bytes | str) -> None:
        if (
            isinstance(message, bytes)
            and len(message) > 1
            and message[0] == _SYNC
            and message[1] in _CHANGES
            and self.on_update is not None
        ):
            self.on_update()

    def close(self, code: int, reason: str) -> None:
        if self.on_close is not None:
            self.on_close(code, reason)

    def abort(self, code: int, reason: str) -> None:
        self.close(code, reason)


class DocTree:
    """The tree of a room's live ``code`` document, held open by a :class:`CodeWatcher`."""

    def __init__(self, hub: Hub, room: DocRoom, watcher: CodeWatcher) -> None:
        self.hub = hub
        self.room = room
        self.watcher = watcher

    @classmethod
    async def open(cls, hub: Hub, room_id: str, principal: Principal, role: str) -> DocTree:
        watcher = CodeWatcher(principal, role)
        room = await hub.join_doc(room_id, "code", watcher)
        return cls(hub, room, watcher)

    def read(self) -> Tree | None:
        return read_tree(self.room.doc)

    def close(self) -> None:
        self.watcher.on_update = self.watcher.on_close = None
        self.hub.leave_doc(self.room, self.watcher)


def _watch(session: LanguageSession, source: DocTree) -> None:
    def room_closed(code: int, reason: str) -> None:
        if code != CloseCode.ROOM_ENDED:
            return  # the server stopping: the services stop every session themselves
        everyone = reason != "room ended"  # "room deleted": nothing of it stays open
        for client in list(session.clients):
            if everyone or client.is_candidate:
                client.close(CloseCode.ROOM_ENDED, reason)

    source.watcher.on_update = session.tree_changed
    source.watcher.on_close = room_closed


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        from fastapi.responses import JSONResponse

        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:
        await websocket.close(code=CloseCode.POLICY, reason=detail)


async def _check(websocket: WebSocket, hub: Hub, room_id: str, language: str) -> tuple[
        Principal, str, bool]:
    """Who opens the socket, their part in the room and whether completion is theirs;
    :class:`Refused` otherwise."""
    settings: Settings = websocket.app.state.settings
    if language not in LANGUAGES:
        raise Refused(404, "No such language")
    principal, role = await check_socket(
        hub.admissions, hub.reads, settings, room_id=room_id, doc=None,
        token=websocket.query_params.get("token", ""), origin=websocket.headers.get("origin"))
    assists = True
    if principal.is_candidate:
        setting = await hub.reads.run(lambda c: autocomplete_of(c, room_id), on_loop=True)
        if setting == "off":
            # Diagnostics stay for everyone: a candidate's client asks for them alone.
            if websocket.query_params.get("mode") != "diagnostics":
                raise Refused(403, "Autocomplete is off in this room")
            assists = False
    return principal, role, assists


def track_sockets(hub: Hub) -> set[Connection]:
    """The open language sockets, for the hub's notices to close like its own: a user's
    access revoked (4401), an invite link replaced (the candidate's, 4401)."""
    sockets: set[Connection] = set()
    hub.connection_sources.append(lambda: list(sockets))
    return sockets


async def lsp_socket(websocket: WebSocket) -> None:
    """The Language Server Protocol for one room and language (JSON-RPC text frames)."""
    room_id = websocket.path_params["room_id"]
    language = websocket.path_params["language"]
    hub: Hub = websocket.app.state.hub
    services: LanguageServices = websocket.app.state.intellisense
    settings: Settings = websocket.app.state.settings
    try:
        principal, role, assists = await _check(websocket, hub, room_id, language)
    except Refused as exc:
        await _deny(websocket, exc.status, exc.detail)
        return
    await websocket.accept()
    conn = AsgiConnection(websocket, principal, role, outbox_max=settings.outbox_max_messages)
    sockets: set[Connection] = websocket.app.state.lsp_sockets
    found = services.admit(room_id, services.availability(language))
    session: LanguageSession | None = None
    async with conn.serving():
        sockets.add(conn)
        try:
            if found.spec is not None:
                session = await _session(hub, services, room_id, found, principal, role)
                session.join(conn, assists=assists)
            max_bytes = settings.lsp_max_frame_bytes
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    conn.abort(CloseCode.UNSUPPORTED_DATA, "text frames only")
                elif len(text) > max_bytes:
                    conn.abort(CloseCode.TOO_BIG, "frame too large")
                elif session is not None:
                    await session.receive(conn, text)
                else:
                    _without_server(conn, found, text)
        finally:
            sockets.discard(conn)
            if session is not None:
                session.leave(conn)


async def _session(
    hub: Hub, services: LanguageServices, room_id: str, found: Availability,
    principal: Principal, role: str,
) -> LanguageSession:
    assert found.spec is not None
    session = services.get(room_id, found.spec)
    if session is not None:
        return session
    source = await DocTree.open(hub, room_id, principal, role)
    session = services.get(room_id, found.spec)  # another socket may have started it meanwhile
    if session is not None:
        source.close()
        return session
    session = services.start(room_id, found, source)
    _watch(session, source)
    return session


def _without_server(conn: Connection, found: Availability, text: str) -> None:
    """A language with no server here: the client is told once, quietly, and every request
    is answered with the reason."""
    incoming = m.parse(text)
    if incoming.kind != "request":
        return
    if incoming.method == "initialize":
        conn.send(m.reply(incoming.id, {"capabilities": {"textDocumentSync": 0},
                                        "serverInfo": {"name": "none"}}))
        conn.send(m.notification(STATUS, {"server": None, "title": found.language,
                                          "state": "unavailable", "message": found.reason}))
    elif incoming.method == "shutdown":
        conn.send(m.reply(incoming.id, None))
    else:
        conn.send(m.error(incoming.id, m.REQUEST_FAILED, found.reason))
