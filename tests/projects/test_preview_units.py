"""The preview's pure parts: which script is bundled, the page that loads the bundle, links
that expire and name one room and one build, and the content hash."""

from __future__ import annotations

import pytest

from codepair.domain.errors import NotFound
from codepair.domain.projects.preview import (
    BUNDLE,
    BUNDLE_CSS,
    PreviewTokens,
    content_type,
    rewrite_page,
    script_entry,
    tree_hash,
)
from codepair.domain.projects.tree import Tree


def test_the_first_typescript_or_jsx_script_is_the_entry() -> None:
    page = ('<script src="vendor.js"></script>\n'
            '<script type="module" src="./src/main.tsx"></script><script src="b.ts"></script>')
    assert script_entry(page) == "src/main.tsx"
    assert script_entry('<script src="app.js"></script>') is None
    assert script_entry("<SCRIPT SRC='x/app.jsx' TYPE='module'></SCRIPT>") == "x/app.jsx"
    # Nothing outside the tree, nothing from another host.
    assert script_entry('<script src="../secret.ts"></script>') is None
    assert script_entry('<script src="/abs.ts"></script>') is None
    assert script_entry('<script src="https://cdn.example/x.ts"></script>') is None


def test_the_page_loads_the_bundle_as_a_deferred_classic_script() -> None:
    page = '<body><script type="module" src="src/main.tsx" id="m"></script></body>'
    out = rewrite_page(page, "src/main.tsx")
    assert out == f'<body><script defer src="{BUNDLE}" id="m"></script></body>'
    other = '<script src="other.tsx"></script>'
    assert rewrite_page(other, "src/main.tsx") == other


def test_css_the_bundle_imported_is_linked_from_the_page() -> None:
    link = f'<link rel="stylesheet" href="{BUNDLE_CSS}">'
    script = f'<script defer src="{BUNDLE}"></script>'
    page = ('<html><head><link rel="stylesheet" href="a.css"></HEAD>'
            '<body><script src="src/main.tsx"></script></body></html>')
    out = rewrite_page(page, "src/main.tsx", css=True)
    # After the page's own stylesheets, so the imported rules win a tie, as in Vite.
    assert out == ('<html><head><link rel="stylesheet" href="a.css">' + link + "</HEAD>"
                   "<body>" + script + "</body></html>")
    # A page without a head: just before the bundle.
    assert rewrite_page('<script src="main.tsx"></script>', "main.tsx", css=True) == link + script
    assert BUNDLE_CSS not in rewrite_page(page, "src/main.tsx")


def test_a_link_names_one_room_one_build_and_expires() -> None:
    tokens = PreviewTokens("secret")
    token = tokens.issue("room1", "abc", candidate=True, now=1000.0)
    claims = tokens.read("room1", token, now=1000.0)
    assert (claims.room_id, claims.hash, claims.candidate) == ("room1", "abc", True)
    assert claims.expires == 1000 + 600
    with pytest.raises(NotFound):
        tokens.read("room2", token, now=1000.0)  # another room
    with pytest.raises(NotFound, match="expired"):
        tokens.read("room1", token, now=2000.0)
    with pytest.raises(NotFound):
        PreviewTokens("other secret").read("room1", token, now=1000.0)
    for forged in (token.replace(".c.", ".i."), token.replace("abc", "abd"), "x", "a.b.c.d"):
        with pytest.raises(NotFound):
            tokens.read("room1", forged, now=1000.0)
    interviewer = tokens.issue("room1", "abc", candidate=False, now=1000.0)
    assert tokens.read("room1", interviewer, now=2000.0).candidate is False  # 30 minutes


def test_the_hash_covers_every_path_and_text() -> None:
    one = Tree("main.ts", {"a": "bc", "main.ts": ""})
    assert tree_hash(one) == tree_hash(Tree("main.ts", {"main.ts": "", "a": "bc"}))
    assert tree_hash(one) != tree_hash(Tree("main.ts", {"ab": "c", "main.ts": ""}))
    assert tree_hash(one) != tree_hash(Tree("main.ts", {"a": "bc ", "main.ts": ""}))


def test_types_of_served_files() -> None:
    assert content_type("index.html") == "text/html; charset=utf-8"
    assert content_type("a/style.css") == "text/css; charset=utf-8"
    assert content_type("src/main.tsx") == "text/plain; charset=utf-8"
    assert content_type(BUNDLE).startswith(("text/javascript", "application/javascript"))
