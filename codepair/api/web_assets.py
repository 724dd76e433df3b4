"""The built web client's assets, compressed once at build time and cached by browsers.

The build writes a Brotli (``.br``) and a gzip (``.gz``) copy beside each text asset
(``precompress`` in ``web/vite.config.ts``). A browser that accepts one gets it, so the room's
scripts cross the network at about a quarter of their size and the server compresses nothing
per request. Browsers offer ``br`` on secure origins only (HTTPS, and localhost): an instance
served on plain HTTP under another name sends ``gzip``.

Files vite writes into ``assets/`` carry a hash of their content in their names, so a browser
keeps them for a year without asking again; a new build has new names. The whiteboard's fonts,
copied in a folder below, are kept a day and then checked with their ETag.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

from codepair.api.coding import accepted_encodings

# Preferred first: Brotli is about a fifth smaller than gzip on these scripts.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
IMMUTABLE = "public, max-age=31536000, immutable"
A_DAY = "public, max-age=86400"


class WebAssets(StaticFiles):
    """``/assets``: each file as the browser accepts it, with how long it may keep it."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.root = directory.resolve()
        # The copies on disk, found once: the build does not change while the server runs (a
        # file of a newer build has a new name and is simply sent as it is).
        self.encoded = {
            str(path): path.stat() for path in self.root.rglob("*") if path.suffix in (".br", ".gz")
        }

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        request_headers = Headers(scope=scope)
        path = os.fspath(full_path)
        variants = [(coding, path + suffix) for coding, suffix in ENCODINGS]
        variants = [(coding, copy) for coding, copy in variants if copy in self.encoded]
        headers = {"cache-control": self._cache_control(path)}
        if variants:
            headers["vary"] = "Accept-Encoding"
        accepted = accepted_encodings(request_headers.get("accept-encoding", ""))
        chosen = next(((c, copy) for c, copy in variants if c in accepted), None)
        if chosen is None:
            response = FileResponse(
                path, status_code=status_code, headers=headers, stat_result=stat_result
            )
        else:
            coding, copy = chosen
            headers["content-encoding"] = coding
            response = FileResponse(
                copy,
                status_code=status_code,
                headers=headers,
                media_type=mimetypes.guess_type(path)[0] or "application/octet-stream",
                stat_result=self.encoded[copy],  # its own ETag, length and time
            )
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response

    def _cache_control(self, path: str) -> str:
        return IMMUTABLE if Path(path).parent == self.root else A_DAY
