"""Generated frames against one real server over real sockets (Hypothesis).

Yjs frames (random bytes, truncated and mutated real updates, hand-made items, nested values,
squashing runs, sync and awareness messages with garbage inside, text frames) and events
messages (random JSON, deep nesting, wrong types). Every frame either is taken or closes its
socket with a close frame and one of the hub's codes; every events message gets one answer
(an ``error`` for a bad one) and the socket stays. After each batch the server must be alive,
an edit must still reach another socket, chat must still work, and its memory must not have
run away. Bounded: a few hundred examples, well under a minute;
``CODEPAIR_FUZZ_EXAMPLES=2000 CODEPAIR_FUZZ_RANDOM=1`` runs more, with a fresh seed.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Awareness, Doc, Map, Text, create_awareness_message, create_update_message
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.hub.craft import nested_any, one_item, squashing_run, var_string, var_uint
from tests.support.api import Actor, bootstrap_lead, create_room
from tests.support.server import Server

EXAMPLES = int(os.environ.get("CODEPAIR_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("CODEPAIR_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BATCH = 25  # examples between two health checks
MAX_GROWTH_KIB = 256 * 1024  # the server's peak resident memory may grow this much in all
# What a bad Yjs frame may close its socket with: malformed (1002), text (1003), too big
# (1009), over a document's cap (4413), over the message rate (4430). 1011 would mean an
# exception the hub did not foresee.
YJS_CLOSES = {1002, 1003, 1009, 4413, 4430}


# --- a corpus of real frames ------------------------------------------------------------


def _real_updates() -> list[bytes]:
    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("code", type=Text)
    text.insert(0, "def f(x):\n    return x\n")
    text.insert(4, "é😀")
    del text[2:5]
    doc.get("meta", type=Map)["language"] = "python"
    doc.get("elements", type=Map)["e1"] = {"id": "e1", "type": "rectangle", "x": 1.5}
    return [*updates, doc.get_update()]


def _awareness_frames() -> list[bytes]:
    doc: Doc[Any] = Doc()
    awareness = Awareness(doc)
    awareness.set_local_state({"user": {"name": "Fuzz", "color": "#123456"}, "cursor": None})
    return [create_awareness_message(awareness.encode_awareness_update([doc.client_id]))]


REAL = _real_updates()
AWARE = _awareness_frames()


# --- Yjs frame strategies -----------------------------------------------------------------


def _sync(sub: int, payload: bytes, *, length: int | None = None) -> bytes:
    """A SYNC frame; ``length`` other than the payload's makes a lying length prefix."""
    return bytes([0, sub]) + var_uint(len(payload) if length is None else length) + payload


@st.composite
def _mutated(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at]
        elif op == "truncate":
            del data[at:]
    return bytes(data)


_CONTENT = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda s: var_string(s), st.binary(max_size=300)),  # strings, maybe not UTF-8
    st.builds(lambda n, b: var_uint(n) + b, st.integers(0, 2**40), st.binary(max_size=32)),
)

_UPDATE = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(REAL),
    _mutated(REAL),
    st.builds(one_item, st.integers(0, 31), _CONTENT),
    st.builds(nested_any, st.sampled_from([1, 10, 63, 64, 65, 200, 1000, 30_000])),
    st.builds(squashing_run, st.sampled_from([2, 50, 500, 5000])),
    # A count of entries far larger than the bytes that follow (Yrs reserves for it).
    st.builds(lambda n, b: var_uint(n) + b, st.integers(0, 2**56 - 1), st.binary(max_size=16)),
)

_AWARENESS_STATE = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda n: b"[" * n + b"]" * n, st.sampled_from([1, 100, 5000])),
    st.builds(lambda v: json.dumps(v).encode(), st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids,
                                                                  max_size=3),
        max_leaves=8,
    )),
)


@st.composite
def _awareness(draw: st.DrawFn) -> bytes:
    entries = draw(st.lists(st.tuples(st.integers(0, 2**53), st.integers(0, 2**32),
                                      _AWARENESS_STATE), max_size=3))
    payload = var_uint(draw(st.sampled_from([len(entries), len(entries) + 1, 2**30])))
    for client, clock, state in entries:
        payload += var_uint(client) + var_uint(clock) + var_string(state)
    return bytes([1]) + var_string(payload)


# Frames known to have hurt the hub: drawn more often than chance alone would.
_KNOWN = st.sampled_from(["nested", "run", "awareness"]).map(
    lambda kind: {
        "nested": _sync(2, nested_any(30_000)),
        "run": _sync(2, squashing_run(40_000)),
        "awareness": bytes([1]) + var_string(
            var_uint(1) + var_uint(7) + var_uint(1) + var_string(b"[" * 5000 + b"]" * 5000)
        ),
    }[kind]
)

YJS_FRAME = st.one_of(
    _KNOWN,
    st.binary(max_size=64),
    st.builds(_sync, st.sampled_from([0, 1, 2, 3, 255]), _UPDATE),
    st.builds(lambda p, n: _sync(2, p, length=n), _UPDATE, st.integers(0, 2**35)),
    _awareness(),
    st.sampled_from([*AWARE, b"\x03", b"\x02\x00", b"\x01", b"\x00", b"", b"\x07\x00"]),
    _mutated(AWARE),
    st.builds(lambda s: s.encode(), st.text(max_size=20)).map(lambda b: ("text", b)),
)


# --- events message strategies ------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=12,
)
_TYPES = st.sampled_from(["chat.send", "signal", "activity", "nope", ""]) | _JSON


