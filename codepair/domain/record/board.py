"""The room's whiteboard as data: its Excalidraw elements, and a standalone SVG of them.

The ``board`` document is a ``Y.Map`` named ``elements``: element id -> the Excalidraw element
as JSON (docs/whiteboard.md). What clients write is untrusted: every field read here is
checked, and an element that cannot be drawn is left out of the picture rather than failing
the report.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pycrdt import Doc, Map

ELEMENTS = "elements"
MARGIN = 20.0
MAX_POINTS = 5000  # per line or freehand stroke: more is not drawn
FONT_FAMILIES = {
    1: "Virgil, Segoe Print, cursive",
    2: "Helvetica, Arial, sans-serif",
    3: "Cascadia, monospace",
}
DEFAULT_FONT = "Helvetica, Arial, sans-serif"
SHAPES = frozenset({"rectangle", "ellipse", "diamond", "arrow", "line", "text", "freedraw"})


def board_elements(doc: Doc[Any]) -> list[dict[str, Any]]:
    """The live (not deleted) elements of a ``board`` document, in drawing order.

    Excalidraw orders elements by their fractional ``index``; elements without one keep the
    order of their ids, after those with one.
    """
    elements = doc.get(ELEMENTS, type=Map).to_py() or {}
    live = [
        el
        for el in elements.values()
        if isinstance(el, dict) and not el.get("isDeleted") and isinstance(el.get("type"), str)
    ]
    live.sort(
        key=lambda el: (
            not isinstance(el.get("index"), str),
            str(el.get("index") or ""),
            str(el.get("id") or ""),
        )
    )
    return live


def _num(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    value = float(value)
    return value if math.isfinite(value) and abs(value) < 1e7 else default


def _points(el: dict[str, Any]) -> list[tuple[float, float]]:
    raw = el.get("points")
    if not isinstance(raw, list):
        return []
    points: list[tuple[float, float]] = []
    for point in raw[:MAX_POINTS]:
        if isinstance(point, list | tuple) and len(point) >= 2:
            px, py = _num(point[0]), _num(point[1])
            if px is not None and py is not None:
                points.append((px, py))
    return points


def _color(value: Any, default: str) -> str:
    """A CSS colour as Excalidraw writes them (#rgb, #rrggbb, names), else ``default``."""
    if not isinstance(value, str) or not value or len(value) > 32:
        return default
    if value == "transparent":
        return "none"
    if value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:]):
        return value
    if value.isalpha():
        return value
    return default


def _bounds(el: dict[str, Any]) -> tuple[float, float, float, float] | None:
    x, y = _num(el.get("x")), _num(el.get("y"))
    if x is None or y is None:
        return None
    if el["type"] in ("arrow", "line", "freedraw"):
        points = _points(el)
        if not points:
            return None
        xs = [x + px for px, _ in points]
        ys = [y + py for _, py in points]
        return min(xs), min(ys), max(xs), max(ys)
    w = _num(el.get("width"), 0.0) or 0.0
    h = _num(el.get("height"), 0.0) or 0.0
    return x, y, x + max(w, 0.0), y + max(h, 0.0)


def _style(el: dict[str, Any], *, fill: bool = True) -> str:
    stroke = _color(el.get("strokeColor"), "#1e1e1e")
    width = _num(el.get("strokeWidth"), 2.0) or 2.0
    attrs = [f'stroke="{stroke}"', f'stroke-width="{min(width, 50):g}"']
    attrs.append(f'fill="{_color(el.get("backgroundColor"), "none") if fill else "none"}"')
    dash = {"dashed": "8 6", "dotted": "1.5 6"}.get(str(el.get("strokeStyle")))
    if dash:
        attrs.append(f'stroke-dasharray="{dash}"')
    opacity = _num(el.get("opacity"), 100.0)
    if opacity is not None and 0 <= opacity < 100:
        attrs.append(f'opacity="{opacity / 100:g}"')
    attrs.append('stroke-linecap="round" stroke-linejoin="round"')
    return " ".join(attrs)


def _transform(el: dict[str, Any], box: tuple[float, float, float, float]) -> str:
    angle = _num(el.get("angle"), 0.0) or 0.0
    if not angle:
        return ""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return f' transform="rotate({math.degrees(angle):.2f} {cx:.2f} {cy:.2f})"'


