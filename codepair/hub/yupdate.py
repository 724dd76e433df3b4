"""What Yrs must not be given: a walk over a client's Yjs update (encoding v1) before it is
decoded by Yrs.

Two kinds of update that decode without an error hurt Yrs (pycrdt 0.14.13) badly:

- **Nesting.** ``Any`` values (what a ``Y.Map`` or ``Y.Array`` holds) are decoded
  recursively: some 20,000 levels (a 40 KB frame) overflow the stack, and the process dies
  (SIGSEGV) with every room in it. Deeper than :data:`MAX_DEPTH` is refused.
- **Runs that squash.** Items of one client that continue each other (each one's origin is
  the end of the one before, same neighbour on the right) are squashed into one item once
  applied. Yrs squashes from the right: each step copies the run so far into the item on
  its left and keeps every copy until the run is done, so item ``j`` of a run costs
  ``(j - 1)`` times its size, ``k² · s / 2`` for ``k`` items of ``s`` bytes. 40,000
  one-character appends merged into one 543 KB update took 891 MB. A client's own updates
  hold no such run (Yjs squashes a transaction's items before it sends them): only an update
  merged by Yrs, or made by hand, does. One whose runs would copy more than
  :data:`MAX_SQUASH_COPY` is refused; a real client reconnects and sends its state, squashed.

The walk also refuses what Yrs and Yjs read differently or a room never holds: legacy JSON
content (this Yrs reads one string more than Yjs writes), sub-documents, XML hooks, unknown
content or type references, and bytes after the delete set. The rest is Yrs' to check.
Updates under :data:`SCAN_MIN_BYTES` are not walked: they can neither nest 64 deep (two bytes
a level) nor hold a costly run, so a keystroke costs nothing more.
"""

from __future__ import annotations

from codepair.hub.yframes import ProtocolError, read_payload, read_var_uint

SCAN_MIN_BYTES = 128
MAX_DEPTH = 64
MAX_SQUASH_COPY = 16 * 1024 * 1024
_ANY_VALUE_BYTES = 16  # what one Any value takes in Yrs beyond its encoding, about

# Content references (the low bits of a struct's info byte) and type references.
_GC, _DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC, _SKIP = range(11)
_HAS_ORIGIN, _HAS_RIGHT_ORIGIN, _HAS_PARENT_SUB = 0x80, 0x40, 0x20
_XML_ELEMENT = 3
_TYPES = frozenset({0, 1, 2, 4, 6})  # array, map, text, XML fragment, XML text (+ element)