@st.composite
def _message(draw: st.DrawFn) -> dict[str, Any]:
    message = draw(st.dictionaries(st.sampled_from(
        ["text", "to", "data", "kind", "chars", "external", "author", "x"]), _JSON, max_size=4))
    message["type"] = draw(_TYPES)
    return message


EVENT = st.one_of(
    _message().map(json.dumps),
    _JSON.map(json.dumps),
    st.text(max_size=200),
    st.builds(lambda n, c: c[0] * n + c[1] * n, st.sampled_from([10, 900, 5000, 10_000]),
              st.sampled_from([("[", "]"), ("{\"a\":", "}")])),
    st.builds(lambda n: '{"type": "signal", "to": "x", "data": ' + '{"a":' * n + "1"
              + "}" * n + "}", st.sampled_from([15, 16, 300, 900])),
    st.sampled_from(["1" * 5000, "1e400", "NaN", '{"type": "activity", "kind": "paste",'
                     ' "chars": 1e400}', '{"type": "chat.send", "text": "\\ud800"}']),
    st.binary(max_size=16),
)


# --- the server and its health ------------------------------------------------------------


class Target:
    def __init__(self, server: Server, lead: Actor, room: dict[str, Any]) -> None:
        self.server = server
        self.lead = lead
        self.room = room
        self.baseline = 0
        self.examples = 0

    def url(self, doc: str | None) -> str:
        path = f"yjs/{doc}" if doc else "events"
        return f"{self.server.ws_url}/ws/rooms/{self.room['id']}/{path}?token={self.lead.token}"

    def peak_kib(self) -> int:
        """The server's peak resident memory (a spike that was freed again counts)."""
        assert self.server.proc is not None
        with open(f"/proc/{self.server.proc.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

    def counted(self) -> bool:
        """Count an example; every BATCH of them, check the server (True: checked)."""
        self.examples += 1
        if self.examples % BATCH:
            return False
        self.check()
        return True

    def check(self) -> None:
        """Alive, an edit reaches another socket, chat works, memory did not run away."""
        assert self.server.proc is not None and self.server.proc.poll() is None, "server died"
        marker = secrets.token_hex(4)
        with connect(self.url("code"), max_size=None) as reader, connect(self.url("code")) as w:
            reader.recv(timeout=5)
            w.recv(timeout=5)
            edit: Doc[Any] = Doc()
            edit.get("fuzz", type=Text).insert(0, marker)
            w.send(create_update_message(edit.get_update()))
            seen = b""
            while marker.encode() not in seen:
                seen = _bytes(reader.recv(timeout=5))
        with connect(self.url(None)) as events:
            events.send(json.dumps({"type": "chat.send", "text": f"check {marker}"}))
            while True:
                message = json.loads(events.recv(timeout=5))
                if message["type"] == "chat.message":
                    assert message["message"]["text"] == f"check {marker}"
                    break
                assert message["type"] != "error", message
        grown = self.peak_kib() - self.baseline
        assert grown < MAX_GROWTH_KIB, f"peak resident memory grew by {grown // 1024} MiB"


def _bytes(frame: str | bytes) -> bytes:
    return frame.encode() if isinstance(frame, str) else frame


@pytest.fixture(scope="module")
def target(server_factory: Callable[..., Server]) -> Iterator[Target]:
    # A server of its own: its memory is this test's alone. Chat allows the checks' messages.
    srv = server_factory({"CODEPAIR_CHAT_MESSAGES_PER_WINDOW": "1000"})
    lead = bootstrap_lead(srv)
    found = Target(srv, lead, create_room(srv, lead))
    found.check()  # the rooms loaded, the code imported: what the rest is measured against
    found.baseline = found.peak_kib()
    yield found


def test_generated_yjs_frames(target: Target) -> None:
    @FUZZ
    @given(doc=st.sampled_from(["code", "notes", "board"]),
           frames=st.lists(YJS_FRAME, min_size=1, max_size=6))
    def run(doc: str, frames: list[bytes | tuple[str, bytes]]) -> None:
        with connect(target.url(doc), max_size=None, close_timeout=2) as ws:
            ws.recv(timeout=5)  # the server's step 1
            try:
                for frame in frames:
                    if isinstance(frame, tuple):
                        ws.send(frame[1].decode(errors="replace"))
                    else:
                        ws.send(frame)
                _drain(ws)
            except ConnectionClosed as exc:
                assert exc.rcvd is not None, "the socket was dropped without a close frame"
                assert exc.rcvd.code in YJS_CLOSES, (exc.rcvd.code, exc.rcvd.reason)
        target.counted()

    run()
    target.check()


def test_generated_event_messages(target: Target) -> None:
    with connect(target.url(None), max_size=None, close_timeout=2) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "welcome"

        @FUZZ
        @given(message=EVENT)
        def run(message: str | bytes) -> None:
            try:
                ws.send(message)
                while True:  # one answer for every message; history and joins are skipped
                    answer = json.loads(ws.recv(timeout=5))
                    if answer["type"] not in ("chat.history", "peer.joined", "peer.left"):
                        break
            except ConnectionClosed as exc:
                pytest.fail(f"events socket closed ({exc.rcvd}) after {str(message)[:80]!r}")
            if answer["type"] == "error":
                assert set(answer) == {"type", "code", "message"}, answer
            else:
                assert answer["type"] in ("chat.message", "activity"), answer
            if target.counted():  # the check chatted in the room: its message reached us too
                _drain(ws, quiet=0.3)

        run()
    target.check()


def _drain(ws: ClientConnection, quiet: float = 0.05) -> None:
    """Read what the server sends until it is quiet for a moment (or closes)."""
    while True:
        try:
            ws.recv(timeout=quiet)
        except TimeoutError:
            return
