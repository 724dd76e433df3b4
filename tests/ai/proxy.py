"""A real HTTP proxy in front of the model server that records every request it forwards.

The tests read what CodePair sent the model from here (never from CodePair itself), and turn
the model slow or away (``delay``, ``down``) without touching CodePair. Responses stream
through as they come (Server-Sent Events), closed by the connection's end.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class RecordingProxy:
    """Forwards to ``upstream`` (``http://host:port``); keeps each request's JSON body."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0  # seconds before forwarding (a slow model)
        self.down = False  # answer 503 at once (a model server that errors)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with proxy._lock:
                    try:
                        proxy.requests.append({"path": self.path, "body": json.loads(body)})
                    except ValueError:
                        proxy.requests.append({"path": self.path, "raw": body.decode()})
                self._forward(body)

            def _forward(self, body: bytes) -> None:
                if proxy.down:
                    payload = b'{"error": {"message": "model unavailable"}}'
                    self.send_response(503)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if proxy.delay:
                    time.sleep(proxy.delay)
                up = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=300
                )
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                headers["content-length"] = str(len(body))
                try:  # closed however it ends (CodePair hangs up on a slow answer)
                    up.request(self.command, self.path, body=body or None, headers=headers)
                    resp = up.getresponse()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(k, v)
                    self.send_header("connection", "close")
                    self.end_headers()
                    while True:
                        chunk = resp.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        self.wfile.flush()
                finally:
                    up.close()
                    self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sent_text(self, since: int = 0) -> str:
        """Everything sent to the model in requests ``since`` onward, as one string."""
        with self._lock:
            return "\n".join(json.dumps(r, ensure_ascii=False) for r in self.requests[since:])

    def chat_requests(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [r["body"] for r in self.requests[since:]
                    if r["path"].endswith("/chat/completions") and "body" in r]