def scan_update(update: bytes, *, keys_of: bytes | None = None) -> list[bytes]:
    """Raise :class:`ProtocolError` for an update that nests too deep, squashes too much, or
    holds what this server does not accept (see the module's docstring).

    With ``keys_of`` (a root type's name), the keys the update sets in that root map, as
    bytes (the code document's ``files``: the paths an update creates or replaces)."""
    keys: list[bytes] = []
    end = len(update)
    clients, pos = read_var_uint(update, 0)
    copied = 0
    for _ in range(clients):
        structs, pos = read_var_uint(update, pos)
        client, pos = read_var_uint(update, pos)
        clock, pos = read_var_uint(update, pos)
        run_items = 0  # items in the squashable run that ends at the previous struct
        run_kind = -1
        run_right: tuple[int, int] | None = None
        for _ in range(structs):
            if pos >= end:
                raise ProtocolError("truncated update")
            info = update[pos]
            pos += 1
            if info in (_GC, _SKIP):  # a range of clocks with no content
                length, pos = read_var_uint(update, pos)
                clock += length
                run_items = 0
                continue
            kind = info & 0x1F
            origin = right = None
            if info & _HAS_ORIGIN:
                origin_client, pos = read_var_uint(update, pos)
                origin_clock, pos = read_var_uint(update, pos)
                origin = (origin_client, origin_clock)
            if info & _HAS_RIGHT_ORIGIN:
                right_client, pos = read_var_uint(update, pos)
                right_clock, pos = read_var_uint(update, pos)
                right = (right_client, right_clock)
            if not info & (_HAS_ORIGIN | _HAS_RIGHT_ORIGIN):
                parent, pos = read_var_uint(update, pos)
                root = b""
                if parent == 1:  # a root type, by name
                    root, pos = read_payload(update, pos)
                else:  # a nested type, by its item's id
                    _, pos = read_var_uint(update, pos)
                    _, pos = read_var_uint(update, pos)
                if info & _HAS_PARENT_SUB:
                    sub, pos = read_payload(update, pos)
                    if keys_of is not None and root == keys_of:
                        keys.append(bytes(sub))
            size = 0  # bytes a squash copies of this item (0: not squashable)
            if kind == _STRING:
                raw, pos = read_payload(update, pos)
                length = _utf16_length(raw)
                size = len(raw)
            elif kind == _ANY:
                length, pos = read_var_uint(update, pos)
                start = pos
                for _ in range(length):
                    pos = _skip_any(update, pos, 0)
                size = pos - start + _ANY_VALUE_BYTES * length
            elif kind == _DELETED:
                length, pos = read_var_uint(update, pos)
            elif kind in (_BINARY, _EMBED):
                _, pos = read_payload(update, pos)
                length = 1
            elif kind == _FORMAT:
                _, pos = read_payload(update, pos)
                _, pos = read_payload(update, pos)
                length = 1
            elif kind == _TYPE:
                type_ref, pos = read_var_uint(update, pos)
                if type_ref == _XML_ELEMENT:
                    _, pos = read_payload(update, pos)
                elif type_ref not in _TYPES:
                    raise ProtocolError(f"type {type_ref} is not accepted")
                length = 1
            else:  # JSON (read differently by Yrs and Yjs), sub-documents, unknown
                raise ProtocolError(f"content {kind} is not accepted")
            if size and kind == run_kind and origin == (client, clock - 1) and right == run_right:
                copied += run_items * size
                if copied > MAX_SQUASH_COPY:
                    raise ProtocolError("the update's runs would squash too much")
                run_items += 1
            elif size:
                run_items, run_kind, run_right = 1, kind, right
            else:
                run_items = 0
            clock += length
    ranges_clients, pos = read_var_uint(update, pos)  # the delete set
    for _ in range(ranges_clients):
        _, pos = read_var_uint(update, pos)
        ranges, pos = read_var_uint(update, pos)
        for _ in range(ranges):
            _, pos = read_var_uint(update, pos)
            _, pos = read_var_uint(update, pos)
    if pos != end:
        raise ProtocolError("trailing bytes after the update")
    return keys


def _utf16_length(raw: bytes) -> int:
    """A string item's length in Yjs clocks: UTF-16 code units."""
    if raw.isascii():
        return len(raw)
    try:
        return len(raw.decode("utf-8").encode("utf-16-le")) // 2
    except UnicodeDecodeError as exc:
        raise ProtocolError("a string is not UTF-8") from exc


def _skip_any(data: bytes, pos: int, depth: int) -> int:
    """The position after the lib0 ``Any`` value at ``pos``, no deeper than MAX_DEPTH."""
    if pos >= len(data):
        raise ProtocolError("truncated value")
    tag = data[pos]
    pos += 1
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return pos
    if tag == 125:  # a signed varint
        for i in range(10):
            if pos + i >= len(data):
                raise ProtocolError("truncated value")
            if data[pos + i] < 0x80:
                return pos + i + 1
        raise ProtocolError("varint too long")
    if tag == 124:  # float32
        pos += 4
    elif tag in (123, 122):  # float64, bigint
        pos += 8
    elif tag in (119, 116):  # string, bytes
        _, pos = read_payload(data, pos)
    elif tag in (118, 117):  # object, array
        if depth >= MAX_DEPTH:
            raise ProtocolError("values nested too deep")
        count, pos = read_var_uint(data, pos)
        for _ in range(count):
            if tag == 118:
                _, pos = read_payload(data, pos)  # the key
            pos = _skip_any(data, pos, depth + 1)
    else:
        raise ProtocolError(f"unknown value type {tag}")
    if pos > len(data):
        raise ProtocolError("truncated value")
    return pos
