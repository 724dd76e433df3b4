"""The interviewers' notes as rich text: TipTap's ``XmlFragment`` named ``default`` in the
``notes`` document, rendered to HTML and to Markdown for the interview report.

TipTap (through y-prosemirror) stores each node as an ``XmlElement`` named after the node
type (``paragraph``, ``heading`` with ``level``, ``bulletList``, ``orderedList``,
``listItem``, ``codeBlock``, ``blockquote``, ``hardBreak``, ``horizontalRule``) and each mark
as a formatting attribute of the text (``bold``, ``italic``, ``strike``, ``code``, ``link``
with ``href``). Unknown nodes render their children; what a client wrote is never trusted as
markup: every piece of text is escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

FRAGMENT = "default"
MAX_DEPTH = 40


@dataclass
class RenderedNotes:
    text: str = ""
    html: str = ""
    markdown: str = ""
    headings: list[str] = field(default_factory=list)


def render_notes(doc: Doc[Any]) -> RenderedNotes:
    """The notes of ``doc`` as plain text, HTML and Markdown."""
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    blocks = [b for b in (_block(child, 0) for child in fragment.children) if b is not None]
    return RenderedNotes(
        text="\n".join(b.text for b in blocks).strip(),
        html="".join(b.html for b in blocks),
        markdown="\n\n".join(b.markdown for b in blocks if b.markdown.strip()).strip(),
        headings=[b.text for b in blocks if b.kind == "heading"],
    )


@dataclass
class _Block:
    kind: str
    text: str
    html: str
    markdown: str


def _inline(node: XmlText | XmlElement | XmlFragment, depth: int) -> tuple[str, str, str]:
    """Plain text, HTML and Markdown of a run of inline content."""
    if isinstance(node, XmlText):
        parts = [_marked(str(chunk), attrs or {}) for chunk, attrs in node.diff()]
        return (
            "".join(p[0] for p in parts),
            "".join(p[1] for p in parts),
            "".join(p[2] for p in parts),
        )
    if isinstance(node, XmlElement) and node.tag == "hardBreak":
        return "\n", "<br>", "  \n"
    if depth > MAX_DEPTH:
        return "", "", ""
    parts = [_inline(child, depth + 1) for child in node.children]
    return (
        "".join(p[0] for p in parts),
        "".join(p[1] for p in parts),
        "".join(p[2] for p in parts),
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#<>|])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _marked(text: str, attrs: dict[str, Any]) -> tuple[str, str, str]:
    h = html.escape(text)
    if "code" in attrs:
        fence = "``" if "`" in text else "`"
        md = f"{fence}{text}{fence}"
        h = f"<code>{h}</code>"
    else:
        md = _md_escape(text)
    stripped = md.strip()
    lead, trail = md[: len(md) - len(md.lstrip())], md[len(md.rstrip()) :]
    if stripped:
        if "bold" in attrs:
            h, stripped = f"<strong>{h}</strong>", f"**{stripped}**"
        if "italic" in attrs:
            h, stripped = f"<em>{h}</em>", f"*{stripped}*"
        if "strike" in attrs:
            h, stripped = f"<s>{h}</s>", f"~~{stripped}~~"
        link = attrs.get("link")
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str) and href.startswith(("http://", "https://", "/", "mailto:")):
            h = f'<a href="{html.escape(href, quote=True)}">{h}</a>'
            stripped = f"[{stripped}](<{href.replace('>', '%3E')}>)"
        md = lead + stripped + trail
    return text, h, md


def _block(node: XmlText | XmlElement | XmlFragment, depth: int) -> _Block | None:
    if depth > MAX_DEPTH:
        return None
    if isinstance(node, XmlText):
        text, h, md = _inline(node, depth)
        return _Block("paragraph", text, f"<p>{h}</p>", md)
    tag = node.tag if isinstance(node, XmlElement) else None

    def attr(key: str) -> Any:
        return node.attributes.get(key) if isinstance(node, XmlElement) else None

    if tag == "paragraph":
        text, h, md = _inline(node, depth)
        return _Block("paragraph", text, f"<p>{h}</p>", md)
    if tag == "heading":
        level = _level(attr("level"))
        text, h, md = _inline(node, depth)
        return _Block(
            "heading", text, f"<h{level + 2}>{h}</h{level + 2}>", f"{'#' * (level + 2)} {md}"
        )
    if tag == "codeBlock":
        text = "".join(str(c) if isinstance(c, XmlText) else "" for c in node.children)
        lang = str(attr("language") or "")
        fence = "```" if "```" not in text else "~~~~"
        safe_lang = re.sub(r"[^\w+-]", "", lang)[:30]
        return _Block(
            "code",
            text,
            f"<pre><code>{html.escape(text)}</code></pre>",
            f"{fence}{safe_lang}\n{text}\n{fence}",
        )
    if tag == "horizontalRule":
        return _Block("rule", "", "<hr>", "---")
    if tag in ("bulletList", "orderedList", "taskList"):
        return _list(node, tag, depth)
    if tag == "blockquote":
        inner = [b for b in (_block(c, depth + 1) for c in node.children) if b is not None]
        md = "\n>\n".join("\n".join("> " + line for line in b.markdown.splitlines()) for b in inner)
        return _Block(
            "quote",
            "\n".join(b.text for b in inner),
            "<blockquote>" + "".join(b.html for b in inner) + "</blockquote>",
            md,
        )
    # Unknown block: its children, in order.
    inner = [b for b in (_block(c, depth + 1) for c in node.children) if b is not None]
    return _Block(
        "group",
        "\n".join(b.text for b in inner),
        "".join(b.html for b in inner),
        "\n\n".join(b.markdown for b in inner),
    )


def _level(value: Any) -> int:
    try:
        return max(1, min(4, int(value)))
    except (TypeError, ValueError):
        return 1


def _list(node: XmlElement | XmlFragment, tag: str, depth: int) -> _Block:
    ordered = tag == "orderedList"
    texts, htmls, mds = [], [], []
    for number, item in enumerate(node.children, start=1):
        inner = [b for b in (_block(c, depth + 1) for c in _children(item)) if b is not None]
        marker = f"{number}." if ordered else "-"
        if tag == "taskList" and isinstance(item, XmlElement):
            marker = "- [x]" if item.attributes.get("checked") else "- [ ]"
        md_lines: list[str] = []
        for i, b in enumerate(inner):
            for j, line in enumerate(b.markdown.splitlines() or [""]):
                first = i == 0 and j == 0
                md_lines.append(f"{marker} {line}" if first else " " * (len(marker) + 1) + line)
        texts.append("\n".join(b.text for b in inner))
        htmls.append("<li>" + "".join(b.html for b in inner) + "</li>")
        mds.append("\n".join(md_lines) or marker)
    name = "ol" if ordered else "ul"
    return _Block(
        "list", "\n".join(texts), f"<{name}>" + "".join(htmls) + f"</{name}>", "\n".join(mds)
    )


def _children(node: XmlText | XmlElement | XmlFragment) -> list[XmlText | XmlElement | XmlFragment]:
    if isinstance(node, XmlText):
        return [node]
    return list(node.children)
