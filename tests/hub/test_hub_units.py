"""Pure logic of the hub: ICE credentials, strict frame parsing, rate caps."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from pycrdt import Doc, Text, create_update_message

from codepair.config import Settings
from codepair.db.updatelog import merge_all
from codepair.hub.ice import ice_servers
from codepair.hub.limits import SlidingWindow, TokenBucket
from codepair.hub.yframes import ProtocolError, awareness_payload, check_counts, sync_payload


def test_ice_servers_use_coturn_shared_secret_credentials() -> None:
    settings = Settings(
        stun_urls=["stun:stun.example.org:3478"],
        turn_urls=["turn:turn.example.org:3478?transport=udp"],
        turn_secret="s3cret",
        turn_ttl_seconds=600,
    )
    stun, turn = ice_servers(settings, "peer1", now=1_000_000)
    assert stun.urls == ["stun:stun.example.org:3478"] and stun.username is None
    assert turn.username == "1000600:peer1"
    expected = base64.b64encode(
        hmac.new(b"s3cret", b"1000600:peer1", hashlib.sha1).digest()
    ).decode()
    assert turn.credential == expected
    # No secret, no TURN: a credential nobody can check is worse than none.
    assert len(ice_servers(Settings(turn_urls=["turn:x"]), "p")) == 0


def test_frames_are_parsed_strictly() -> None:
    doc: Doc = Doc()  # type: ignore[type-arg]
    doc.get("code", type=Text).insert(0, "hi")
    frame = create_update_message(doc.get_update())
    sub, payload = sync_payload(frame)
    assert (sub, payload) == (2, doc.get_update())
    for bad in (frame[:-1], frame + b"\x00", b"\x00", b"\x00\x07\x00"):
        with pytest.raises(ProtocolError):
            sync_payload(bad)
    with pytest.raises(ProtocolError):
        check_counts(b"\xb3\xf3\x91\x7a\x4f\x19", 3)  # claims 2**28 clients in 6 bytes
    check_counts(doc.get_update(), 3)
    # Awareness: one client, clock 2, state {"a":1}; then a removal (null state).
    state = b'{"a":1}'
    body = b"\x01\x05\x02" + bytes([len(state)]) + state
    _, entries = awareness_payload(b"\x01" + bytes([len(body)]) + body)
    assert [(e.client_id, e.clock, e.removed) for e in entries] == [(5, 2, False)]
    body = b"\x01\x05\x03\x04null"
    _, entries = awareness_payload(b"\x01" + bytes([len(body)]) + body)
    assert entries[0].removed
    with pytest.raises(ProtocolError):
        body = b"\x01\x05\x03\x02[]"
        awareness_payload(b"\x01" + bytes([len(body)]) + body)


def test_rate_caps() -> None:
    bucket = TokenBucket(rate=0.0, burst=3)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    window = SlidingWindow(limit=2, window=60)
    assert [window.hit() for _ in range(3)] == [True, True, False]


@pytest.mark.parametrize("count", [0, 1, 2, 32, 33, 1025, 3000])
def test_merge_all_holds_every_update(count: int) -> None:
    """The tree of merges a load and a compaction use gives the document the log holds."""
    source: Doc = Doc()  # type: ignore[type-arg]
    text = source.get("code", type=Text)
    updates: list[bytes] = []
    source.observe(lambda event: updates.append(event.update))
    for i in range(count):  # keystrokes at the end, and now and then at the start
        text.insert(0 if i % 7 == 0 else len(text), chr(ord("a") + i % 26))
    if count > 1:
        del text[count // 2]  # and a deletion, which must survive the merge too
    merged: Doc = Doc()  # type: ignore[type-arg]
    merged.apply_update(merge_all(updates))
    assert str(merged.get("code", type=Text)) == str(text)
    assert merged.get_state() == source.get_state()
