"""The built client's assets as a browser gets them: compressed at build time, cached by name."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from codepair.api.coding import accepted_encodings
from tests.support.server import Server

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"


def entry_script() -> str:
    """The script index.html loads first (``assets/index-HASH.js``)."""
    html = (DIST / "index.html").read_text()
    found = re.search(r'src="/(assets/index-[\w-]+\.js)"', html)
    assert found, "index.html loads no entry script: is web/dist built (make web)?"
    return found.group(1)


def raw_get(server: Server, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (httpx would undo a content coding)."""
    with httpx.Client(base_url=server.url) as c, c.stream("GET", path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def brotli_decompress(data: bytes) -> bytes:
    """Node's zlib (Python's standard library has no Brotli)."""
    script = (
        "const z=require('zlib');const b=[];process.stdin.on('data',d=>b.push(d));"
        "process.stdin.on('end',()=>process.stdout.write(z.brotliDecompressSync(Buffer.concat(b))))"
    )
    done = subprocess.run(["node", "-e", script], input=data, capture_output=True, check=True)
    return done.stdout


def test_a_browser_gets_the_copy_it_accepts(server: Server) -> None:
    path = entry_script()
    original = (DIST / path).read_bytes()

    r, body = raw_get(server, f"/{path}", **{"accept-encoding": "gzip, deflate"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(r.headers["content-length"]) == len(body) < len(original) / 2
    assert gzip.decompress(body) == original

    r, body = raw_get(server, f"/{path}", **{"accept-encoding": "gzip, deflate, br, zstd"})
    assert r.headers["content-encoding"] == "br"
    assert len(body) < len(gzip.compress(original, 9))  # Brotli beats gzip here
    assert brotli_decompress(body) == original

    # No coding accepted, or each one refused: the file as it is, still marked as varying.
    for accept in ("identity", "gzip;q=0, br;q=0"):
        r, body = raw_get(server, f"/{path}", **{"accept-encoding": accept})
        assert "content-encoding" not in r.headers
        assert r.headers["vary"] == "Accept-Encoding"
        assert body == original


def test_each_copy_has_its_own_etag_and_revalidates(server: Server) -> None:
    path = f"/{entry_script()}"
    tags = set()
    for accept in ("gzip", "br", "identity"):
        r, _ = raw_get(server, path, **{"accept-encoding": accept})
        tag = r.headers["etag"]
        tags.add(tag)
        again, body = raw_get(server, path, **{"accept-encoding": accept, "if-none-match": tag})
        assert again.status_code == 304 and body == b""
    assert len(tags) == 3


def test_copied_fonts_are_kept_a_day_and_sent_as_they_are(server: Server) -> None:
    fonts = sorted((DIST / "assets" / "excalidraw" / "fonts").rglob("*.woff2"))
    assert fonts, "the whiteboard's fonts are not in web/dist"
    font = fonts[0].relative_to(DIST).as_posix()
    r, body = raw_get(server, f"/{font}", **{"accept-encoding": "gzip, br"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.headers["cache-control"] == "public, max-age=86400"
    assert body == (DIST / font).read_bytes()


@pytest.mark.parametrize(
    "path", ["/assets/nothing-here.js", "/assets/..%2f..%2fpyproject.toml", "/assets/%00.js"]
)
def test_what_is_not_an_asset_is_not_found(server: Server, path: str) -> None:
    r, _ = raw_get(server, path, **{"accept-encoding": "gzip"})
    assert r.status_code == 404


def test_accept_encoding_is_read_as_http_says() -> None:
    assert accepted_encodings("gzip, deflate, br, zstd") == {"gzip", "deflate", "br", "zstd"}
    assert accepted_encodings("GZIP;q=0.5, br;q=0") == {"gzip"}
    assert accepted_encodings("br;q=nonsense") == set()
    assert accepted_encodings("") == set()


def test_a_room_page_preloads_the_rooms_chunks_and_other_pages_do_not(server: Server) -> None:
    """The room's page names its chunks (Monaco among them) in its head, so the browser fetches
    them beside the entry script instead of after it has run; other pages stay lean."""
    room = httpx.get(f"{server.url}/rooms/abc123", timeout=10)
    assert room.status_code == 200 and room.headers["cache-control"] == "no-cache"
    links = r'rel="modulepreload" crossorigin href="/(assets/[\w.-]+\.js)"'
    preloaded = re.findall(links, room.text)
    assert any(name.startswith("assets/RoomPage-") for name in preloaded), preloaded
    assert entry_script() in room.text
    for name in preloaded:  # each one is served
        assert httpx.get(f"{server.url}/{name}", timeout=10).status_code == 200
    for other in ("/", "/questions", "/rooms/abc123/replay", "/login"):
        page = httpx.get(f"{server.url}{other}", timeout=10).text
        assert "RoomPage-" not in page, other
