"""codepair.domain.record.board: the elements of a board document, and their SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from pycrdt import Doc, Map

from codepair.domain.record.board import board_elements, board_svg

SVG = "{http://www.w3.org/2000/svg}"


def _el(ident: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "type": kind,
        "x": 0,
        "y": 0,
        "width": 100,
        "height": 60,
        "isDeleted": False,
        "version": 1,
        **fields,
    }


def _doc(*elements: dict[str, Any]) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    board = doc.get("elements", type=Map)
    for el in elements:
        board[el["id"]] = el
    return doc


def test_elements_are_live_ones_in_index_order() -> None:
    doc = _doc(
        _el("b", "rectangle", index="a2"),
        _el("gone", "ellipse", index="a0", isDeleted=True),
        _el("a", "ellipse", index="a1"),
        _el("no-index", "diamond"),
    )
    assert [el["id"] for el in board_elements(doc)] == ["a", "b", "no-index"]
    assert board_elements(Doc()) == []


def test_elements_survive_a_round_trip_through_an_update() -> None:
    doc = _doc(_el("r", "rectangle", strokeColor="#e03131"))
    copy: Doc[Any] = Doc()
    copy.apply_update(doc.get_update())
    (el,) = board_elements(copy)
    assert el["strokeColor"] == "#e03131" and el["width"] == 100


def test_svg_draws_every_kind() -> None:
    elements = [
        _el("r", "rectangle", backgroundColor="#a5d8ff", roundness={"type": 3}),
        _el("e", "ellipse", x=200),
        _el("d", "diamond", x=400, angle=0.5),
        _el("a", "arrow", x=0, y=200, points=[[0, 0], [150, 40]], endArrowhead="arrow"),
        _el("l", "line", x=300, y=200, points=[[0, 0], [50, 50], [100, 0]], strokeStyle="dashed"),
        _el("f", "freedraw", x=0, y=300, points=[[0, 0], [3, 4], [10, 2], [20, 8]]),
        _el(
            "t",
            "text",
            x=10,
            y=400,
            text="queue <-> worker\n& cache",
            fontSize=20,
            textAlign="center",
        ),
    ]
    svg = board_svg(elements)
    root = ET.fromstring(svg)  # well-formed, standalone
    assert root.tag == f"{SVG}svg"
    tags = [child.tag.removeprefix(SVG) for child in root]
    assert tags == ["rect", "rect", "ellipse", "polygon", "g", "g", "g", "text"]
    assert 'fill="#a5d8ff"' in svg and 'stroke-dasharray="8 6"' in svg and "rotate(" in svg
    text = root.find(f"{SVG}text")
    assert text is not None
    assert [t.text for t in text] == ["queue <-> worker", "& cache"]
    # Cropped to the drawing: from the leftmost point less the margin.
    view = [float(v) for v in root.attrib["viewBox"].split()]
    assert view[0] == -20 and view[1] == -20 and view[2] == 540


def test_svg_of_an_empty_board_and_of_garbage() -> None:
    assert ET.fromstring(board_svg([])).attrib["width"] == "200"
    garbage: list[Any] = [
        {"type": "rectangle", "x": "1; drop", "y": 0},
        {"type": "arrow", "x": 0, "y": 0, "points": "nope"},
        {"type": "text", "x": 0, "y": 0, "text": 5},
        {"type": "image", "x": 0, "y": 0},
        {"type": "rectangle", "x": float("nan"), "y": 0},
        "not an element",
        _el("ok", "rectangle", strokeColor='"/><script>alert(1)</script>'),
    ]
    svg = board_svg(garbage)
    root = ET.fromstring(svg)
    assert len(root) == 2  # the background and the one good rectangle
    assert "script" not in svg and 'stroke="#1e1e1e"' in svg


def test_board_guard_size_estimate_and_excess() -> None:
    from codepair.hub.boardcap import BoardGuard

    doc: Doc[Any] = Doc()
    guard = BoardGuard(doc, max_bytes=2000, max_elements=3)
    guard.measure(doc)
    assert guard.admit(doc, 500) and guard.admit(doc, 500)
    # The estimate (1,000 + 1,500) passes the cap: the state is measured again, and it is
    # nearly empty, so the update is admitted after all.
    assert guard.admit(doc, 1500)
    assert not guard.admit(doc, 2500)  # larger than the cap itself

    source: Doc[Any] = Doc()
    board = source.get("elements", type=Map)
    guard.start_update()
    with source.transaction():
        for i in range(5):
            board[f"e{i}"] = _el(f"e{i}", "rectangle")
    doc.apply_update(source.get_update())
    excess = guard.excess()
    assert len(excess) == 2
    update = guard.delete(doc, excess, "system")
    assert len(doc.get("elements", type=Map)) == 3
    source.apply_update(update)  # the trim reaches the sender like any update
    assert sorted(source.get("elements", type=Map).keys()) == sorted(
        k for k in (f"e{i}" for i in range(5)) if k not in excess
    )
    guard.start_update()
    assert guard.excess() == []
