"""The terminal's relay messages between instances: raw bytes through, bad input refused."""

from __future__ import annotations

import pytest

from codepair.security.tokens import Principal
from codepair.terminal import relay


def test_keystrokes_and_output_cross_as_they_are() -> None:
    data = bytes(range(256)) * 4
    message = relay.decode(relay.encode(relay.KEYS, "a" * 16, "42", data))
    assert (message.kind, message.origin, message.socket, message.body) == (
        relay.KEYS, "a" * 16, "42", data)
    text = relay.decode(relay.encode(relay.TEXT, "b", "", '{"type": "status"}'))
    assert text.body.decode() == '{"type": "status"}'


def test_a_person_crosses_with_their_part() -> None:
    who = Principal(kind="candidate", role="candidate", name="Cody", room_id="r1",
                    invite_id=3, candidate_id="c-1")
    sent = relay.encode_json(relay.ATTACH, "a", "7", {
        "principal": relay.principal_to_json(who), "role": "candidate"})
    back = relay.principal_from_json(relay.decode(sent).json()["principal"])
    assert back == who
    assert back.is_candidate


@pytest.mark.parametrize(
    "payload", [b"", b"\x03", b"\x03\x05ab", b"\x03\x01a\x05xy", b"\x03\x01a\x01\xfe"]
)
def test_a_truncated_or_garbled_message_is_refused(payload: bytes) -> None:
    with pytest.raises(relay.RelayError):
        relay.decode(payload)


def test_sizes_and_principals_are_checked() -> None:
    assert relay.size_of({"cols": 120, "rows": 40}) == (120, 40)
    with pytest.raises(relay.RelayError):
        relay.size_of({"cols": 0, "rows": 40})
    with pytest.raises(relay.RelayError):
        relay.principal_from_json({"name": "no kind"})
    with pytest.raises(relay.RelayError):
        relay.principal_from_json(["not", "an", "object"])
