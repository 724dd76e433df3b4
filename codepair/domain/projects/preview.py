"""The front-end preview of a project (docs/preview.md): a tree with an ``index.html`` is
served as a page in a sandboxed iframe, its TypeScript/JSX entry bundled by esbuild in the
runs' sandbox, each build cached by the tree's content hash.

The page is the candidate's code: it runs in the browser of everyone who opens the preview.
It is served with a CSP ``sandbox`` (an opaque origin even when opened directly: no cookies,
no storage, no access to the app's pages) and ``connect-src 'none'`` (no fetch, no socket), so
it can never act as the person watching it. The iframe is reached through a short-lived
signed token in its path (an iframe sends no ``Authorization`` header, and a cookie would be
the app's own); the access log writes the path with the token blanked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import mimetypes
import re
import shlex
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from codepair.domain.errors import NotFound, Unprocessable
from codepair.domain.projects.tree import Tree, TreeError, check_path
from codepair.runner.executor import RunRequest, RunResult

#: The page every preview starts from.
INDEX = "index.html"
#: Where the bundle is written in the build's folder, and served from; esbuild writes the CSS
#: the bundle's modules import (``import "./styles.css"``) beside it, with the same name.
BUNDLE = ".codepair/preview/bundle.js"
BUNDLE_CSS = ".codepair/preview/bundle.css"
#: Script sources esbuild bundles (a plain ``.js`` is served as it is).
BUNDLED = (".ts", ".tsx", ".jsx", ".mts")
#: How long a preview link works: a candidate's less, since their access ends with the room.
TTL_SECONDS = 30 * 60
CANDIDATE_TTL_SECONDS = 10 * 60
#: Builds kept in memory (each at most a tree, 8 MiB, plus a 2 MiB bundle).
MAX_BUILDS = 32
MAX_CACHE_BYTES = 64 * 1024 * 1024
#: What a build error keeps of esbuild's words.
ERROR_CHARS = 4000

#: The page's policy: a sandbox (opaque origin), scripts and styles of its own, images of its
#: own or inline, nothing else: no fetch, no socket, no form posts, no frames, no plugins.
CSP = "; ".join(
    [
        "sandbox allow-scripts",
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ]
)

_SCRIPT = re.compile(
    r"""<script\b(?P<attrs>[^>]*?)\bsrc\s*=\s*(?P<q>["'])(?P<src>[^"'<>]+)(?P=q)(?P<rest>[^>]*)>""",
    re.IGNORECASE,
)
_MODULE = re.compile(r"""\btype\s*=\s*["']module["']""", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)


@dataclass(slots=True)
class Build:
    """One preview of one tree: the files it serves, or why it failed to build."""

    hash: str
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None
    built_ms: int = 0

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


def tree_hash(tree: Tree) -> str:
    """The content hash a build is cached by: every path and text of the tree."""
    digest = hashlib.sha256()
    for path, text in sorted(tree.files.items()):
        for part in (path, text):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)
    return digest.hexdigest()


def script_entry(html: str) -> str | None:
    """The first ``<script src>`` of the page that needs bundling, as a tree path."""
    for found in _SCRIPT.finditer(html):
        src = found.group("src").strip().removeprefix("./")
        if src.lower().endswith(BUNDLED) and "://" not in src and not src.startswith("/"):
            try:
                return check_path(src)
            except TreeError:
                return None
    return None


def rewrite_page(html: str, entry: str, *, css: bool = False) -> str:
    """The page with its entry script pointing at the bundle. The bundle is a classic
    script (esbuild's ``iife``), loaded with ``defer`` as a module would be: a module script
    from an opaque origin is a CORS request, which the app does not answer.

    With ``css`` (the bundle's modules imported CSS), the page also links the bundle's
    stylesheet: at the end of its ``<head>`` (after the page's own stylesheets, as Vite puts
    it), else just before the entry script."""
    link = f'<link rel="stylesheet" href="{BUNDLE_CSS}">'
    linked = not css or _HEAD_END.search(html) is not None

    def swap(found: re.Match[str]) -> str:
        nonlocal linked
        if found.group("src").strip().removeprefix("./") != entry:
            return found.group(0)
        attrs = _MODULE.sub("", found.group("attrs") + " " + found.group("rest")).strip()
        script = f'<script defer src="{BUNDLE}" {attrs}>'.replace(" >", ">")
        if not linked:
            linked = True
            return link + script
        return script

    page = _SCRIPT.sub(swap, html)
    if css and _HEAD_END.search(page) is not None:
        page = _HEAD_END.sub(lambda end: link + end.group(0), page, count=1)
    return page


def bundle_command(entry: str) -> str:
    """The esbuild command line that bundles ``entry`` for the browser (React from the
    toolchains' ``node_modules``, found through ``NODE_PATH``)."""
    return (
        f"/opt/esbuild/esbuild {shlex.quote(entry)} --bundle --format=iife --platform=browser "
        f"--jsx=automatic --target=es2020 --log-level=warning --color=false "
        f"--outfile={BUNDLE}"
    )


def content_type(path: str) -> str:
    if path.endswith((".ts", ".tsx", ".jsx", ".mts")):
        return "text/plain; charset=utf-8"
    guessed, _ = mimetypes.guess_type(path)
    guessed = guessed or "text/plain"
    if guessed.startswith("text/") or guessed in ("application/javascript", "application/json",
                                                  "image/svg+xml"):
        return f"{guessed}; charset=utf-8"
    return guessed