def _arrowhead(tip: tuple[float, float], tail: tuple[float, float], style: str) -> str:
    """Two strokes at ``tip``, opening towards ``tail``."""
    dx, dy = tip[0] - tail[0], tip[1] - tail[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return ""
    ux, uy = dx / length, dy / length
    size = min(20.0, length / 2)
    wings = []
    for sign in (1, -1):
        ang = sign * math.radians(25)
        wx = tip[0] - size * (ux * math.cos(ang) - uy * math.sin(ang))
        wy = tip[1] - size * (ux * math.sin(ang) + uy * math.cos(ang))
        wings.append(f"M{wx:.2f} {wy:.2f} L{tip[0]:.2f} {tip[1]:.2f}")
    return f'<path d="{" ".join(wings)}" {style}/>'


def _element_svg(el: dict[str, Any]) -> str:
    box = _bounds(el)
    if box is None:
        return ""
    kind = el["type"]
    x, y, right, bottom = box
    w, h = right - x, bottom - y
    turn = _transform(el, box)
    if kind == "rectangle":
        rx = min(w, h) * 0.1 if el.get("roundness") else 0
        return (
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{h:.2f}" rx="{rx:.2f}" '
            f"{_style(el)}{turn}/>"
        )
    if kind == "ellipse":
        return (
            f'<ellipse cx="{x + w / 2:.2f}" cy="{y + h / 2:.2f}" rx="{w / 2:.2f}" '
            f'ry="{h / 2:.2f}" {_style(el)}{turn}/>'
        )
    if kind == "diamond":
        cx, cy = x + w / 2, y + h / 2
        pts = f"{cx:.2f},{y:.2f} {right:.2f},{cy:.2f} {cx:.2f},{bottom:.2f} {x:.2f},{cy:.2f}"
        return f'<polygon points="{pts}" {_style(el)}{turn}/>'
    if kind in ("arrow", "line", "freedraw"):
        ox, oy = _num(el.get("x"), 0.0) or 0.0, _num(el.get("y"), 0.0) or 0.0
        absolute = [(ox + px, oy + py) for px, py in _points(el)]
        d = "M" + " L".join(f"{px:.2f} {py:.2f}" for px, py in absolute)
        closed = kind == "line" and len(absolute) > 2 and absolute[0] == absolute[-1]
        style = _style(el, fill=closed)
        parts = [f'<path d="{d}" {style}/>']
        if kind == "arrow" and len(absolute) >= 2:
            if el.get("endArrowhead", "arrow"):
                parts.append(_arrowhead(absolute[-1], absolute[-2], _style(el, fill=False)))
            if el.get("startArrowhead"):
                parts.append(_arrowhead(absolute[0], absolute[1], _style(el, fill=False)))
        return f"<g{turn}>{''.join(parts)}</g>"
    if kind == "text":
        text = el.get("text")
        if not isinstance(text, str) or not text:
            return ""
        size = min(_num(el.get("fontSize"), 20.0) or 20.0, 400.0)
        family = FONT_FAMILIES.get(int(_num(el.get("fontFamily"), 2) or 2), DEFAULT_FONT)
        align = str(el.get("textAlign") or "left")
        anchor, tx = {"center": ("middle", x + w / 2), "right": ("end", right)}.get(
            align, ("start", x)
        )
        color = _color(el.get("strokeColor"), "#1e1e1e")
        line_height = size * (_num(el.get("lineHeight"), 1.25) or 1.25)
        lines = "".join(
            f'<tspan x="{tx:.2f}" y="{y + size + i * line_height:.2f}">{escape(line)}</tspan>'
            for i, line in enumerate(text[:10_000].split("\n"))
        )
        return (
            f'<text font-size="{size:g}" font-family={quoteattr(family)} fill="{color}" '
            f'text-anchor="{anchor}"{turn}>{lines}</text>'
        )
    return ""


def board_svg(elements: list[dict[str, Any]]) -> str:
    """A standalone SVG of ``elements`` (as :func:`board_elements` gives them), cropped to
    what is drawn with a margin; an empty board is a small blank picture."""
    drawn: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    for el in elements:
        if not isinstance(el, dict) or el.get("type") not in SHAPES or el.get("isDeleted"):
            continue
        svg = _element_svg(el)
        box = _bounds(el)
        if svg and box is not None:
            drawn.append(svg)
            boxes.append(box)
    if boxes:
        left = min(b[0] for b in boxes) - MARGIN
        top = min(b[1] for b in boxes) - MARGIN
        width = max(b[2] for b in boxes) + MARGIN - left
        height = max(b[3] for b in boxes) + MARGIN - top
    else:
        left, top, width, height = 0.0, 0.0, 200.0, 100.0
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="{left:.2f} {top:.2f} {width:.2f} {height:.2f}">'
        f'<rect x="{left:.2f}" y="{top:.2f}" width="{width:.2f}" height="{height:.2f}" '
        'fill="#ffffff"/>'
        + "".join(drawn)
        + "</svg>"
    )
