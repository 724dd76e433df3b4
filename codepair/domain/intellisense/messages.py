"""What a browser may say to a room's language server, and how the answers are shaped.

The server owns document sync (DESIGN.md, "Language intelligence"): a client sends only
requests about the room's files. This module decides, for one JSON-RPC message from a
socket, whether it is a request to relay, one the session answers itself, or something to
ignore or refuse, without knowing anything of sockets or processes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from codepair.domain.projects.tree import TreeError, check_path

WORKSPACE_URI = "file:///workspace"

# JSON-RPC and LSP error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
REQUEST_FAILED = -32803
SERVER_CANCELLED = -32802

#: Requests relayed to the language server (each names a document of the tree, but the
#: resolve requests, which carry the item the server itself made).
RELAYED = frozenset({
    "textDocument/completion",
    "textDocument/hover",
    "textDocument/signatureHelp",
    "textDocument/definition",
    "textDocument/declaration",
    "textDocument/typeDefinition",
    "textDocument/implementation",
    "textDocument/references",
    "textDocument/documentHighlight",
    "textDocument/documentSymbol",
    "textDocument/formatting",
    "textDocument/rangeFormatting",
    "completionItem/resolve",
})
WITHOUT_DOCUMENT = frozenset({"completionItem/resolve"})
#: What only assists typing: refused to a candidate whose room has autocomplete off.
ASSISTS = frozenset({
    "textDocument/completion", "completionItem/resolve", "textDocument/signatureHelp",
})
#: The client's own document sync: the server owns it, so these are dropped unread.
IGNORED = frozenset({
    "textDocument/didOpen", "textDocument/didChange", "textDocument/didClose",
    "textDocument/didSave", "textDocument/willSave", "initialized", "$/cancelRequest",
    "$/setTrace", "workspace/didChangeConfiguration", "workspace/didChangeWatchedFiles",
})


def uri_of(path: str) -> str:
    """``file:///workspace/PATH`` for a project path."""
    return f"{WORKSPACE_URI}/{quote(path, safe='/')}"


def path_of(uri: object) -> str | None:
    """The project path a ``file:///workspace/...`` URI names, or None for any other URI."""
    if not isinstance(uri, str) or not uri.startswith(WORKSPACE_URI + "/"):
        return None
    try:
        return check_path(unquote(uri[len(WORKSPACE_URI) + 1 :], errors="strict"))
    except (TreeError, UnicodeDecodeError):
        return None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message from a client: ``kind`` is ``request``, ``ignored`` or ``invalid``."""

    kind: str
    method: str = ""
    id: int | str | None = None
    params: Any = None
    error: tuple[int, str] | None = None  # for ``invalid``: the JSON-RPC error to answer


def parse(text: str) -> Incoming:
    """Classify one text frame from a client."""
    try:
        message = json.loads(text)
    except ValueError:
        return Incoming("invalid", error=(PARSE_ERROR, "not JSON"))
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return Incoming("invalid", error=(INVALID_REQUEST, "not a JSON-RPC 2.0 message"))
    msg_id = message.get("id")
    if msg_id is not None and (isinstance(msg_id, bool) or not isinstance(msg_id, int | str)):
        return Incoming("invalid", error=(INVALID_REQUEST, "id must be a number or a string"))
    method = message.get("method")
    if method is None:  # a response to a server request: the session answers those itself
        return Incoming("ignored")
    if not isinstance(method, str):
        return Incoming("invalid", id=msg_id, error=(INVALID_REQUEST, "method must be text"))
    if msg_id is None:  # a notification: the client's own didOpen/didChange, and the like
        return Incoming("ignored", method=method)
    return Incoming("request", method=method, id=msg_id, params=message.get("params"))


def document_path(incoming: Incoming) -> str | None:
    """The project path a relayed request is about (``params.textDocument.uri``)."""
    params = incoming.params
    if not isinstance(params, dict):
        return None
    document = params.get("textDocument")
    return path_of(document.get("uri")) if isinstance(document, dict) else None


def reply(msg_id: int | str | None, result: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": result}, separators=(",", ":"))


def reply_raw(msg_id: int | str | None, result: str) -> str:
    """:func:`reply` with ``result`` already JSON text (a language server's, passed on)."""
    return f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result}}}'


#: Answers that name files: kept to the workspace (:func:`within_workspace`).
LOCATION_METHODS = frozenset({
    "textDocument/definition", "textDocument/declaration", "textDocument/typeDefinition",
    "textDocument/implementation", "textDocument/references",
})


def error(msg_id: int | str | None, code: int, message: str) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}},
        separators=(",", ":"),
    )


def notification(method: str, params: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params},
                      separators=(",", ":"))


def within_workspace(result: Any) -> Any:
    """A definition-like answer without the locations outside the project (the server's
    own library stubs, /usr/include): a browser can open only the room's files."""
    if isinstance(result, dict):
        return result if _in_workspace(result) else None
    if isinstance(result, list):
        return [item for item in result if isinstance(item, dict) and _in_workspace(item)]
    return result


def _in_workspace(location: dict[str, Any]) -> bool:
    uri = location.get("uri", location.get("targetUri"))
    return path_of(uri) is not None


#: What the session tells the language server it can do (it is the server's one client).
CLIENT_CAPABILITIES: dict[str, Any] = {
    "workspace": {"configuration": True, "workspaceFolders": True,
                  "didChangeConfiguration": {"dynamicRegistration": False}},
    "textDocument": {
        "synchronization": {"dynamicRegistration": False, "didSave": False},
        "completion": {
            "completionItem": {
                "snippetSupport": True,
                "documentationFormat": ["markdown", "plaintext"],
                "resolveSupport": {"properties": ["documentation", "detail"]},
                "labelDetailsSupport": True,
            },
            "contextSupport": True,
        },
        "hover": {"contentFormat": ["markdown", "plaintext"]},
        "signatureHelp": {
            "signatureInformation": {
                "documentationFormat": ["markdown", "plaintext"],
                "parameterInformation": {"labelOffsetSupport": True},
            },
        },
        "definition": {"linkSupport": False},
        "typeDefinition": {"linkSupport": False},
        "declaration": {"linkSupport": False},
        "implementation": {"linkSupport": False},
        "references": {},
        "documentHighlight": {},
        "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
        "formatting": {},
        "rangeFormatting": {},
        "publishDiagnostics": {"relatedInformation": True, "versionSupport": False},
    },
    "general": {"positionEncodings": ["utf-16"]},
}

#: The server capabilities a browser is told about: what RELAYED covers; no sync.
SHOWN_CAPABILITIES = (
    "completionProvider", "hoverProvider", "signatureHelpProvider", "definitionProvider",
    "declarationProvider", "typeDefinitionProvider", "implementationProvider",
    "referencesProvider", "documentHighlightProvider", "documentSymbolProvider",
    "documentFormattingProvider", "documentRangeFormattingProvider",
)


def shown_capabilities(server: dict[str, Any], *, assists: bool) -> dict[str, Any]:
    """The language server's capabilities as a browser may use them: document sync is the
    server's (``textDocumentSync`` 0: none), and without ``assists`` no completion."""
    shown = {k: server[k] for k in SHOWN_CAPABILITIES if server.get(k)}
    if not assists:
        shown.pop("completionProvider", None)
        shown.pop("signatureHelpProvider", None)
    shown["textDocumentSync"] = 0
    return shown