# --- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claims:
    """What a preview link says: which room and build, until when, and for whom."""

    room_id: str
    hash: str
    expires: int
    candidate: bool


class PreviewTokens:
    """Short-lived signed links to one build of one room (HMAC-SHA256 with a key derived
    from the server's secret, so every instance accepts every other's links)."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"codepair-preview\0" + secret.encode()).digest()

    def _sign(self, room_id: str, build: str, expires: int, who: str) -> str:
        mac = hmac.new(self._key, f"{room_id}\0{build}\0{expires}\0{who}".encode(), "sha256")
        return base64.urlsafe_b64encode(mac.digest()[:18]).decode()

    def issue(self, room_id: str, build: str, *, candidate: bool, now: float | None = None) -> str:
        ttl = CANDIDATE_TTL_SECONDS if candidate else TTL_SECONDS
        expires = int((time.time() if now is None else now) + ttl)
        who = "c" if candidate else "i"
        return f"{build}.{expires}.{who}.{self._sign(room_id, build, expires, who)}"

    def read(self, room_id: str, token: str, *, now: float | None = None) -> Claims:
        """The claims of a valid, unexpired link for ``room_id``; else NotFound (a stranger
        learns nothing from the difference between a wrong room and a bad link)."""
        parts = token.split(".")
        if len(parts) != 4 or len(token) > 200:
            raise NotFound("This preview link is not valid")
        build, expires_text, who, signature = parts
        if not expires_text.isdigit() or who not in ("c", "i"):
            raise NotFound("This preview link is not valid")
        expected = self._sign(room_id, build, int(expires_text), who)
        if not hmac.compare_digest(expected, signature):
            raise NotFound("This preview link is not valid")
        if int(expires_text) < (time.time() if now is None else now):
            raise NotFound("This preview link has expired; open the preview again")
        return Claims(room_id, build, int(expires_text), who == "c")


# --- builds ---------------------------------------------------------------------------------

#: Runs a project command in the sandbox (the executor, with its queue and limits).
RunProject = Callable[[RunRequest], Awaitable[RunResult]]


class Previews:
    """Builds of the rooms' previews, cached by (room, tree hash) in this process; two
    requests for the same tree share one build."""

    def __init__(self) -> None:
        self._builds: OrderedDict[tuple[str, str], Build] = OrderedDict()
        self._pending: dict[tuple[str, str], asyncio.Future[Build]] = {}

    def cached(self, room_id: str, build: str) -> Build | None:
        key = (room_id, build)
        found = self._builds.get(key)
        if found is not None:
            self._builds.move_to_end(key)
        return found

    async def build(self, room_id: str, tree: Tree, run: RunProject) -> tuple[Build, bool]:
        """The build of ``tree`` and whether it came from the cache; Unprocessable when the
        tree has no ``index.html``."""
        if INDEX not in tree.files:
            raise Unprocessable(f"The project has no {INDEX} to preview")
        key = (room_id, tree_hash(tree))
        found = self.cached(*key)
        if found is not None:
            return found, True
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending), True
        future: asyncio.Future[Build] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            made = await _build(key[1], tree, run)
            future.set_result(made)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a build nobody else waits for must not warn
            raise
        finally:
            del self._pending[key]
        self._keep(key, made)
        return made, False

    def _keep(self, key: tuple[str, str], made: Build) -> None:
        self._builds[key] = made
        total = sum(b.size for b in self._builds.values())
        while len(self._builds) > MAX_BUILDS or (total > MAX_CACHE_BYTES and len(self._builds) > 1):
            _, dropped = self._builds.popitem(last=False)
            total -= dropped.size


async def _build(build_hash: str, tree: Tree, run: RunProject) -> Build:
    started = time.monotonic()
    files = {path: text.encode("utf-8", "surrogatepass") for path, text in tree.files.items()}
    page = tree.files[INDEX]
    entry = script_entry(page)
    made = Build(build_hash, files)
    if entry is not None:
        if entry not in tree.files:
            made.error = f"{INDEX} loads {entry}, which is not in the project"
        else:
            others = {p: t for p, t in tree.files.items() if p != tree.entry}
            result = await run(
                RunRequest(language="typescript", code=tree.files[tree.entry], entry=tree.entry,
                           files=others, command=bundle_command(entry),
                           collect=(BUNDLE, BUNDLE_CSS))
            )
            bundle = result.collected.get(BUNDLE)
            if result.status == "ok" and bundle is not None:
                css = result.collected.get(BUNDLE_CSS)
                made.files[BUNDLE] = bundle.encode("utf-8", "surrogatepass")
                if css is not None:
                    made.files[BUNDLE_CSS] = css.encode("utf-8", "surrogatepass")
                made.files[INDEX] = rewrite_page(page, entry, css=css is not None).encode()
            else:
                words = (result.stderr or result.stdout or result.message).strip()
                made.error = (words or f"The build failed ({result.status})")[-ERROR_CHARS:]
    made.built_ms = round((time.monotonic() - started) * 1000)
    if made.error is not None:
        made.files = {}
    return made
